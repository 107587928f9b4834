"""Hour-of-day calibration of the bound the predictive policy plans on.

The forecaster's interval is calibrated on errors pooled over the whole day, so demand
whose surprises come at one time of day (a nightly batch job, a morning rush of varying
size) gets the same margin at 3 a.m. as at noon: too little when the surprise comes,
too much the rest of the day. The policy knows, for every past decision, the mean it
forecast for the interval it acted on and, once that interval has passed, the demand
there. Grouping those errors by the hour of day of the interval gives a group-
conditional (Mondrian) conformal bound: the mean plus the ``level`` quantile of that
hour's errors. The policy plans on the larger of this bound and the forecaster's; an
hour with fewer than ``min_samples`` errors keeps the forecaster's.
"""

from __future__ import annotations

import bisect
from collections import deque

import numpy as np

DAY_SECONDS = 86_400.0
BIN_SECONDS = 3_600.0  # one hour of the day per group
# Fewer errors cannot give a finite conformal quantile at 97.5 % (one side of 95 %).
MIN_SAMPLES = 40
MEMORY = 400  # most recent errors kept per hour: weeks of 5-minute data, months of 30-minute


class HourlyCalibration:
    def __init__(
        self,
        level: int,
        bin_seconds: float = BIN_SECONDS,
        min_samples: int = MIN_SAMPLES,
        memory: int = MEMORY,
    ) -> None:
        self.quantile = 0.5 + level / 200  # upper bound of the central ``level`` % band
        self.bin_seconds = bin_seconds
        self.min_samples = min_samples
        self.memory = memory
        # Per hour: errors in arrival order (to forget the oldest) and sorted (to read a
        # quantile without sorting again at every decision).
        self._arrived: dict[int, deque[float]] = {}
        self._sorted: dict[int, list[float]] = {}

    def _bin(self, epoch_seconds: float) -> int:
        return int((epoch_seconds % DAY_SECONDS) // self.bin_seconds)

    def record(self, epoch_seconds: float, error: float) -> None:
        """``error`` = actual - forecast mean, for the interval starting at ``epoch_seconds``."""
        if not np.isfinite(error):
            return
        hour = self._bin(epoch_seconds)
        arrived = self._arrived.setdefault(hour, deque())
        ordered = self._sorted.setdefault(hour, [])
        if len(arrived) == self.memory:
            oldest = arrived.popleft()
            del ordered[bisect.bisect_left(ordered, oldest)]
        arrived.append(float(error))
        bisect.insort(ordered, float(error))

    def offset(self, epoch_seconds: float) -> float:
        """What to add to the mean at that time of day (NaN while the hour has too few)."""
        ordered = self._sorted.get(self._bin(epoch_seconds), [])
        n = len(ordered)
        if n < self.min_samples:
            return float("nan")
        # The finite-sample conformal correction, as for the forecaster's own intervals,
        # then numpy's default (linear) interpolation between order statistics.
        position = min(1.0, self.quantile * (n + 1) / n) * (n - 1)
        below = int(position)
        above = min(below + 1, n - 1)
        return ordered[below] + (position - below) * (ordered[above] - ordered[below])

    def raise_bound(
        self, epoch_seconds: np.ndarray, mean: np.ndarray, upper: np.ndarray
    ) -> np.ndarray:
        """``upper``, raised where the hour's errors say the mean needs more margin."""
        offsets = np.array([self.offset(t) for t in epoch_seconds])
        hourly = np.where(np.isfinite(offsets), mean + offsets, -np.inf)
        return np.maximum(upper, hourly)
