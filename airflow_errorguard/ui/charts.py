"""
Server-side SVG pictures (no JavaScript, no library: they work offline and under the page's CSP).

Every function returns escaped :class:`~markupsafe.Markup`; colours come from CSS classes
(``eg-s0``... for series, ``eg-band-<state>`` for circuit states) so light and dark themes apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup, escape

from airflow_errorguard.manage.timelines import Timeline
from airflow_errorguard.manage.trends import Buckets, Series


def _t(value: datetime, long: bool = False) -> str:
    return value.strftime("%Y-%m-%d %H:%M" if long else "%m-%d %H:%M")


def _svg(width: int, height: int, label: str, body: list[str], css: str) -> Markup:
    return Markup(
        f'<svg class="eg-chart {css}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _axis(x0: float, x1: float, y: float, start: datetime, end: datetime) -> list[str]:
    return [
        f'<line class="eg-axis" x1="{x0}" y1="{y}" x2="{x1}" y2="{y}"/>',
        f'<text class="eg-tick" x="{x0}" y="{y + 12}">{escape(_t(start))}</text>',
        f'<text class="eg-tick" x="{x1}" y="{y + 12}" text-anchor="end">{escape(_t(end))} UTC</text>',
    ]


def stacked_bars(
    series: Sequence[Series], buckets: Buckets, label: str, width: int = 720, height: int = 150
) -> Markup:
    """One bar per bucket, stacked by series (``eg-s<i>`` colours, in legend order)."""
    top, bottom, left, right = 14, height - 18, 34, width - 4
    totals = [sum(s.counts[i] for s in series) for i in range(len(buckets))]
    peak = max(totals, default=0) or 1
    slot = (right - left) / len(buckets)
    body = [
        f'<text class="eg-tick" x="{left - 4}" y="{top + 4}" text-anchor="end">{peak}</text>',
        f'<text class="eg-tick" x="{left - 4}" y="{bottom}" text-anchor="end">0</text>',
        f'<line class="eg-grid" x1="{left}" y1="{top}" x2="{right}" y2="{top}"/>',
    ]
    for i in range(len(buckets)):
        y = float(bottom)
        for n, s in enumerate(series):
            count = s.counts[i]
            if not count:
                continue
            h = (bottom - top) * count / peak
            y -= h
            tip = f"{s.name}: {count} ({_t(buckets.edges[i], True)} to {_t(buckets.edges[i + 1])} UTC)"
            body.append(
                f'<rect class="eg-s{n % 9}" x="{left + i * slot + 1:.1f}" y="{y:.1f}" '
                f'width="{max(slot - 2, 1):.1f}" height="{h:.1f}"><title>{escape(tip)}</title></rect>'
            )
    body += _axis(left, right, bottom, buckets.start, buckets.end)
    return _svg(width, height, label, body, "eg-bars")


def sparkline(counts: Sequence[int], label: str, width: int = 120, height: int = 24) -> Markup:
    """A small line of counts per bucket (peak marked)."""
    peak = max(counts, default=0) or 1
    step = width / max(len(counts) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (height - 4) * c / peak:.1f}" for i, c in enumerate(counts)
    )
    area = f"0,{height} {points} {width},{height}"
    body = [
        f'<polygon class="eg-spark-area" points="{area}"/>',
        f'<polyline class="eg-spark" points="{points}"/>',
    ]
    return _svg(width, height, label, body, "eg-sparkline")


def _x(at: datetime, start: datetime, end: datetime, left: float, right: float) -> float:
    span = (end - start).total_seconds() or 1.0
    return left + (right - left) * min(max((at - start).total_seconds() / span, 0.0), 1.0)


def _bands(timeline: Timeline, left: float, right: float) -> list[tuple[float, float, str, str]]:
    """
    ``(x0, x1, state, tip)`` per drawn band: bands narrower than a pixel are merged with their
    neighbours until the group is a pixel wide (drawn in the state it spent most time in), so a
    timeline has at most one band per pixel however many transitions it covers.
    """
    groups: list[tuple[float, float, dict[str, float], datetime, datetime, int]] = []
    origin = timeline.start.timestamp()
    scale = (right - left) / ((timeline.end - timeline.start).total_seconds() or 1.0)
    for band in timeline.bands:  # _x, inlined: thousands of bands on a busy circuit's timeline
        started, ended = band.start.timestamp() - origin, band.end.timestamp() - origin
        x0 = left + min(max(started * scale, 0.0), right - left)
        x1 = left + min(max(ended * scale, 0.0), right - left)
        seconds = ended - started
        if groups and (x1 - x0 < 1 or groups[-1][1] - groups[-1][0] < 1):
            g0, _, time_in, start, _, n = groups[-1]
            time_in[band.state] = time_in.get(band.state, 0.0) + seconds
            groups[-1] = (g0, x1, time_in, start, band.end, n + 1)
        else:
            groups.append((x0, x1, {band.state: seconds}, band.start, band.end, 1))
    drawn = []
    for x0, x1, time_in, start, end, n in groups:
        state = max(time_in.items(), key=lambda item: item[1])[0]
        span = f"{_t(start, True)} to {_t(end, True)} UTC"
        tip = f"{state}: {span}" if n == 1 else f"{n} states, mostly {state}: {span}"
        drawn.append((x0, x1, state, tip))
    return drawn


def _trips(timeline: Timeline, left: float, right: float) -> list[tuple[float, str]]:
    """``(x, tip)`` per trip marker: trips in the same pixel share one marker that counts them."""
    marks: dict[int, list[datetime]] = {}
    for trip in sorted(timeline.trips):
        marks.setdefault(round(_x(trip, timeline.start, timeline.end, left, right)), []).append(trip)
    drawn = []
    for column, trips in marks.items():
        if len(trips) == 1:
            tip = f"tripped at {_t(trips[0], True)} UTC"
        else:
            tip = f"tripped {len(trips)} times, {_t(trips[0], True)} to {_t(trips[-1], True)} UTC"
        drawn.append((float(column), tip))
    return drawn


def state_timeline(
    timeline: Timeline, label: str, width: int = 720, height: int = 44, axis: bool = True
) -> Markup:
    """
    Bands per circuit state (``eg-band-<state>``) with trips marked (``eg-trip``); at most one
    band and one trip marker per pixel (:func:`_bands`, :func:`_trips`), every trip still marked.
    """
    left, right, band_top, band_h = 2, width - 2, 4, height - (18 if axis else 8)
    body: list[str] = []
    for x0, x1, state, tip in _bands(timeline, left, right):
        body.append(
            f'<rect class="eg-band eg-band-{escape(state)}" x="{x0:.1f}" y="{band_top}" '
            f'width="{max(x1 - x0, 1):.1f}" height="{band_h}"><title>{escape(tip)}</title></rect>'
        )
    for x, tip in _trips(timeline, left, right):
        body.append(
            f'<path class="eg-trip" d="M{x:.0f} {band_top} l-4 -4 h8 z M{x:.0f} {band_top} v{band_h}">'
            f"<title>{escape(tip)}</title></path>"
        )
    if axis:
        body += _axis(left, right, band_top + band_h + 2, timeline.start, timeline.end)
    return _svg(width, height, label, body, "eg-timeline")


def incident_timeline(
    buckets: Buckets,
    failures: Sequence[int],
    markers: Sequence[tuple[datetime, str, str]],
    label: str,
    *,
    width: int = 720,
    height: int = 110,
) -> Markup:
    """Failures per bucket as bars and labelled markers (``(when, kind, text)``; kind is a CSS suffix)."""
    top, bottom, left, right = 26, height - 18, 4, width - 4
    peak = max(failures, default=0) or 1
    slot = (right - left) / len(buckets)
    body: list[str] = []
    for i, count in enumerate(failures):
        if count:
            h = (bottom - top) * count / peak
            tip = f"{count} failure(s) {_t(buckets.edges[i], True)} to {_t(buckets.edges[i + 1])} UTC"
            body.append(
                f'<rect class="eg-s0" x="{left + i * slot + 0.5:.1f}" y="{bottom - h:.1f}" '
                f'width="{max(slot - 1, 1):.1f}" height="{h:.1f}"><title>{escape(tip)}</title></rect>'
            )
    for n, (when, kind, text) in enumerate(sorted(markers, key=lambda m: m[0])):
        x = _x(when, buckets.start, buckets.end, left, right)
        anchor = "start" if x < width * 0.6 else "end"
        y = 10 + (n % 2) * 11
        tip = f"{text} at {_t(when, True)} UTC"
        body.append(
            f'<g class="eg-marker eg-marker-{escape(kind)}"><title>{escape(tip)}</title>'
            f'<line x1="{x:.1f}" y1="{y + 2}" x2="{x:.1f}" y2="{bottom}"/>'
            f'<text x="{x + (3 if anchor == "start" else -3):.1f}" y="{y}" text-anchor="{anchor}">'
            f"{escape(text)}</text></g>"
        )
    body += _axis(left, right, bottom, buckets.start, buckets.end)
    return _svg(width, height, label, body, "eg-incident-timeline")
