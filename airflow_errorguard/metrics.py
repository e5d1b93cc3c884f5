"""
errorguard's metrics through Airflow's ``Stats`` (StatsD or OpenTelemetry, as Airflow is configured).

:data:`METRICS` is the one list of what errorguard emits: the emitters below, the docs' metrics
table, the Prometheus alerting rules and the Grafana dashboard
(:mod:`airflow_errorguard.monitoring`) are all checked against it. One tiny function per fact,
called once per event by the one place that owns the event. A metric that cannot be emitted is
dropped silently: metrics never break a task. Dimensions travel as tags (dropped by plain
StatsD, kept by DogStatsD/OTel).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
PREFIX = "errorguard"


@dataclass(frozen=True)
class Metric:
    """
    One counter errorguard emits.

    :param name: The name after ``errorguard.`` (``error.classified``).
    :param description: What one increment means.
    :param tags: Tag names it carries (labels with DogStatsD/OTel).
    """

    name: str
    description: str
    tags: tuple[str, ...] = ()

    @property
    def stats_name(self) -> str:
        """The name passed to Airflow's ``Stats`` (``errorguard.error.classified``)."""
        return f"{PREFIX}.{self.name}"

    def prometheus_name(self, statsd_prefix: str = "airflow") -> str:
        """The series name statsd_exporter gives it (no mapping file): dots become underscores."""
        return f"{statsd_prefix}.{self.stats_name}".replace(".", "_")


METRICS: tuple[Metric, ...] = (
    Metric(
        "error.classified", "A failed try recorded, with its category (once per try).", ("category", "dag_id")
    ),
    Metric("decision", "A retry decision taken by the retry policy.", ("decision", "category")),
    Metric("retry.in_process", "In-process retry attempts of transient failures.", ("category",)),
    Metric("quarantine.records", "Records quarantined (guarded runs, `ErrorGuard.quarantine`).", ("dag_id",)),
    Metric("quarantine.replayed", "Released records settled by a replay.", ("outcome",)),
    Metric("circuit.transition", "A circuit changed state.", ("circuit", "from_state", "to_state")),
    Metric("circuit.rejected", "A call rejected because its circuit is open.", ("circuit",)),
    Metric("alert.sent", "An alert, reminder or resolution sent.", ("kind", "category")),
    Metric(
        "alert.suppressed",
        "An alert not sent (duplicate, inhibited, retry pending...).",
        ("reason", "category"),
    ),
    Metric("alert.notifier_failed", "A notifier raised.", ("notifier",)),
)
BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}


class _Airflow:
    """Airflow's ``Stats``, looked up once per process, and whether an increment would go anywhere."""

    stats: Any = None
    incr: Any = None
    get_backend: Any = None
    no_backend: Any = None
    #: The globals of Airflow's stats module: its created backend is read there without a call.
    module: dict[str, Any] = {}

    @classmethod
    def load(cls) -> Any:
        """``Stats``, or ``False`` without Airflow (pure-core use)."""
        try:
            from airflow_errorguard.compat import Stats
        except ImportError:
            cls.stats = False
            return False
        impl = sys.modules.get(getattr(Stats.incr, "__module__", ""))
        cls.incr = Stats.incr
        cls.get_backend = getattr(impl, "_get_backend", None)  # absent elsewhere: always emit
        cls.no_backend = getattr(impl, "NoStatsLogger", None)
        cls.module = vars(impl) if impl is not None else {}
        cls.stats = Stats
        return Stats


def enabled() -> bool:
    """
    Whether an increment would go anywhere: a cheap check for callers on a hot path (the retry
    policy's every decision). ``False`` without Airflow, or with no StatsD/OTel backend (Airflow's
    ``NoStatsLogger``) and ``Stats.incr`` not replaced since (a double in a test, an instrumentation
    shim). Checked on every call, cheaply, as Airflow may configure its backend later or re-create
    it after a fork.
    """
    airflow = _Airflow
    stats = airflow.stats
    if stats is None:
        stats = airflow.load()
    if stats is False:
        return False
    get_backend = airflow.get_backend
    if get_backend is None or airflow.no_backend is None or stats.incr is not airflow.incr:
        return True
    try:
        backend = airflow.module.get("_backend")  # created already: no call (a hot path)
        if backend is None:
            backend = get_backend()
        if type(backend) is not airflow.no_backend:
            return True
    except Exception:
        return True
    QUIET[0] = (stats, stats.incr, airflow.module.get, backend)
    return False


