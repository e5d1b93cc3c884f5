"""
Decision latency: errorguard's classify + evaluate against Airflow's ``ExceptionRetryPolicy``.

Both policies see the same corpus of real library exceptions (chains and groups included), raised
afresh several times. **Cold**: every evaluation misses the verdict cache (a failure never seen
before); **warm**: the same failures as new exception objects, as when one outage or poison value
repeats. The baseline is given an equivalent class-only rule list: one ``RetryRule`` per category listing the
exception classes that errorguard puts in that category. Both are measured in this run, on this
machine, so the ratio is meaningful; absolute figures are not.

Run with ``make bench`` (or ``python benchmarks/bench_decision.py``).
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_HOME = tempfile.TemporaryDirectory(prefix="errorguard-bench-")  # removed when the process exits
os.environ.setdefault("AIRFLOW_HOME", _HOME.name)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule  # noqa: E402
from corpus import build_corpus  # noqa: E402

from airflow_errorguard import Classifier, ErrorCategory, ErrorGuardRetryPolicy  # noqa: E402

ROUNDS = int(os.environ.get("ERRORGUARD_BENCH_ROUNDS", "100"))
#: Fresh raisings of the corpus: a warm run meets the same failures as new exception objects.
TWIN_SETS = 4


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _measure(evaluate: Callable[[BaseException], object], corpus: list[BaseException]) -> list[float]:
    for exc in corpus * 20:  # warm caches (class lookups, regex) like a long-lived worker
        evaluate(exc)
    samples: list[float] = []
    clock = time.perf_counter_ns
    gc.disable()
    try:
        for _ in range(ROUNDS):
            for exc in corpus:
                start = clock()
                evaluate(exc)
                samples.append((clock() - start) / 1000.0)
    finally:
        gc.enable()
    return samples


def _equivalent_baseline(policy: ErrorGuardRetryPolicy, corpus: list[BaseException]) -> ExceptionRetryPolicy:
    """Class-only rules sending each exception class where errorguard's verdict sends it."""
    by_action: dict[RetryAction, list[type[BaseException]]] = {RetryAction.RETRY: [], RetryAction.FAIL: []}
    for exc in corpus:
        verdict = policy.classifier.classify(exc)
        if verdict.category is ErrorCategory.UNKNOWN:
            continue
        action = RetryAction.RETRY if verdict.category is ErrorCategory.TRANSIENT else RetryAction.FAIL
        if type(exc) not in by_action[action]:
            by_action[action].append(type(exc))
    rules = [RetryRule(exception=list(classes), action=action) for action, classes in by_action.items()]
    return ExceptionRetryPolicy(rules=rules)


def _measure_cold(policy: ErrorGuardRetryPolicy, corpus: list[BaseException]) -> list[float]:
    """Every evaluation a verdict-cache miss, as for a failure never seen before."""
    for exc in corpus * 20:
        policy.evaluate(exc, 1, 3)
    cache = policy.classifier.cache
    samples: list[float] = []
    clock = time.perf_counter_ns
    gc.disable()
    try:
        for _ in range(ROUNDS):
            for exc in corpus:
                cache.clear()
                start = clock()
                policy.evaluate(exc, 1, 3)
                samples.append((clock() - start) / 1000.0)
    finally:
        gc.enable()
    return samples


#: Blocks per exception of the load-robust statistic (its fastest block counts).
BLOCKS = 9


def _fastest(
    evaluate: Callable[..., object], items: list[BaseException], before: Callable[[], object]
) -> float:
    """The fastest of :data:`BLOCKS` blocks of 20 rounds over *items* (*before* each call, not
    timed apart: pass a no-op or subtract its own cost), in µs per call."""
    clock = time.perf_counter_ns
    best = float("inf")
    for _ in range(BLOCKS):
        start = clock()
        for _ in range(20):
            for exc in items:
                before()
                evaluate(exc, 1, 3)
        best = min(best, (clock() - start) / (20 * len(items)) / 1000.0)
    return best


