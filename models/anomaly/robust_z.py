"""Robust z-score: distance from the trailing median in robust standard deviations."""

from __future__ import annotations

import numpy as np

from models.anomaly.base import UnivariateDetector
from models.anomaly.windows import TrailingBaseline, median_and_scale

MAX_SCORE = 1e3  # a change off a perfectly flat window would otherwise be infinite


class RobustZScore(UnivariateDetector):
    """Score = ``|x - median| / sigma`` over the ``window`` values before x.

    sigma is the MAD (or mean absolute deviation, see
    :func:`models.anomaly.windows.median_and_scale`) scaled to a standard deviation,
    so a score of 3 means "three sigmas away" on well-behaved data. The baseline is
    refreshed every ``refresh`` points; 0 until ``min_periods`` values were seen.
    """

    def __init__(self, window: int = 288, refresh: int = 4, min_periods: int = 30) -> None:
        self.window = window
        self.refresh = refresh
        self.min_periods = min_periods
        self.reset()

    def reset(self) -> None:
        self.baseline_ = TrailingBaseline(
            median_and_scale, 2, self.window, self.refresh, self.min_periods
        )

    def _score_finite(self, values: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
        stats = self.baseline_.apply(values)
        return standardised_distance(values, stats[:, 0], stats[:, 1])


def standardised_distance(values: np.ndarray, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``|values - centre| / scale`` with 0 where the baseline is unknown, capped at MAX_SCORE."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(values - centre) / scale
    z = np.where(np.isnan(z), 0.0, z)  # baseline not ready, or 0/0 on a flat window
    return np.minimum(z, MAX_SCORE)
