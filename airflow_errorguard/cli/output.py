"""Human tables and JSON for the CLI, and keeping stdout for them alone."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TextIO


def _text(value: Any, width: int) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M:%S")
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, out: TextIO | None = None, width: int = 48
) -> None:
    """Print *rows* as an aligned text table (long cells clipped to *width*)."""
    out = out or sys.stdout
    cells = [[_text(row.get(c), width) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(), file=out)
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip(), file=out)


def fields(data: Mapping[str, Any], *, out: TextIO | None = None) -> None:
    """Print ``key: value`` lines."""
    out = out or sys.stdout
    width = max((len(k) for k in data), default=0)
    for key, value in data.items():
        print(f"{key.ljust(width)}  {'' if value is None else value}", file=out)


def as_json(data: Any, *, out: TextIO | None = None) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False), file=out or sys.stdout)


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Point file descriptor 1 at stderr for the block, so that what libraries print there (Airflow's
    start-up logs, clients' log lines) stays out of the output a caller parses or publishes."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
