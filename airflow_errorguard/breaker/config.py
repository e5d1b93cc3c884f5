"""
:class:`Circuit`: the configuration of one named circuit breaker, validated at construction.

Durations accept :class:`~datetime.timedelta` or seconds. A bad value raises
:class:`~airflow_errorguard.exceptions.ErrorGuardConfigError` naming the circuit and the field, so
a DAG declaring a broken circuit fails when it is parsed.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from typing import Any

from airflow_errorguard.exceptions import ErrorGuardConfigError

WINDOW_TYPES = ("count", "time")
#: ``enforce`` rejects calls while open; ``metrics_only`` records outcomes and never trips.
MODES = ("enforce", "metrics_only")
CATEGORIES = ("transient", "data", "configuration", "system", "unknown")
DEFAULT_COUNTED = ("transient", "system")
#: Circuit names: what a URL path segment, a log line and a metric tag all accept.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$")


def _seconds(circuit: str, name: str, value: object, *, allow_zero: bool = False) -> float:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ErrorGuardConfigError(
            f"circuit {circuit!r}, field {name!r}: expected a timedelta or seconds, got {value!r}"
        )
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        raise ErrorGuardConfigError(f"circuit {circuit!r}, field {name!r}: must be > 0, got {value!r}")
    return seconds


@dataclass(frozen=True)
class Circuit:
    """
    A named circuit breaker shared by every task that calls the same dependency.

    :param name: The dependency's name (``"crm_api"``); every task using it shares one state.
    :param failure_rate: Open when at least this share of the calls in the window failed
        (0 < rate <= 1); ``None`` disables the rate threshold.
    :param window: Sliding window: a number of calls (``window_type="count"``) or a duration
        (``window_type="time"``, timedelta or seconds).
    :param window_type: ``"count"`` or ``"time"``.
    :param minimum_calls: Calls the window must hold before the failure rate is judged.
    :param consecutive_failures: Also open after this many counted failures in a row (``None``: off).
    :param open_duration: How long the circuit stays open before a probe is let through.
    :param open_duration_growth: Multiplier applied to ``open_duration`` on every further trip
        without closing in between (1.0: constant).
    :param max_open_duration: Upper bound of the grown open duration.
    :param half_open_probes: Calls let through in half-open; that many successes close the circuit.
    :param counted_categories: Error categories that count as failures (default transient and
        system: one bad row does not mean the service is down). Others are ignored.
    :param mode: ``"enforce"`` or ``"metrics_only"`` (records, never trips).
    """

    name: str
    failure_rate: float | None = 0.5
    window: int | float | timedelta = 20
    window_type: str = "count"
    minimum_calls: int = 10
    consecutive_failures: int | None = None
    open_duration: float | timedelta = timedelta(seconds=60)
    open_duration_growth: float = 1.0
    max_open_duration: float | timedelta = timedelta(minutes=30)
    half_open_probes: int = 1
    counted_categories: tuple[str, ...] = field(default=DEFAULT_COUNTED)
    mode: str = "enforce"

    def __post_init__(self) -> None:
        name = self.name
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise ErrorGuardConfigError(
                f"circuit {name!r}, field 'name': expected 1-200 characters of letters, digits, "
                "'_', '.', ':' or '-', starting with a letter or digit"
            )
        if self.window_type not in WINDOW_TYPES:
            raise ErrorGuardConfigError(
                f"circuit {name!r}, field 'window_type': expected one of {', '.join(WINDOW_TYPES)}, "
                f"got {self.window_type!r}"
            )
        if self.mode not in MODES:
            raise ErrorGuardConfigError(
                f"circuit {name!r}, field 'mode': expected one of {', '.join(MODES)}, got {self.mode!r}"
            )
        rate = self.failure_rate
        if rate is not None and (
            isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 1
        ):
            raise ErrorGuardConfigError(
                f"circuit {name!r}, field 'failure_rate': expected a number in (0, 1], got {rate!r}"
            )
        if rate is None and self.consecutive_failures is None and self.mode == "enforce":
            raise ErrorGuardConfigError(
                f"circuit {name!r}, field 'failure_rate': set failure_rate or consecutive_failures "
                "(otherwise the circuit can never open)"
            )
        if self.window_type == "count":
            if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 1:
                raise ErrorGuardConfigError(
                    f"circuit {name!r}, field 'window': a count window needs a whole number of calls "
                    f">= 1, got {self.window!r}"
                )
        else:
            _seconds(name, "window", self.window)
        self._positive_int("minimum_calls", self.minimum_calls)
        self._positive_int("half_open_probes", self.half_open_probes)
        if self.consecutive_failures is not None:
            self._positive_int("consecutive_failures", self.consecutive_failures)
        open_s = _seconds(name, "open_duration", self.open_duration)
        max_s = _seconds(name, "max_open_duration", self.max_open_duration)
        if max_s < open_s:
            raise ErrorGuardConfigError(
                f"circuit {name!r}, field 'max_open_duration': must be >= open_duration ({open_s:g}s), "
                f"got {max_s:g}s"
            )
        growth = self.open_duration_growth
        if isinstance(growth, bool) or not isinstance(growth, (int, float)) or not 1 <= growth <= 100:
            raise ErrorGuardConfigError(
                f"circuit {name!r}, field 'open_duration_growth': expected a number in [1, 100], "
                f"got {growth!r}"
            )
        counted = self.counted_categories
        if isinstance(counted, str):
            counted = (counted,)
        counted = tuple(str(c).lower() for c in counted)
        unknown = [c for c in counted if c not in CATEGORIES]
        if unknown or not counted:
            raise ErrorGuardConfigError(
                f"circuit {name!r}, field 'counted_categories': expected some of {', '.join(CATEGORIES)}, "
                f"got {list(self.counted_categories)!r}"
            )
        object.__setattr__(self, "counted_categories", counted)

    def _positive_int(self, field_name: str, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ErrorGuardConfigError(
                f"circuit {self.name!r}, field {field_name!r}: expected a whole number >= 1, got {value!r}"
            )

    @property
    def window_size(self) -> int:
        """Calls kept by a count window."""
        return self.window if isinstance(self.window, int) and self.window_type == "count" else 0

    @property
    def window_seconds(self) -> float:
        """Seconds covered by a time window."""
        return _seconds(self.name, "window", self.window) if self.window_type == "time" else 0.0

    def open_seconds(self, trip: int) -> float:
        """How long the circuit stays open on its *trip*-th trip since it last closed (1-based)."""
        base = _seconds(self.name, "open_duration", self.open_duration)
        cap = _seconds(self.name, "max_open_duration", self.max_open_duration)
        exponent = max(trip - 1, 0)
        if self.open_duration_growth == 1 or exponent == 0:
            return min(base, cap)
        grown = base * math.exp(min(exponent * math.log(self.open_duration_growth), 700.0))
        return min(grown, cap)

    def counts(self, category: str | None) -> bool:
        """Whether a failure of *category* counts against the circuit (``None``: always)."""
        return category is None or str(category).lower() in self.counted_categories

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Circuit:
        """Rebuild a circuit from :meth:`to_dict` output (validated again)."""
        values = dict(data)
        values["counted_categories"] = tuple(values.get("counted_categories") or ())
        return cls(**values)

    def with_overrides(self, **overrides: Any) -> Circuit:
        """A copy with *overrides* applied (validated again)."""
        return replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly description (durations in seconds)."""
        data = asdict(self)
        for key in ("open_duration", "max_open_duration", "window"):
            if isinstance(data[key], timedelta):
                data[key] = data[key].total_seconds()
        data["counted_categories"] = list(self.counted_categories)
        return data
