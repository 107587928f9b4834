"""Flatline: a metric stuck on one value for longer than it ever was before."""

from __future__ import annotations

import numpy as np

from models.anomaly.base import UnivariateDetector


class FlatlineDetector(UnivariateDetector):
    """Score = current run of identical values / longest run that ended before (at least ``min_run``).

    Above 1 the metric has been stuck longer than ever: a dead exporter, a frozen
    process, a sensor that stopped. Runs shorter than ``min_run`` points never count.
    A metric that has changed fewer than ``min_changes`` times scores 0: a value that
    was always constant (swap on a host without swap) is its normal, not a flatline.
    O(1) state: last value, current run, longest run, number of changes.
    """

    def __init__(self, min_run: int = 12, min_changes: int = 12) -> None:
        if min_run < 1 or min_changes < 0:
            raise ValueError("min_run must be >= 1 and min_changes >= 0")
        self.min_run = min_run
        self.min_changes = min_changes
        self.reset()

    def reset(self) -> None:
        self.last_ = np.nan
        self.run_ = 0
        self.longest_ = 0
        self.changes_ = 0  # value changes seen (the first value counts as one)

    def _score_finite(self, values: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
        n = len(values)
        previous = np.concatenate([[self.last_], values[:-1]])
        changed = values != previous
        index = np.arange(n)
        # Index of the latest change at or before each point; -1 means "run continues from before".
        last_change = np.maximum.accumulate(np.where(changed, index, -1))
        run = np.where(last_change >= 0, index - last_change + 1, self.run_ + index + 1)
        # A run is only compared with runs that already ended (else it beats itself).
        run_before = np.concatenate([[self.run_], run[:-1]])
        ended = np.where(changed, run_before, 0)
        longest_ended = np.maximum.accumulate(np.maximum(ended, self.longest_))
        changes = self.changes_ + np.cumsum(changed)
        self.changes_ = int(changes[-1])
        self.last_, self.run_ = float(values[-1]), int(run[-1])
        self.longest_ = int(longest_ended[-1])
        ratio = run / np.maximum(longest_ended, self.min_run)
        return np.where(changes > self.min_changes, ratio, 0.0)
