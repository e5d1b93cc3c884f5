"""
Prometheus alerting rules and a Grafana dashboard over :data:`~airflow_errorguard.metrics.METRICS`.

Both are generated from that one list, so rules, dashboard and emitters cannot drift; the shipped
copies live in ``deploy/prometheus/`` and ``deploy/grafana/`` (a test regenerates and compares
them, and runs ``promtool check rules``). Series names follow one of two paths:

* ``statsd`` (shipped): Airflow's StatsD client → ``statsd_exporter`` without a mapping file:
  ``<statsd_prefix>_errorguard_error_classified``; labels exist only when Airflow sends tags
  (``[metrics] statsd_datadog_enabled = True``; statsd_exporter reads DogStatsD tags).
* ``otel``: Airflow's OpenTelemetry metrics → the collector's Prometheus exporter, which adds
  ``_total`` to counters: ``<otel_prefix>_errorguard_error_classified_total``.

Regenerate with ``python -m airflow_errorguard.monitoring --out deploy``.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_errorguard.metrics import BY_NAME, METRICS, Metric

RULES_FILE = Path("prometheus") / "errorguard-alerts.yml"
DASHBOARD_FILE = Path("grafana") / "errorguard-dashboard.json"


def series(metric: Metric, *, naming: str = "statsd", prefix: str = "airflow") -> str:
    """The Prometheus series name of *metric* on the *naming* path."""
    if naming == "statsd":
        return metric.prometheus_name(prefix)
    if naming == "otel":
        return metric.prometheus_name(prefix) + "_total"
    raise ValueError(f"naming must be 'statsd' or 'otel', got {naming!r}")


@dataclass(frozen=True)
class AlertRule:
    """One alert: ``sum(increase(<metric>{selector}[window])) > threshold``."""

    name: str
    metric: str
    window: str
    threshold: int
    severity: str
    summary: str
    selector: str = ""
    for_: str = "0m"

    def expr(self, naming: str, prefix: str) -> str:
        name = series(BY_NAME[self.metric], naming=naming, prefix=prefix)
        return f"sum(increase({name}{self.selector}[{self.window}])) > {self.threshold}"


ALERTS: tuple[AlertRule, ...] = (
    AlertRule(
        "ErrorguardFailureSurge",
        "error.classified",
        "15m",
        20,
        "warning",
        "More than 20 failed task tries recorded by errorguard in 15 minutes.",
    ),
    AlertRule(
        "ErrorguardCircuitOpened",
        "circuit.transition",
        "5m",
        0,
        "warning",
        "A circuit breaker opened: calls to its dependency are being held back.",
        selector='{to_state="open"}',
    ),
    AlertRule(
        "ErrorguardCircuitRejecting",
        "circuit.rejected",
        "10m",
        0,
        "info",
        "Calls are being rejected by an open circuit.",
    ),
    AlertRule(
        "ErrorguardQuarantineGrowing",
        "quarantine.records",
        "1h",
        100,
        "warning",
        "More than 100 records quarantined in an hour: check the quarantine page.",
    ),
    AlertRule(
        "ErrorguardNotifierFailing",
        "alert.notifier_failed",
        "15m",
        0,
        "critical",
        "An alert notifier is failing: on-call may not be hearing about failures.",
        for_="5m",
    ),
)


def alert_rules(*, naming: str = "statsd", prefix: str = "airflow") -> dict[str, Any]:
    """The Prometheus rules file (as data)."""
    rules = [
        {
            "alert": rule.name,
            "expr": rule.expr(naming, prefix),
            "for": rule.for_,
            "labels": {"severity": rule.severity, "component": "errorguard"},
            "annotations": {"summary": rule.summary, "metric": BY_NAME[rule.metric].stats_name},
        }
        for rule in ALERTS
    ]
    return {"groups": [{"name": "errorguard", "rules": rules}]}


def dashboard(*, naming: str = "statsd", prefix: str = "airflow") -> dict[str, Any]:
    """The Grafana dashboard (as data): one rate panel per metric, split by its first tag."""
    source = {"type": "prometheus", "uid": "${datasource}"}
    panels = []
    for n, metric in enumerate(METRICS):
        name = series(metric, naming=naming, prefix=prefix)
        by = f" by ({metric.tags[0]})" if metric.tags else ""
        panels.append(
            {
                "id": n + 1,
                "type": "timeseries",
                "title": metric.stats_name,
                "description": metric.description,
                "datasource": source,
                "gridPos": {"h": 8, "w": 12, "x": 12 * (n % 2), "y": 8 * (n // 2)},
                "targets": [
                    {
                        "refId": "A",
                        "datasource": source,
                        "expr": f"sum{by} (rate({name}[5m]))",
                        "legendFormat": f"{{{{{metric.tags[0]}}}}}" if metric.tags else metric.name,
                    }
                ],
                "fieldConfig": {"defaults": {"unit": "ops"}, "overrides": []},
                "options": {},
            }
        )
    return {
        "uid": "errorguard",
        "title": "errorguard",
        "tags": ["airflow", "errorguard"],
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"}
            ]
        },
        "panels": panels,
    }


_SERIES = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*[{\[])")


def series_in(expr: str) -> set[str]:
    """Series names selected in a PromQL *expr* (names followed by ``{`` or ``[``)."""
    return set(_SERIES.findall(expr))


def render_rules(**kwargs: Any) -> str:
    """The rules file's text (YAML)."""
    import yaml

    header = (
        "# Generated by `python -m airflow_errorguard.monitoring` from airflow_errorguard.metrics.METRICS.\n"
    )
    return header + yaml.safe_dump(alert_rules(**kwargs), sort_keys=False, width=100)


def render_dashboard(**kwargs: Any) -> str:
    """The dashboard file's text."""
    return json.dumps(dashboard(**kwargs), indent=2) + "\n"


def write(out: Path, *, naming: str = "statsd", prefix: str = "airflow") -> list[Path]:
    """Write the rules and the dashboard under *out*; returns the paths."""
    written = []
    for path, text in (
        (out / RULES_FILE, render_rules(naming=naming, prefix=prefix)),
        (out / DASHBOARD_FILE, render_dashboard(naming=naming, prefix=prefix)),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("deploy"))
    parser.add_argument("--naming", choices=("statsd", "otel"), default="statsd")
    parser.add_argument("--prefix", default="airflow", help="[metrics] statsd_prefix or otel_prefix")
    args = parser.parse_args(argv)
    for path in write(args.out, naming=args.naming, prefix=args.prefix):
        print(path)


if __name__ == "__main__":
    main()