def _robust(
    policy: ErrorGuardRetryPolicy,
    baseline: ExceptionRetryPolicy,
    corpus: list[BaseException],
    twins: list[BaseException],
) -> tuple[float, float, float]:
    """
    Medians over the corpus of each exception's fastest block: Airflow, warm and cold. A shared,
    loaded machine slows some blocks, rarely all of one exception's, so this moves less than p50.
    """
    cache = policy.classifier.cache

    def nothing() -> None:
        pass

    def no_evaluate(exc: BaseException, try_number: int, max_tries: int) -> None:
        pass

    theirs, warm, cold = [], [], []
    gc.disable()
    try:
        for index, exc in enumerate(corpus):
            same = twins[index :: len(corpus)]  # its fresh raisings
            theirs.append(_fastest(baseline.evaluate, same, nothing))
            warm.append(_fastest(policy.evaluate, same, nothing))
            clearing = _fastest(no_evaluate, [exc], cache.clear)
            cold.append(_fastest(policy.evaluate, [exc], cache.clear) - clearing)
    finally:
        gc.enable()
    return statistics.median(theirs), statistics.median(warm), statistics.median(cold)


def main() -> None:
    corpus = build_corpus()
    twins = [exc for _ in range(TWIN_SETS) for exc in build_corpus()]  # the same failures, raised again
    policy = ErrorGuardRetryPolicy()
    baseline = _equivalent_baseline(policy, corpus)
    theirs = _measure(lambda exc: baseline.evaluate(exc, 1, 3), twins)
    cold = _measure_cold(policy, corpus)
    for exc in corpus:  # seen once: the twins repeat these fingerprints
        policy.evaluate(exc, 1, 3)
    warm = _measure(lambda exc: policy.evaluate(exc, 1, 3), twins)
    full = _measure(lambda exc: policy.classifier.classify(exc).fingerprint, twins)
    uncached = Classifier(rules=policy.classifier.rules, cache_size=0)
    plain = _measure(uncached.classify, twins)
    cached = _measure(policy.classifier.classify, twins)
    t50, t99 = _percentiles(theirs)
    rows = [
        ("errorguard evaluate, cold (cache miss)", cold),
        ("errorguard evaluate, warm (repeated failure)", warm),
        ("errorguard classify + fingerprint, warm", full),
        ("errorguard classify, no verdict cache", plain),
        ("errorguard classify, warm", cached),
    ]
    categories = {policy.classifier.classify(exc).category.value for exc in corpus}
    print(f"bench_decision: {len(corpus)} real exceptions x {TWIN_SETS} fresh raisings x {ROUNDS} rounds")
    print(f"categories seen: {', '.join(sorted(categories))}")
    print(f"{'':46} {'p50 us':>9} {'p99 us':>9} {'p50 vs Airflow':>15}")
    for label, samples in rows:
        p50, p99 = _percentiles(samples)
        print(f"{label:46} {p50:9.2f} {p99:9.2f} {p50 / t50:14.2f}x")
    print(f"{'Airflow ExceptionRetryPolicy (class-only)':46} {t50:9.2f} {t99:9.2f} {1:14.2f}x")
    c50, w50 = _percentiles(cold)[0], _percentiles(warm)[0]
    print(
        f"ratio errorguard/Airflow: cold p50 {c50 / t50:.2f}x (target <= 3x), "
        f"warm p50 {w50 / t50:.2f}x (target <= 1.5x)"
    )
    robust = _robust(policy, baseline, corpus, twins)
    print(
        f"load-robust (per exception fastest of {BLOCKS} blocks, median over the corpus): Airflow "
        f"{robust[0]:.2f} us, warm {robust[1]:.2f} us ({robust[1] / robust[0]:.2f}x), "
        f"cold {robust[2]:.2f} us ({robust[2] / robust[0]:.2f}x)"
    )
    print(
        "interleaving (pooled p50 / load-robust: each call after a different failure, against one "
        f"failure in a row): Airflow {t50 / robust[0]:.2f}x, errorguard warm {w50 / robust[1]:.2f}x, "
        f"cold {c50 / robust[2]:.2f}x"
    )
    cache = policy.classifier.cache
    print(
        f"verdict cache: {cache.hits} hits ({cache.quick_hits} by the quick key), {cache.misses} misses; "
        f"compiled class tables: {cache.table_hits} verdicts"
    )
    _public_classify(corpus)


def _public_classify(corpus: list[BaseException]) -> None:
    """The public ``classify(exc)`` (configured default classifier) against a prebuilt one."""
    from airflow_errorguard import classify
    from airflow_errorguard.configured import build_classifier

    prebuilt = build_classifier()
    p50, _ = _percentiles(_measure(classify, corpus))
    b50, _ = _percentiles(_measure(prebuilt.classify, corpus))
    print(f"{'public classify(exc)':44} {p50:9.2f}")
    print(f"{'prebuilt Classifier.classify(exc)':44} {b50:9.2f}")
    print(f"ratio public/prebuilt classify: p50 {p50 / b50:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
