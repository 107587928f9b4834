"""Trend: a line through the last ``window`` points, judged against the scatter around it.

A leak moves slowly, so it never looks unusual against a trailing window that contains it:
the level-shift scores compare the recent median with the spread of a reference that the
leak itself has widened, which gives about the same number however fast the leak goes.
This detector asks another question: over the window, how far does the least-squares line
rise or fall (its slope times the window's length), in standard deviations of the points
about that line? Steady noise scores under 1, a daily cycle seen over two days about 1.5,
a leak that climbs ten noise widths over the window about 10.

The line is refitted every ``refresh`` points on the ``window`` points before (the same
trailing machinery as the baselines, so chunked and point-by-point feeding agree exactly);
a leak takes hours to days, so a score that lags by ``refresh`` points loses nothing.
"""

from __future__ import annotations

import numpy as np

from models.anomaly.base import UnivariateDetector
from models.anomaly.windows import TrailingBaseline

MAX_SCORE = 1_000.0  # a perfectly straight line (a counter) would otherwise score infinity


def trend_to_scatter(rows: np.ndarray) -> np.ndarray:
    """Per row: |least-squares rise over the row| / standard deviation about the line."""
    width = rows.shape[1]
    if width < 3:
        return np.zeros((len(rows), 1))
    time = np.arange(width, dtype=float) - (width - 1) / 2.0
    time_ss = float(np.sum(time * time))
    centred = rows - rows.mean(axis=1, keepdims=True)
    slope = (centred * time).sum(axis=1) / time_ss
    residual = np.maximum((centred * centred).sum(axis=1) - slope * slope * time_ss, 0.0)
    spread = np.sqrt(residual / (width - 2))
    rise = np.abs(slope) * (width - 1)
    # A window that one step explains better than the line is a shift, or a fall and a
    # recovery: the level-shift components judge those. A leak is a ramp.
    rise = np.where(residual < best_step_error(centred), rise, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(spread > 0, rise / spread, np.where(rise > 0, MAX_SCORE, 0.0))
    return np.minimum(ratio, MAX_SCORE)[:, None]


def best_step_error(rows: np.ndarray) -> np.ndarray:
    """Per row: the least squared error of two constant pieces, over every split point."""
    width = rows.shape[1]
    sums, squares = np.cumsum(rows, axis=1), np.cumsum(rows * rows, axis=1)
    left = np.arange(1, width, dtype=float)
    left_sum, left_sq = sums[:, :-1], squares[:, :-1]
    right_sum, right_sq = sums[:, -1:] - left_sum, squares[:, -1:] - left_sq
    errors = (left_sq - left_sum**2 / left) + (right_sq - right_sum**2 / (width - left))
    return errors.min(axis=1)


class TrendDetector(UnivariateDetector):
    """Score = ``trend_to_scatter`` of the ``window`` points before, refreshed every
    ``refresh`` points; 0 until a whole window has been seen."""

    def __init__(self, window: int = 576, refresh: int = 16) -> None:
        if window < 3:
            raise ValueError("window must be >= 3")
        self.window = window
        self.refresh = refresh
        self.reset()

    def reset(self) -> None:
        self.baseline_ = TrailingBaseline(
            trend_to_scatter, 1, self.window, self.refresh, min_periods=self.window
        )

    def _score_finite(self, values: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
        return np.nan_to_num(self.baseline_.apply(values)[:, 0], nan=0.0)
