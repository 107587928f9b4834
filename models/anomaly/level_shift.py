"""Level shift: the median of the last few points against the window before them."""

from __future__ import annotations

import numpy as np

from models.anomaly.base import UnivariateDetector
from models.anomaly.robust_z import standardised_distance
from models.anomaly.windows import TrailingBaseline, median_and_iqr_scale, sliding_median


class LevelShiftDetector(UnivariateDetector):
    """Score = ``|median(last recent points) - median(reference)| / sigma(reference)``.

    The reference is the ``reference`` points just before the recent ones, so a
    shift keeps scoring until the reference has absorbed it. Medians make one
    spike (fewer than ``recent / 2`` points) invisible here: that is the robust
    z-score's job. 0 until ``recent`` points and the reference's ``min_periods`` exist.
    """

    def __init__(
        self, recent: int = 12, reference: int = 288, refresh: int = 4, min_periods: int = 30
    ) -> None:
        if recent < 1:
            raise ValueError("recent must be >= 1")
        self.recent = recent
        self.reference = reference
        self.refresh = refresh
        self.min_periods = min_periods
        self.reset()

    def reset(self) -> None:
        self.baseline_ = TrailingBaseline(
            median_and_iqr_scale, 2, self.reference, self.refresh, self.min_periods
        )
        self.tail_ = np.empty(0)  # the last recent - 1 values
        self.delayed_ = np.full((self.recent - 1, 2), np.nan)  # reference stats not yet due

    def _score_finite(self, values: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
        n = len(values)
        # Stats of the window before point j are due at j + recent - 1.
        stats = np.vstack([self.delayed_, self.baseline_.apply(values)])
        self.delayed_, stats = stats[n:], stats[:n]
        extended = np.concatenate([self.tail_, values])
        recent_median = np.full(n, np.nan)
        missing = self.recent - 1 - len(self.tail_)  # points at the stream start lacking a full run
        if len(extended) >= self.recent:
            medians = sliding_median(extended, self.recent)
            recent_median[n - len(medians) :] = medians
        self.tail_ = extended[max(0, len(extended) - (self.recent - 1)) :].copy()
        if missing > 0:
            recent_median[:missing] = np.nan
        return standardised_distance(recent_median, stats[:, 0], stats[:, 1])
