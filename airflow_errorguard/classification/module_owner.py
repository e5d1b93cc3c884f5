"""The nearest enclosing module of a table: how the traceback facts match a frame's module."""

from __future__ import annotations

from collections.abc import Container


def owning_module(module: str, modules: Container[str]) -> str | None:
    """
    *module* itself, else its nearest enclosing package, that is one of *modules*; ``None`` when
    none is (``redis.asyncio.connection`` is owned by ``redis``; ``redisx`` is not).
    """
    probe = module
    while True:
        if probe in modules:
            return probe
        probe, dot, _ = probe.rpartition(".")
        if not dot:
            return None


__all__ = ["owning_module"]
