"""
Classification accuracy on the live corpus: the share of acceptable verdicts per family.

Every exception of ``tests/corpus/`` is raised live, now, by a real client against a real loopback
service (PostgreSQL, MariaDB, Redis, RabbitMQ, and in-process HTTP, TLS, gRPC and SMTP servers);
each case lists the categories that are acceptable. The built-in knowledge alone classifies them
(no user rules). Goal: at least 97 % acceptable, and no configuration error ever called transient.

Run with ``make bench`` (or ``python benchmarks/bench_classification_accuracy.py``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

_HOME = tempfile.TemporaryDirectory(prefix="errorguard-bench-")  # removed when the process exits
os.environ.setdefault("AIRFLOW_HOME", _HOME.name)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from airflow_errorguard.classification.classifier import Classifier  # noqa: E402
from airflow_errorguard.classification.model import ErrorCategory  # noqa: E402
from airflow_errorguard.cli.output import stdout_to_stderr  # noqa: E402
from tests.corpus.build import corpus  # noqa: E402

GOAL = 0.97


def main() -> int:
    classifier = Classifier()
    # the clients' and Airflow's log lines printed while the corpus is raised are not this
    # benchmark's output (``make bench`` publishes stdout)
    with stdout_to_stderr(), corpus() as (cases, missing):
        per_family: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        misses: list[str] = []
        for case in cases:
            verdict = classifier.classify(case.exc)
            row = per_family[case.family]
            row[0] += 1
            if not case.reproduced:
                misses.append(f"  {case.id}: the scenario did not raise")
            elif verdict.category in case.accept:
                row[1] += 1
            else:
                misses.append(
                    f"  {case.id}: {verdict.category.value} (acceptable: "
                    f"{'/'.join(sorted(c.value for c in case.accept))})"
                )
            if verdict.category is ErrorCategory.TRANSIENT and case.accept == {ErrorCategory.CONFIGURATION}:
                row[2] += 1
    print(f"{'family':12} {'cases':>5} {'acceptable':>10} {'share':>7} {'config->transient':>18}")
    total = [0, 0, 0]
    for family, (count, good, wrong) in per_family.items():
        print(f"{family:12} {count:5d} {good:10d} {good / count:7.1%} {wrong:18d}")
        total = [total[0] + count, total[1] + good, total[2] + wrong]
    share = total[1] / total[0] if total[0] else 0.0
    print(f"{'all':12} {total[0]:5d} {total[1]:10d} {share:7.1%} {total[2]:18d}")
    print(f"goal: >= {GOAL:.0%} acceptable and 0 configuration errors classified transient")
    if missing:
        print(
            "families not measured (service unreachable): "
            + "; ".join(f"{k}: {v}" for k, v in missing.items())
        )
    if misses:
        print("not acceptable:")
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
