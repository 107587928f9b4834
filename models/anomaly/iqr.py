"""Interquartile-range fences (Tukey) over a trailing window."""

from __future__ import annotations

import numpy as np

from models.anomaly.base import UnivariateDetector
from models.anomaly.robust_z import MAX_SCORE
from models.anomaly.windows import TrailingBaseline, quartiles


class IQRDetector(UnivariateDetector):
    """Score = how far x lies beyond the fences ``Q1 - k*IQR`` / ``Q3 + k*IQR``, in IQRs.

    Quartiles come from the ``window`` values before x (refreshed every ``refresh``
    points); 0 inside the fences and until ``min_periods`` values were seen.
    """

    def __init__(
        self, window: int = 288, k: float = 1.5, refresh: int = 4, min_periods: int = 30
    ) -> None:
        self.window = window
        self.k = k
        self.refresh = refresh
        self.min_periods = min_periods
        self.reset()

    def reset(self) -> None:
        self.baseline_ = TrailingBaseline(quartiles, 2, self.window, self.refresh, self.min_periods)

    def _score_finite(self, values: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
        stats = self.baseline_.apply(values)
        q1, q3 = stats[:, 0], stats[:, 1]
        spread = q3 - q1
        beyond = np.maximum(values - (q3 + self.k * spread), (q1 - self.k * spread) - values)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.maximum(beyond, 0.0) / spread
        score = np.where(beyond > 0, score, 0.0)  # inside the fences, or baseline not ready
        score = np.where(np.isnan(score), 0.0, score)
        return np.minimum(score, MAX_SCORE)
