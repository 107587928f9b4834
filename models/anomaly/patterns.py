"""What shape an incident has: spike, dip, level shift, trend (leak), flatline, multivariate."""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from models.anomaly.trend import best_step_error
from models.anomaly.windows import median_and_iqr_scale


class Pattern(StrEnum):
    SPIKE = "spike"
    DIP = "dip"
    LEVEL_SHIFT = "level shift"
    TREND = "trend"
    FLATLINE = "flatline"
    MULTIVARIATE = "multivariate"


MIN_SHAPED_ROWS = 6  # shorter incidents are spikes or dips: too short to have a shape
TREND_MIN_CORRELATION = 0.7


def classify(
    values: np.ndarray, start: int, end: int, context: int = 288, flat: bool = False
) -> tuple[Pattern, bool]:
    """The pattern of rows ``start..end`` (inclusive) of ``values``, and whether it goes up.

    ``context`` rows before the incident give the normal level. ``flat`` says the
    flatline detector fired during the incident.
    """
    during = values[start : end + 1]
    during = during[np.isfinite(during)]
    before = values[max(0, start - context) : start]
    before = before[np.isfinite(before)]
    if not len(during):
        return Pattern.SPIKE, True
    if flat or (len(during) >= MIN_SHAPED_ROWS and np.ptp(during) == 0):
        return Pattern.FLATLINE, False
    if len(before) >= 2:
        centre, scale = median_and_iqr_scale(before[None, :])[0]
    else:
        centre, scale = float(during[0]), 0.0
    deviation = during - centre
    peak = float(deviation[np.argmax(np.abs(deviation))])
    rising = peak >= 0
    if len(during) >= MIN_SHAPED_ROWS:
        # Judge the shape with as much normal history as the incident is long: a
        # step at the incident start is then a level shift, not a trend.
        lead_in = before[max(0, len(before) - len(during)) :]
        slope = _trend_slope(np.concatenate([lead_in, during]))
        if slope is not None:
            # The line's direction, not the end points': one noisy last point must not
            # turn a leak into "fallen steadily".
            return Pattern.TREND, slope > 0
        typical = float(np.median(deviation))
        sustained = np.mean(np.sign(deviation) == np.sign(typical)) >= 0.7
        far = 2 * max(scale, 1e-12)
        if sustained and abs(typical) > far and _persists(values, start, end, centre, typical, far):
            return Pattern.LEVEL_SHIFT, typical > 0
    return (Pattern.SPIKE if rising else Pattern.DIP), rising


def _persists(
    values: np.ndarray, start: int, end: int, centre: float, typical: float, far: float
) -> bool:
    """Still displaced at the end: the incident's last quarter and the rows after it (as
    many as it lasted, when they exist) sit on the new level. A burst that went back to
    the old level within the incident, or right after it, is a spike, not a shift."""
    length = end - start + 1
    tail = values[end + 1 - max(1, length // 4) : end + 1 + length]
    tail = tail[np.isfinite(tail)] - centre
    if not len(tail):
        return False
    settled = float(np.median(tail))
    return abs(settled) > far and np.sign(settled) == np.sign(typical)


def _trend_slope(during: np.ndarray) -> float | None:
    """The slope of the line through ``during`` when a straight line explains it better
    than one step does and it moves with time; None when it is not a trend."""
    time = np.arange(len(during), dtype=float)
    if np.ptp(during) == 0:
        return None
    correlation = float(np.corrcoef(time, during)[0, 1])
    if abs(correlation) < TREND_MIN_CORRELATION:
        return None
    slope, intercept = np.polyfit(time, during, 1)
    line_error = float(np.sum((during - (slope * time + intercept)) ** 2))
    step_error = float(best_step_error(during[None, :])[0])
    return float(slope) if line_error < step_error else None
