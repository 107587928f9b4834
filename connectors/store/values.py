"""Plain values the metric store takes and returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """One stored series: where it came from, which machine, which metric."""

    source: str
    host: str
    metric: str


@dataclass(frozen=True)
class QueryResult:
    """Points of a range query, oldest first.

    Raw results (``downsampled=False``) have one point per sample: ``timestamps`` are
    sample times and ``mean == minimum == maximum`` with ``count == 1``. Downsampled
    results have one point per bucket of ``bucket_seconds``: ``timestamps`` are bucket
    starts (aligned to multiples of the width since the epoch, so buckets do not shift
    when a chart pans), ``count`` is the number of raw samples folded into the bucket.
    """

    timestamps: np.ndarray
    mean: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    count: np.ndarray
    downsampled: bool
    bucket_seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.timestamps)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long raw samples and their 1-minute roll-ups are kept, in days."""

    raw_days: float = 30
    rollup_days: float = 365

    def __post_init__(self) -> None:
        if not (0 < self.raw_days <= self.rollup_days):
            raise ValueError(
                f"retention needs 0 < raw_days <= rollup_days, got {self.raw_days} "
                f"and {self.rollup_days}"
            )


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What one ``apply_retention`` pass removed.

    ``raw_horizon`` is the time (epoch seconds) before which only roll-ups remain;
    ``rollup_horizon`` the time before which nothing remains.
    """

    raw_deleted: int
    rollups_deleted: int
    raw_horizon: float
    rollup_horizon: float
