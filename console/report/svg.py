"""A time-series chart as inline SVG: history, forecast mean, interval bands, anomaly spans.

Pure Python string building, so reports render headless and fast, with nothing to load
from anywhere. Long histories are reduced to a min/max envelope per pixel column (spikes
survive); missing values break the line instead of being bridged; every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from console.report.ticks import format_time, format_value, nice_ticks, time_ticks

HISTORY_COLOUR = "#1f5f99"
FORECAST_COLOUR = "#c8620c"
SEVERITY_COLOURS = {"high": "#d62728", "medium": "#f28e2b", "low": "#c9b400"}
# Opacity of the interval bands: the wider (less likely) band is paler.
BAND_OPACITY = {80: 0.32, 95: 0.16}
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 68, 18, 34, 40


@dataclass(frozen=True)
class Band:
    """The central ``level`` % prediction interval at each forecast time."""

    level: int
    lower: Sequence[float]
    upper: Sequence[float]


@dataclass(frozen=True)
class Span:
    """An anomaly incident to shade, epoch seconds (inclusive), severity low/medium/high."""

    start: float
    end: float
    severity: str


@dataclass(frozen=True)
class ChartSpec:
    history_times: Sequence[float]  # epoch seconds, UTC, ascending
    history_values: Sequence[float]  # NaN = missing
    forecast_times: Sequence[float] = ()
    forecast_mean: Sequence[float] = ()
    bands: Sequence[Band] = ()
    spans: Sequence[Span] = ()
    value_label: str = "value"  # axis title, with the unit
    title: str = ""  # read by screen readers
    forecast_label: str = "Forecast"
    step_seconds: float = 0.0  # grid step: a one-row incident still gets a visible width
    # Values the metric cannot pass (0 and 100 for a percentage): bands are clipped to them.
    floor: float | None = None
    ceiling: float | None = None
    thresholds: Sequence[float] = ()  # dashed reference lines (exhaustion thresholds)


@dataclass(frozen=True)
class _Frame:
    """Maps data to pixels."""

    t0: float
    t1: float
    v0: float
    v1: float
    left: float
    top: float
    width: float
    height: float

    def x(self, t: float) -> float:
        return self.left + (t - self.t0) / (self.t1 - self.t0) * self.width

    def y(self, v: float) -> float:
        return self.top + (self.v1 - v) / (self.v1 - self.v0) * self.height


def render_chart(spec: ChartSpec, width: int = 960, height: int = 300) -> str:
    """The chart as an ``<svg>`` element (scales to its container's width)."""
    times = np.asarray(spec.history_times, dtype=float)
    values = np.asarray(spec.history_values, dtype=float)
    f_times = np.asarray(spec.forecast_times, dtype=float)
    f_mean = np.asarray(spec.forecast_mean, dtype=float)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" preserveAspectRatio="xMidYMid meet" font-family="inherit" font-size="12">',
        f"<title>{escape(spec.title or spec.value_label)}</title>",
    ]
    frame = _frame(spec, times, values, f_times, f_mean, width, height)
    if frame is None:  # a slim box with a message: an empty full-size chart looks broken
        parts[0] = parts[0].replace(f"0 0 {width} {height}", f"0 0 {width} 48")
        parts.append(
            f'<rect x="0.5" y="0.5" width="{width - 1}" height="47" fill="#fafbfc" '
            f'stroke="#dde1e6"/><text x="{width / 2:.0f}" y="29" text-anchor="middle" '
            f'fill="#666">No data to chart</text></svg>'
        )
        return "".join(parts)
    parts += _axes(frame, spec.value_label)
    parts += _thresholds(frame, spec.thresholds)
    parts += _spans(frame, spec.spans, spec.step_seconds)
    for band in sorted(spec.bands, key=lambda b: -b.level):
        parts.append(_band(frame, f_times, band))
    if len(f_times) and len(times):
        x_now = frame.x(float(np.nanmax(times)))
        parts.append(
            f'<line x1="{x_now:.1f}" y1="{frame.top:.1f}" x2="{x_now:.1f}" '
            f'y2="{frame.top + frame.height:.1f}" stroke="#888" stroke-dasharray="4 3"/>'
        )
    parts.append(_line(frame, times, values, HISTORY_COLOUR, "history"))
    parts.append(_line(frame, f_times, f_mean, FORECAST_COLOUR, "forecast"))
    parts.append(_legend(spec, frame))
    parts.append("</svg>")
    return "".join(parts)


def _finite(*arrays: np.ndarray) -> np.ndarray:
    pieces = [a[np.isfinite(a)] for a in arrays if len(a)]
    return np.concatenate(pieces) if pieces else np.empty(0)


