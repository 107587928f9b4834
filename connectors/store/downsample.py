"""Folding points into fixed-width time buckets, keeping min, max, sum and count.

Inputs are partial aggregates (a raw sample is min = max = sum = value, count = 1;
a 1-minute roll-up is its own min, max, sum, count), so raw samples and roll-ups
combine exactly. Keeping min and max per bucket means a spike is never averaged away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Partials:
    """Columns of partial aggregates, ``ts`` in integer milliseconds."""

    ts: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    total: np.ndarray
    count: np.ndarray

    @staticmethod
    def from_rows(rows: list[tuple]) -> Partials:
        """Rows of ``(ts, min, max, sum, count)``."""
        if not rows:
            return EMPTY
        table = np.array(rows, dtype=np.float64)
        return Partials(
            table[:, 0].astype(np.int64),
            table[:, 1],
            table[:, 2],
            table[:, 3],
            table[:, 4].astype(np.int64),
        )

    @staticmethod
    def concat(parts: list[Partials]) -> Partials:
        parts = [p for p in parts if len(p.ts)]
        if not parts:
            return EMPTY
        return Partials(
            *(
                np.concatenate([getattr(p, name) for p in parts])
                for name in ("ts", "minimum", "maximum", "total", "count")
            )
        )


EMPTY = Partials(
    np.empty(0, np.int64),
    np.empty(0),
    np.empty(0),
    np.empty(0),
    np.empty(0, np.int64),
)


def bucket_width_ms(start_ms: int, end_ms: int, max_points: int, multiple_ms: int = 1) -> int:
    """The narrowest width, a multiple of ``multiple_ms``, that gives at most ``max_points``
    epoch-aligned buckets over ``[start_ms, end_ms]``.

    With width w >= span / (max_points - 1), an aligned grid cuts the span into at most
    max_points pieces, whatever the offset of ``start_ms``.
    """
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    needed = max(1, math.ceil((end_ms - start_ms) / (max_points - 1)))
    return math.ceil(needed / multiple_ms) * multiple_ms


def fold(parts: Partials, width_ms: int) -> Partials:
    """Combine partials into buckets ``[k * width, (k + 1) * width)``, stamped at their start."""
    if not len(parts.ts):
        return EMPTY
    order = np.argsort(parts.ts, kind="stable")
    ts = parts.ts[order]
    buckets = ts // width_ms  # floor division: right for negative times too
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    return Partials(
        buckets[starts] * width_ms,
        np.minimum.reduceat(parts.minimum[order], starts),
        np.maximum.reduceat(parts.maximum[order], starts),
        np.add.reduceat(parts.total[order], starts),
        np.add.reduceat(parts.count[order], starts),
    )
