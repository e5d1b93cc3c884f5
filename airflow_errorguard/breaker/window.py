"""Sliding windows over call outcomes (pure functions on the JSON-friendly window list)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from airflow_errorguard.breaker.config import Circuit

#: A time window is kept in at most this many buckets.
TIME_BUCKETS = 60


def bucket_seconds(config: Circuit) -> int:
    """Width of one time-window bucket in whole seconds."""
    return max(1, math.ceil(config.window_seconds / TIME_BUCKETS))


def prune(config: Circuit, window: list[Any], now: datetime) -> list[Any]:
    """*window* without the outcomes that fell out of it at *now*."""
    if config.window_type == "count":
        return window[-config.window_size :]
    width = bucket_seconds(config)
    oldest = now.timestamp() - config.window_seconds
    return [b for b in window if b[0] + width > oldest]


def add(config: Circuit, window: list[Any], *, failed: bool, now: datetime) -> list[Any]:
    """*window* with one more outcome, pruned."""
    if config.window_type == "count":
        return prune(config, [*window, 1 if failed else 0], now)
    width = bucket_seconds(config)
    start = int(now.timestamp()) // width * width
    window = prune(config, window, now)
    if window and window[-1][0] == start:
        last = window[-1]
        window[-1] = [start, last[1] + 1, last[2] + int(failed)]
    else:
        window.append([start, 1, int(failed)])
    return window


def totals(config: Circuit, window: list[Any]) -> tuple[int, int]:
    """``(calls, failures)`` in *window* (prune it first)."""
    if config.window_type == "count":
        return len(window), sum(window)
    return sum(b[1] for b in window), sum(b[2] for b in window)