def _frame(
    spec: ChartSpec,
    times: np.ndarray,
    values: np.ndarray,
    f_times: np.ndarray,
    f_mean: np.ndarray,
    width: int,
    height: int,
) -> _Frame | None:
    all_times = _finite(times, f_times)
    band_values = [np.asarray(b.lower, float) for b in spec.bands]
    band_values += [np.asarray(b.upper, float) for b in spec.bands]
    all_values = _finite(values, f_mean, *band_values, np.asarray(spec.thresholds, float))
    all_values = np.clip(all_values, spec.floor, spec.ceiling)  # None: no limit
    if not len(all_times) or not len(all_values):
        return None
    t0, t1 = float(all_times.min()), float(all_times.max())
    if t1 == t0:  # a single instant: centre it in one step (or one minute) either side
        pad = spec.step_seconds or 60.0
        t0, t1 = t0 - pad, t1 + pad
    v0, v1 = float(all_values.min()), float(all_values.max())
    if v1 - v0 <= 1e-5 * max(1.0, abs(v0), abs(v1)):  # a constant: room around it, mid-chart
        pad = abs(v0) * 0.1 or 1.0
        v0, v1 = v0 - pad, v1 + pad
    else:
        pad = (v1 - v0) * 0.06
        # Keep a non-negative metric's axis from dipping below zero just for the padding.
        v0, v1 = (max(v0 - pad, 0.0) if v0 >= 0 else v0 - pad), v1 + pad
    return _Frame(
        t0,
        t1,
        v0,
        v1,
        MARGIN_LEFT,
        MARGIN_TOP,
        width - MARGIN_LEFT - MARGIN_RIGHT,
        height - MARGIN_TOP - MARGIN_BOTTOM,
    )


