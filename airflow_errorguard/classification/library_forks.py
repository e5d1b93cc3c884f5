"""
Library forks: a package that forked another keeps its exception classes under the same module
layout (``valkey.exceptions.ResponseError`` is ``redis.exceptions.ResponseError``) and speaks the
same protocol. Each class of a fork is also read as its original's class, so every table, name and
protocol code known for the original applies to the fork without a second copy. Pure data and one
pure function; the verdict depends only on the class, so the verdict cache needs no new key.
"""

from __future__ import annotations

#: Top-level package of a fork (or a renamed package) -> the package it forked.
FORK_OF: dict[str, str] = {
    "valkey": "redis",  # Valkey's client, forked from redis-py 5 (same exceptions, RESP errors)
    "aioredis": "redis",  # merged into redis-py as redis.asyncio (same exception names)
}


def with_originals(paths: tuple[str, ...]) -> tuple[str, ...]:
    """*paths* with, after each path of a fork's class, the same path under the original package."""
    if not any(path.split(".", 1)[0] in FORK_OF for path in paths):
        return paths
    found: list[str] = []
    for path in paths:
        found.append(path)
        top, dot, rest = path.partition(".")
        original = FORK_OF.get(top)
        if original is not None and dot:
            found.append(f"{original}.{rest}")
    return tuple(found)


__all__ = ["FORK_OF", "with_originals"]
