"""The pictures, the error summary and the sensor's hold reason, without a server."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest

from airflow_errorguard.breaker.storage import CircuitEvent
from airflow_errorguard.manage.timelines import circuit_timeline
from airflow_errorguard.manage.trends import Buckets, Series
from airflow_errorguard.sensors.circuit_breaker import hold_reason
from airflow_errorguard.ui import charts
from airflow_errorguard.ui.render import short_error

pytestmark = pytest.mark.unit
T0 = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _event(n: int, minutes: int, from_state: str, to_state: str, dag_id: str | None = "d") -> CircuitEvent:
    return CircuitEvent(
        id=n, circuit="c", from_state=from_state, to_state=to_state, reason=None, actor="d.t",
        dag_id=dag_id, task_id="t", run_id="r", map_index=-1, failure_rate=None, calls_in_window=None,
        next_probe_at=None, created_at=T0 + timedelta(minutes=minutes),
    )  # fmt: skip


def test_circuit_timeline_bands_and_trips() -> None:
    events = [
        _event(2, 30, "open", "half_open"),
        _event(1, 10, "closed", "open"),
        _event(3, 40, "half_open", "closed"),
    ]
    timeline = circuit_timeline(events, "closed", T0, T0 + timedelta(hours=1))
    assert [(b.state, b.start.minute, b.end.minute) for b in timeline.bands] == [
        ("closed", 0, 10), ("open", 10, 30), ("half_open", 30, 40), ("closed", 40, 0),
    ]  # fmt: skip
    assert timeline.trips == [T0 + timedelta(minutes=10)]
    svg = charts.state_timeline(timeline, "c <b>")
    assert svg.count('class="eg-band eg-band-') == 4 and svg.count('class="eg-trip"') == 1
    assert "c &lt;b&gt;" in svg and "<b>" not in svg


def test_a_busy_timeline_draws_a_band_and_a_trip_marker_per_pixel_at_most_and_counts_every_trip() -> None:
    states = [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    events = [_event(n, 0, *states[n % 3]) for n in range(3000)]
    events = [
        ev.__class__(**{**ev.__dict__, "created_at": T0 + timedelta(seconds=20 * n)})
        for n, ev in enumerate(events)
    ]
    # An hour of quiet at the end: a wide band of its own, in its own state.
    timeline = circuit_timeline(events, "closed", T0, T0 + timedelta(hours=17, minutes=40))
    assert len(timeline.trips) == 1000
    svg = charts.state_timeline(timeline, "busy", width=240, height=18, axis=False)
    bands, trips = svg.count('class="eg-band '), svg.count('class="eg-trip"')
    assert 0 < bands <= 236 and 0 < trips <= 237 and len(svg) < 80_000
    counted = sum(int(t) for t in re.findall(r"tripped (\d+) times", svg)) + svg.count("tripped at ")
    assert counted == 1000  # every trip is marked, several per marker
    xs = [
        (float(a), float(a) + float(w))
        for a, w in re.findall(r'<rect[^>]* x="([\d.]+)"[^>]* width="([\d.]+)"', svg)
    ]
    assert all(abs(x1 - nxt) < 0.11 for (_, x1), (nxt, _) in itertools.pairwise(xs))  # contiguous
    assert svg.count("eg-band-closed") >= 1 and "3000 states" not in svg
    assert svg.rfind("eg-band-closed") > svg.rfind("states, mostly")  # the quiet hour stays its own band
    few = charts.state_timeline(circuit_timeline(events[:3], "closed", T0, T0 + timedelta(hours=1)), "few")
    assert few.count('class="eg-band ') == 3 and few.count("tripped at ") == 1  # wide bands unchanged


def test_no_transition_in_the_window_is_one_band_of_the_current_state() -> None:
    timeline = circuit_timeline([], "forced_open", T0, T0 + timedelta(hours=1))
    assert [b.state for b in timeline.bands] == ["forced_open"] and timeline.trips == []


def test_stacked_bars_escape_series_names_and_scale_to_the_peak() -> None:
    buckets = Buckets.ending(T0, 3, 1)
    assert len(buckets) == 3 and buckets.end > T0 >= buckets.edges[-2]
    svg = charts.stacked_bars([Series("<img onerror=x>", [1, 0, 4]), Series("b", [1, 0, 0])], buckets, "x")
    assert "<img" not in svg and "&lt;img onerror=x&gt;" in svg
    assert svg.count("<rect") == 3 and ">4</text>" in svg  # the y axis tops at the tallest column (4)
    assert charts.sparkline([0, 2, 1], "s").count("<polyline") == 1


def test_short_error_keeps_the_line_that_says_what_is_wrong() -> None:
    text, cut = short_error("pandas.errors.ParserError", "loading batch 7\nValueError: 'abc' is not a number")
    assert text == "ParserError: ValueError: 'abc' is not a number" and cut
    assert short_error("builtins.ValueError", "bad amount") == ("ValueError: bad amount", False)
    long, cut = short_error(None, "x" * 500)
    assert len(long) == 140 and long.endswith("…") and cut


def test_the_sensor_says_why_it_holds() -> None:
    assert hold_reason({"state": "open", "next_probe_at": "2026-11-23T12:00:00+00:00"}).startswith(
        "next probe at"
    )
    assert "forced open" in hold_reason({"state": "forced_open", "next_probe_at": None})
    assert "None" not in hold_reason({"state": "half_open", "next_probe_at": None})
