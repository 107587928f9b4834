"""Which seasonal periods a series has: candidates from the step, confirmed on the data.

Candidates are one day and one week expressed in steps (288 and 2016 at 5 minutes).
A candidate is kept only when the data covers at least two full periods and the
autocorrelation at that lag, after removing a moving-average trend of the same width, is
clearly positive (above ``max(0.25, 3/sqrt(pairs))``, which white noise almost never
reaches). The weekly period is tested on what remains after removing the daily profile,
so a purely daily series is not called weekly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)
WEEK = pd.Timedelta(days=7)
MIN_ACF = 0.25


@dataclass(frozen=True)
class Seasonality:
    periods: tuple[int, ...]  # confirmed, shortest first; empty when not seasonal
    scores: dict[int, float]  # autocorrelation of every candidate tested

    @property
    def primary(self) -> int | None:
        """The period the seasonal models use: the longest confirmed one that the
        profile can average over at least two cycles of (decided by the caller)."""
        return self.periods[0] if self.periods else None


def candidate_periods(step: pd.Timedelta) -> list[int]:
    candidates = []
    for span in (DAY, WEEK):
        if span % step == pd.Timedelta(0) and span // step >= 2:
            candidates.append(int(span // step))
    return candidates


def detrended(values: np.ndarray, period: int) -> np.ndarray:
    trend = (
        pd.Series(values)
        .rolling(period, center=True, min_periods=max(1, period // 2))
        .mean()
        .to_numpy()
    )
    return values - trend


def lag_autocorrelation(values: np.ndarray, lag: int) -> float:
    x = values - np.mean(values)
    denominator = float(np.dot(x, x))
    if lag >= len(x) or denominator <= 0:
        return 0.0
    return float(np.dot(x[:-lag], x[lag:]) / denominator)


def remove_profile(values: np.ndarray, period: int) -> np.ndarray:
    phases = np.arange(len(values)) % period
    sums = np.bincount(phases, weights=values, minlength=period)
    counts = np.bincount(phases, minlength=period)
    return values - (sums / np.maximum(counts, 1))[phases]


def detect_seasonality(values: np.ndarray, step: pd.Timedelta) -> Seasonality:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]  # callers pass prepared (gap-free) data
    confirmed: list[int] = []
    scores: dict[int, float] = {}
    residual = values
    for period in candidate_periods(step):
        if len(values) < 2 * period:
            continue
        detrended_values = detrended(residual, period)
        score = lag_autocorrelation(detrended_values, period)
        scores[period] = score
        if score > max(MIN_ACF, 3.0 / np.sqrt(len(values) - period)):
            confirmed.append(period)
            residual = remove_profile(detrended_values, period)
    return Seasonality(tuple(confirmed), scores)
