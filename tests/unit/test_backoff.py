"""Backoff: ceilings, the bounds of every jitter mode, caps, Retry-After, seeds and validation."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from airflow_errorguard.backoff import JITTERS, Backoff

pytestmark = pytest.mark.unit

DRAWS = 2000


def seconds(delay: timedelta) -> float:
    return delay.total_seconds()


def test_ceiling_doubles_and_is_capped() -> None:
    backoff = Backoff(base_delay=timedelta(seconds=2), max_delay=timedelta(seconds=50), jitter="none")
    assert [backoff.ceiling(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 50, 50]
    assert backoff.ceiling(0) == 2  # retry numbers below 1 count as the first
    assert backoff.ceiling(-5) == 2
    assert backoff.ceiling(10_000) == 50  # no overflow


@pytest.mark.parametrize("retry", [1, 2, 3, 5, 8, 20])
def test_full_jitter_is_uniform_in_zero_to_ceiling(retry: int) -> None:
    backoff = Backoff(
        base_delay=1.0, max_delay=30.0, jitter="full", seed=retry, min_delay=0
    )  # the raw strategy
    ceiling = backoff.ceiling(retry)
    draws = [seconds(backoff.delay(retry)) for _ in range(DRAWS)]
    assert all(0 <= d <= ceiling for d in draws)
    assert min(draws) < ceiling * 0.05 and max(draws) > ceiling * 0.95  # spans the interval
    assert len(set(draws)) > DRAWS * 0.9  # really random


@pytest.mark.parametrize("retry", [1, 2, 3, 5, 8, 20])
def test_equal_jitter_is_in_half_ceiling_to_ceiling(retry: int) -> None:
    backoff = Backoff(base_delay=1.0, max_delay=30.0, jitter="equal", seed=retry, min_delay=0)
    ceiling = backoff.ceiling(retry)
    draws = [seconds(backoff.delay(retry)) for _ in range(DRAWS)]
    assert all(ceiling / 2 <= d <= ceiling for d in draws)
    assert min(draws) < ceiling * 0.55 and max(draws) > ceiling * 0.95


@pytest.mark.parametrize("previous", [0.0, 0.5, 1.0, 4.0, 9.0, 25.0, 100.0])
def test_decorrelated_jitter_is_in_base_to_three_times_previous(previous: float) -> None:
    base, cap = 1.0, 30.0
    backoff = Backoff(base_delay=base, max_delay=cap, jitter="decorrelated", seed=7)
    upper = min(cap, max(base, 3 * previous))
    draws = [seconds(backoff.delay(3, previous=timedelta(seconds=previous))) for _ in range(DRAWS)]
    assert all(base <= d <= upper for d in draws)
    if upper > base:
        assert max(draws) > base + (upper - base) * 0.95


def test_decorrelated_without_previous_uses_the_previous_ceiling() -> None:
    backoff = Backoff(base_delay=1.0, max_delay=100.0, jitter="decorrelated", seed=3)
    for retry in range(1, 8):
        upper = min(100.0, max(1.0, 3 * backoff.ceiling(retry - 1)))
        draws = [seconds(backoff.delay(retry)) for _ in range(300)]
        assert all(1.0 <= d <= upper for d in draws)


def test_decorrelated_chain_stays_bounded() -> None:
    backoff = Backoff(base_delay=0.5, max_delay=20.0, jitter="decorrelated", seed=11)
    previous = None
    for retry in range(1, 200):
        delay = backoff.delay(retry, previous=previous)
        bound = 20.0 if previous is None else min(20.0, max(0.5, 3 * seconds(previous)))
        assert 0.5 <= seconds(delay) <= bound
        previous = delay


def test_no_jitter_is_the_ceiling() -> None:
    backoff = Backoff(base_delay=timedelta(milliseconds=250), max_delay=timedelta(seconds=3), jitter="none")
    assert [seconds(backoff.delay(n)) for n in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize("jitter", JITTERS)
def test_every_mode_respects_the_cap(jitter: str) -> None:
    backoff = Backoff(base_delay=4.0, max_delay=10.0, jitter=jitter, seed=5)  # type: ignore[arg-type]
    for retry in range(1, 30):
        assert 0 <= seconds(backoff.delay(retry, previous=timedelta(seconds=1000))) <= 10.0


@pytest.mark.parametrize("jitter", JITTERS)
def test_retry_after_wins_when_larger_and_is_still_capped(jitter: str) -> None:
    backoff = Backoff(base_delay=1.0, max_delay=60.0, jitter=jitter, seed=2)  # type: ignore[arg-type]
    for _ in range(200):
        assert seconds(backoff.delay(1, retry_after=timedelta(seconds=7))) >= 7.0
        assert seconds(backoff.delay(1, retry_after=timedelta(seconds=7))) <= 60.0
    assert seconds(backoff.delay(1, retry_after=timedelta(hours=2))) == 60.0
    # A smaller Retry-After does not shorten the backoff.
    none = Backoff(base_delay=8.0, max_delay=60.0, jitter="none")
    assert seconds(none.delay(2, retry_after=timedelta(seconds=1))) == 16.0


@pytest.mark.parametrize("jitter", ["full", "equal", "decorrelated"])
def test_seed_makes_delays_reproducible(jitter: str) -> None:
    def sequence(seed: int | None) -> list[float]:
        backoff = Backoff(base_delay=1.0, max_delay=100.0, jitter=jitter, seed=seed)  # type: ignore[arg-type]
        return [seconds(backoff.delay(n)) for n in range(1, 12)]

    assert sequence(42) == sequence(42)
    assert sequence(42) != sequence(43)
    assert sequence(None) != sequence(None)


def test_injected_random_generator() -> None:
    first = Backoff(base_delay=1.0, max_delay=100.0, rng=random.Random(9))
    second = Backoff(base_delay=1.0, max_delay=100.0, rng=random.Random(9))
    assert [first.delay(n) for n in range(1, 6)] == [second.delay(n) for n in range(1, 6)]


def test_numbers_and_timedeltas_are_equivalent() -> None:
    from_numbers = Backoff(base_delay=1.5, max_delay=90, deadline=120)
    assert from_numbers.base_delay == timedelta(seconds=1.5)
    assert from_numbers.max_delay == timedelta(seconds=90)
    assert from_numbers.deadline == timedelta(minutes=2)
    assert from_numbers == Backoff(
        base_delay=timedelta(seconds=1.5), max_delay=timedelta(seconds=90), deadline=timedelta(minutes=2)
    )
    assert Backoff(deadline=None).deadline is None
    zero = Backoff(base_delay=0, max_delay=0)
    assert seconds(zero.delay(5)) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"base_delay": -1}, ValueError, "base_delay must be >= 0"),
        ({"base_delay": float("nan")}, ValueError, "base_delay"),
        ({"base_delay": "5"}, TypeError, "base_delay must be a timedelta or a number"),
        ({"base_delay": True}, TypeError, "base_delay"),
        ({"max_delay": timedelta(seconds=-1)}, ValueError, "max_delay must be >= 0"),
        ({"base_delay": 10, "max_delay": 5}, ValueError, "max_delay (5.0s) must be >= base_delay (10.0s)"),
        ({"deadline": -3}, ValueError, "deadline must be >= 0"),
        ({"deadline": "soon"}, TypeError, "deadline"),
        ({"jitter": "wobbly"}, ValueError, "jitter must be one of full, equal, decorrelated, none"),
        ({"max_attempts": 0}, ValueError, "max_attempts must be a whole number >= 1"),
        ({"max_attempts": 2.5}, ValueError, "max_attempts"),
        ({"max_attempts": True}, ValueError, "max_attempts"),
    ],
)
def test_validation(kwargs: dict[str, Any], error: type[Exception], text: str) -> None:
    with pytest.raises(error) as info:
        Backoff(**kwargs)
    assert text in str(info.value)


def test_from_mapping() -> None:
    backoff = Backoff.from_mapping({"base_delay": 2, "max_delay": 20, "jitter": "equal", "max_attempts": 4})
    assert backoff == Backoff(base_delay=2, max_delay=20, jitter="equal", max_attempts=4)
    with pytest.raises(ValueError, match=r"unknown backoff option\(s\) \['speed'\]"):
        Backoff.from_mapping({"speed": 3})


def test_a_jittered_delay_is_never_below_the_floor() -> None:
    """Full jitter draws from [0, ceiling]; the floor (default 1 s) keeps "retry in 0.0s" away."""
    backoff = Backoff(base_delay=10.0, max_delay=600.0, jitter="full", seed=1)
    assert backoff.min_delay == timedelta(seconds=1)
    delays = [seconds(backoff.delay(n)) for n in (1, 2, 3) for _ in range(DRAWS)]
    assert min(delays) == 1.0  # some draws land below 1 s and are raised to the floor
    assert max(delays) <= 40.0


@pytest.mark.parametrize("jitter", JITTERS)
def test_the_floor_holds_for_every_jitter_and_defaults_to_base_when_smaller(jitter: str) -> None:
    small = Backoff(base_delay=0.25, max_delay=5.0, jitter=jitter, seed=3)  # type: ignore[arg-type]
    assert small.min_delay == timedelta(seconds=0.25)
    assert min(seconds(small.delay(n)) for n in range(1, 6) for _ in range(400)) >= 0.25
    custom = Backoff(base_delay=8.0, max_delay=60.0, jitter=jitter, min_delay=3, seed=4)  # type: ignore[arg-type]
    assert min(seconds(custom.delay(1)) for _ in range(DRAWS)) >= 3.0


def test_a_zero_floor_turns_it_off_and_a_floor_above_base_is_refused() -> None:
    off = Backoff(base_delay=10.0, max_delay=600.0, jitter="full", min_delay=0, seed=1)
    assert min(seconds(off.delay(1)) for _ in range(DRAWS)) < 1.0
    with pytest.raises(ValueError, match=r"min_delay \(5.0s\) must be <= base_delay \(2.0s\)"):
        Backoff(base_delay=2.0, min_delay=5)
    assert Backoff.from_mapping({"base_delay": 4, "min_delay": 2}).min_delay == timedelta(seconds=2)


def test_jitter_strategies_are_small_callables() -> None:
    from airflow_errorguard.backoff import JITTER_STRATEGIES, EqualJitter, FullJitter, NoJitter

    rng = random.Random(0)
    assert NoJitter()(8.0, base=1.0, previous=4.0, rng=rng) == 8.0
    assert 4.0 <= EqualJitter()(8.0, base=1.0, previous=4.0, rng=rng) <= 8.0
    assert 0.0 <= FullJitter()(8.0, base=1.0, previous=4.0, rng=rng) <= 8.0
    assert tuple(JITTER_STRATEGIES) == JITTERS


@pytest.mark.parametrize("jitter", ["full", "equal", "decorrelated", "none"])
def test_the_precomputed_draw_gives_the_strategys_delays(jitter: str) -> None:
    """The per-retry-number draw (no ``previous``) is the strategy's own: same seeded values."""
    fast = Backoff(base_delay=2, max_delay=300, jitter=jitter, seed=7)  # type: ignore[arg-type]
    general = Backoff(base_delay=2, max_delay=300, jitter=jitter, seed=7)  # type: ignore[arg-type]
    for retry in [*range(1, 12), 70]:
        previous = timedelta(seconds=general.ceiling(retry - 1))  # what the fast path assumes
        assert fast.delay(retry) == general.delay(retry, previous=previous)
        asked = timedelta(seconds=retry * 7)
        assert fast.delay(retry, retry_after=asked) == general.delay(
            retry, retry_after=asked, previous=previous
        )
