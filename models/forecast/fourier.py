"""Fourier terms: a long season (288, 1440, 2016 steps) as a few sine/cosine pairs.

A seasonal ARIMA of order 288 is unestimable; ``harmonics`` pairs per period capture the
shape of a daily or weekly cycle with 2 x ``harmonics`` regression columns instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def fourier_terms(positions: np.ndarray, periods: Sequence[int], harmonics: int) -> np.ndarray:
    """Columns ``sin(2 pi j t / p), cos(2 pi j t / p)`` for each period and ``j = 1..K``,
    with ``K = min(harmonics, p // 2)``; zero columns when there is no period."""
    positions = np.asarray(positions, dtype=float)
    columns = []
    for period in periods:
        if period <= 1:
            continue
        for j in range(1, min(harmonics, period // 2) + 1):
            angle = 2 * np.pi * j * positions / period
            columns += [np.sin(angle), np.cos(angle)]
    if not columns:
        return np.zeros((len(positions), 0))
    return np.column_stack(columns)