def _axes(frame: _Frame, value_label: str) -> list[str]:
    bottom = frame.top + frame.height
    right = frame.left + frame.width
    parts = [
        f'<rect x="{frame.left}" y="{frame.top}" width="{frame.width}" height="{frame.height}" '
        f'fill="#fff" stroke="#c8ccd2"/>'
    ]
    ticks = nice_ticks(frame.v0, frame.v1, 5)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 0.0
    for value in ticks:
        y = frame.y(value)
        if not frame.top - 0.5 <= y <= bottom + 0.5:
            continue
        parts.append(
            f'<line x1="{frame.left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#eceef1"/>'
            f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">'
            f"{escape(format_value(value, step))}</text>"
        )
    stamps, spacing = time_ticks(frame.t0, frame.t1, max(4, int(frame.width // 95)))
    for index, stamp in enumerate(stamps):
        x = frame.x(stamp)
        parts.append(
            f'<line x1="{x:.1f}" y1="{frame.top}" x2="{x:.1f}" y2="{bottom}" stroke="#eceef1"/>'
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" stroke="#888"/>'
            f'<text x="{x:.1f}" y="{bottom + 17}" text-anchor="middle" fill="#444">'
            f"{escape(format_time(stamp, spacing, first=index == 0))}</text>"
        )
    middle = frame.top + frame.height / 2
    parts.append(
        f'<text x="14" y="{middle:.1f}" text-anchor="middle" fill="#333" '
        f'transform="rotate(-90 14 {middle:.1f})">{escape(value_label)}</text>'
        f'<text x="{right}" y="{bottom + 34}" text-anchor="end" fill="#777" font-size="11">'
        f"time (UTC)</text>"
    )
    return parts


def _thresholds(frame: _Frame, thresholds: Sequence[float]) -> list[str]:
    parts = []
    right = frame.left + frame.width
    for value in thresholds:
        y = frame.y(value)
        if not frame.top <= y <= frame.top + frame.height:
            continue
        parts.append(
            f'<line class="threshold" x1="{frame.left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
            f'stroke="#b22" stroke-width="1" stroke-dasharray="6 4" stroke-opacity="0.7"/>'
            f'<text x="{right - 4}" y="{y - 4:.1f}" text-anchor="end" fill="#b22" '
            f'font-size="11">{escape(format_value(value, 1.0))}</text>'
        )
    return parts


def _spans(frame: _Frame, spans: Sequence[Span], step_seconds: float) -> list[str]:
    parts = []
    for span in spans:
        start, end = max(span.start, frame.t0), min(span.end + step_seconds, frame.t1)
        if end < frame.t0 or start > frame.t1 or end < start:
            continue
        x0, x1 = frame.x(start), frame.x(end)
        colour = SEVERITY_COLOURS.get(span.severity, SEVERITY_COLOURS["low"])
        parts.append(
            f'<rect class="anomaly" x="{x0:.1f}" y="{frame.top}" width="{max(x1 - x0, 2.0):.1f}" '
            f'height="{frame.height}" fill="{colour}" fill-opacity="0.18"/>'
            f'<path d="M{x0 - 4:.1f},{frame.top - 1} L{x0 + 4:.1f},{frame.top - 1} '
            f'L{x0:.1f},{frame.top + 6:.1f} Z" fill="{colour}"/>'
        )
    return parts


def _band(frame: _Frame, times: np.ndarray, band: Band) -> str:
    lower = np.asarray(band.lower, dtype=float)
    upper = np.asarray(band.upper, dtype=float)
    keep = np.isfinite(times) & np.isfinite(lower) & np.isfinite(upper)
    if not keep.any():
        return ""
    # Clipped to the plot: a band never spills over the axes or past the metric's limits.
    t = times[keep]
    lo = np.clip(lower[keep], frame.v0, frame.v1)
    hi = np.clip(upper[keep], frame.v0, frame.v1)
    top = [f"{frame.x(a):.1f},{frame.y(b):.1f}" for a, b in zip(t, hi, strict=True)]
    bottom = [f"{frame.x(a):.1f},{frame.y(b):.1f}" for a, b in zip(t[::-1], lo[::-1], strict=True)]
    opacity = BAND_OPACITY.get(band.level, 0.2)
    return (
        f'<polygon class="band band-{band.level}" points="{" ".join(top + bottom)}" '
        f'fill="{FORECAST_COLOUR}" fill-opacity="{opacity}" stroke="none"/>'
    )


def _line(frame: _Frame, times: np.ndarray, values: np.ndarray, colour: str, kind: str) -> str:
    if not len(times):
        return ""
    times, values = _envelope(times, values, int(frame.width))
    finite = np.isfinite(times) & np.isfinite(values)
    paths, dots = [], []
    for first, last in _runs(finite):
        if first == last:  # an isolated point: a line of one point is invisible
            dots.append(
                f'<circle cx="{frame.x(times[first]):.1f}" cy="{frame.y(values[first]):.1f}" '
                f'r="2.5" fill="{colour}"/>'
            )
            continue
        points = " L".join(
            f"{frame.x(t):.1f},{frame.y(v):.1f}"
            for t, v in zip(times[first : last + 1], values[first : last + 1], strict=True)
        )
        paths.append(f"M{points}")
    path = (
        f'<path class="{kind}" d="{" ".join(paths)}" fill="none" stroke="{colour}" '
        f'stroke-width="1.4" stroke-linejoin="round"/>'
        if paths
        else ""
    )
    return path + "".join(dots)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(padded)
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def _envelope(times: np.ndarray, values: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """At most two points (min and max, in time order) per pixel column; NaN gaps kept."""
    if len(times) <= 2 * max(columns, 1):
        return times, values
    span = times[-1] - times[0]
    if not math.isfinite(span) or span <= 0:
        return times, values
    buckets = np.minimum(((times - times[0]) / span * columns).astype(int), columns - 1)
    keep: list[int] = []
    for bucket in np.unique(buckets):
        rows = np.flatnonzero(buckets == bucket)
        chunk = values[rows]
        finite = np.isfinite(chunk)
        if not finite.all():
            keep.append(int(rows[np.flatnonzero(~finite)[0]]))  # keep the break visible
        if finite.any():
            masked = np.where(finite, chunk, np.nan)
            keep += [int(rows[np.nanargmin(masked)]), int(rows[np.nanargmax(masked)])]
    chosen = np.unique(keep)
    return times[chosen], values[chosen]


def _legend(spec: ChartSpec, frame: _Frame) -> str:
    items: list[tuple[str, str]] = [
        (f'<line x1="0" y1="-4" x2="18" y2="-4" stroke="{HISTORY_COLOUR}" stroke-width="2"/>',
         "History"),
    ]  # fmt: skip
    if len(spec.forecast_times):
        items.append(
            (f'<line x1="0" y1="-4" x2="18" y2="-4" stroke="{FORECAST_COLOUR}" stroke-width="2"/>',
             spec.forecast_label)
        )  # fmt: skip
    for band in sorted(spec.bands, key=lambda b: b.level):
        opacity = BAND_OPACITY.get(band.level, 0.2)
        items.append(
            (f'<rect x="0" y="-10" width="18" height="11" fill="{FORECAST_COLOUR}" '
             f'fill-opacity="{opacity}"/>', f"{band.level} % interval")
        )  # fmt: skip
    for severity in ("high", "medium", "low"):
        if any(s.severity == severity for s in spec.spans):
            items.append(
                (f'<rect x="0" y="-10" width="18" height="11" fill="{SEVERITY_COLOURS[severity]}" '
                 f'fill-opacity="0.35"/>', f"{severity} anomaly")
            )  # fmt: skip
    parts = ['<g class="legend">']
    x = frame.left
    for swatch, label in items:
        parts.append(
            f'<g transform="translate({x:.0f},{frame.top - 12})">{swatch}'
            f'<text x="24" y="0" fill="#333">{escape(label)}</text></g>'
        )
        x += 24 + 7 * len(label) + 18  # rough text width: labels are short
    parts.append("</g>")
    return "".join(parts)