class _Never:
    """What :data:`QUIET` holds until :func:`enabled` said ``False``: its check always fails."""

    incr = None


#: ``[(Stats, Stats.incr, stats module globals' get, backend)]`` as :func:`enabled` last found them
#: when it said ``False``: while ``Stats.incr`` and the module's ``_backend`` are still these very
#: objects, the verdict stands, so a hot path checks two identities instead of calling
#: :func:`enabled` (see :func:`quiet`). A backend configured or re-created later (a fork resets it),
#: or ``Stats.incr`` replaced, fails the check and :func:`enabled` decides again.
QUIET: list[tuple[Any, Any, Any, Any]] = [(_Never, object(), {}.get, object())]


def quiet() -> bool:
    """``not enabled()`` by :data:`QUIET`'s identities alone when they still hold, else by :func:`enabled`."""
    stats, incr, backend_of, backend = QUIET[0]
    if stats.incr is incr and backend_of("_backend") is backend:
        return True
    return not enabled()


def forget_quiet() -> None:
    """Let :func:`enabled` decide on the next check (tests that swap Airflow's stats state)."""
    QUIET[0] = (_Never, object(), {}.get, object())


def _incr(name: str, count: int = 1, **tags: Any) -> None:
    metric = BY_NAME[name]  # an unknown name is a programming error, caught by the tests
    if not enabled():
        return
    stats = _Airflow.stats
    try:
        stats.incr(metric.stats_name, count, tags={k: str(v) for k, v in tags.items() if v is not None})
    except Exception as err:
        log.debug("errorguard: metric %s not emitted: %r", name, err)


def error_classified(category: str, *, dag_id: str | None = None) -> None:
    """One failed try recorded (``errorguard.error.classified``); emitted by the recorder only."""
    _incr("error.classified", category=category, dag_id=dag_id)


def decision_made(decision: str, category: str) -> None:
    """A retry decision taken (``errorguard.decision``, tags ``decision``, ``category``)."""
    _incr("decision", decision=decision, category=category)


def in_process_retry(category: str, count: int = 1) -> None:
    """In-process retry attempts (``errorguard.retry.in_process``)."""
    if count > 0:
        _incr("retry.in_process", count, category=category)


def records_quarantined(count: int, *, dag_id: str | None = None) -> None:
    """Records quarantined (``errorguard.quarantine.records``)."""
    if count > 0:
        _incr("quarantine.records", count, dag_id=dag_id)


def records_replayed(count: int, *, outcome: str) -> None:
    """Released records settled by a replay (``outcome``: ``replayed`` or ``requarantined``)."""
    if count > 0:
        _incr("quarantine.replayed", count, outcome=outcome)


def circuit_transition(circuit: str, from_state: str, to_state: str) -> None:
    """A circuit changed state (``errorguard.circuit.transition``)."""
    _incr("circuit.transition", circuit=circuit, from_state=from_state, to_state=to_state)


def circuit_rejected(circuit: str) -> None:
    """A call rejected because its circuit is open (``errorguard.circuit.rejected``)."""
    _incr("circuit.rejected", circuit=circuit)


def alert_sent(kind: str, *, category: str | None = None) -> None:
    """An alert (``kind``: ``alert``, ``reminder``, ``resolved``) sent (``errorguard.alert.sent``)."""
    _incr("alert.sent", kind=kind, category=category)


def alert_suppressed(reason: str, *, category: str | None = None) -> None:
    """An alert not sent (``reason``: ``duplicate``, ``transient``, ``inhibited``...)."""
    _incr("alert.suppressed", reason=reason, category=category)


def notifier_failed(notifier: str) -> None:
    """A notifier raised (``errorguard.alert.notifier_failed``)."""
    _incr("alert.notifier_failed", notifier=notifier)


def markdown_table() -> str:
    """The docs' metrics table (``docs/alerting.md`` embeds it; a test keeps them equal)."""
    lines = ["| metric | tags | one increment means |", "|---|---|---|"]
    for m in METRICS:
        tags = ", ".join(f"`{t}`" for t in m.tags) or "—"
        lines.append(f"| `{m.stats_name}` | {tags} | {m.description} |")
    return "\n".join(lines)
