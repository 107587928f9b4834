"""Axis ticks a reader can parse at a glance: round values and calendar-aligned times."""

from __future__ import annotations

import math
from datetime import UTC, datetime

# Candidate spacings for time ticks, in seconds, from seconds to quarters.
_TIME_STEPS = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
    86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400,
)  # fmt: skip


def nice_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """About ``target`` round values (1, 2, 2.5 or 5 times a power of ten) covering low..high."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high < low:
        low, high = high, low
    if high == low:
        return [low]
    raw = (high - low) / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else round(value, 12))
        value += step
    return ticks


def format_value(value: float, step: float) -> str:
    """A tick label with as many decimals as the tick spacing needs (and no more)."""
    if step <= 0 or not math.isfinite(step):
        return f"{value:.4g}"
    if abs(value) >= 1e6 or step >= 1e6:
        return f"{value:.3g}"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if step * 10**decimals % 1:  # a 2.5-type step needs one more decimal
        decimals += 1
    return f"{value:,.{decimals}f}"


def time_step(span_seconds: float, target: int = 7) -> int:
    """The smallest calendar-friendly spacing that gives at most ``target`` ticks."""
    for step in _TIME_STEPS:
        if span_seconds / step <= target:
            return step
    return _TIME_STEPS[-1]


def time_ticks(start: float, end: float, target: int = 7) -> tuple[list[float], int]:
    """Tick positions (epoch seconds, UTC, aligned to the spacing) and the spacing."""
    if not (math.isfinite(start) and math.isfinite(end)) or end < start:
        return [], 0
    if end == start:
        return [start], 0
    step = time_step(end - start, target)
    # Align to whole multiples of the spacing since the epoch: midnights for days (UTC),
    # Thursdays for weeks, which is as good as any fixed weekday.
    first = math.ceil(start / step) * step
    ticks = []
    value = float(first)
    while value <= end:
        ticks.append(value)
        value += step
    return ticks, step


def format_time(epoch: float, step: int, first: bool = False) -> str:
    """A UTC tick label: dates for day spacings, clock times below, the date when it changes."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    if step >= 86400:
        return moment.strftime("%b %d")
    clock = moment.strftime("%H:%M:%S" if step < 60 else "%H:%M")
    if first or (moment.hour == 0 and moment.minute == 0 and moment.second == 0):
        return f"{moment.strftime('%b %d')} {clock}"
    return clock
