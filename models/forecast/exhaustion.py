"""Time to exhaustion: when a bounded metric (disk %, memory %) crosses a threshold.

The forecast distribution at each step is read off the forecast itself: the mean is taken
as the median and each ``L`` % interval gives the ``(1-L)/2`` and ``(1+L)/2`` quantiles; the
cumulative distribution is linear between those points and has normal tails beyond the
outermost band (fitted to that band). ``P(crossed by step k)`` is the running maximum of
``P(value at step j >= threshold)`` over ``j <= k``: exact when forecast errors move
together across steps (a level that is off stays off, the usual case), a lower bound
otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from models.catalogue import spec_for
from models.forecast.base import Forecast

# An operator plans for a crossing once it has this probability ("could happen by").
DEFAULT_LIKELY = 0.1
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Exhaustion:
    threshold: float
    first_time_mean_crosses: pd.Timestamp | None
    probability_by_horizon_end: float
    earliest_likely_time: pd.Timestamp | None  # first time P(crossed) >= ``likely``


def exceedance_probability(forecast: Forecast, threshold: float) -> np.ndarray:
    """``P(value at step k >= threshold)`` for every step."""
    levels = forecast.levels
    probabilities = np.empty(forecast.horizon)
    for k in range(forecast.horizon):
        # Quantile points (value, cumulative probability), ascending.
        points = [(float(forecast.lower[lv][k]), 0.5 - lv / 200) for lv in reversed(levels)]
        points.append((float(forecast.mean[k]), 0.5))
        points += [(float(forecast.upper[lv][k]), 0.5 + lv / 200) for lv in levels]
        values = np.array([p[0] for p in points])
        cdf = np.array([p[1] for p in points])
        probabilities[k] = 1.0 - _cdf(threshold, values, cdf)
    return probabilities


def _cdf(x: float, values: np.ndarray, cdf: np.ndarray) -> float:
    if values[0] <= x <= values[-1]:
        return float(np.interp(x, values, cdf))
    # Normal tail fitted to the outermost band on that side.
    centre = values[len(values) // 2]
    if x > values[-1]:
        z = _NORMAL.inv_cdf(cdf[-1])
        sigma = max((values[-1] - centre) / z, 1e-12)
        return _NORMAL.cdf((x - centre) / sigma)
    z = _NORMAL.inv_cdf(cdf[0])  # negative
    sigma = max((values[0] - centre) / z, 1e-12)
    return _NORMAL.cdf((x - centre) / sigma)


def time_to_exhaustion(
    forecast: Forecast,
    thresholds: Sequence[float] = (90, 100),
    likely: float = DEFAULT_LIKELY,
) -> list[Exhaustion]:
    """One :class:`Exhaustion` per threshold (see the module docstring for the maths)."""
    result = []
    for threshold in thresholds:
        crossed_by = np.maximum.accumulate(exceedance_probability(forecast, threshold))
        mean_hits = np.flatnonzero(forecast.mean >= threshold)
        likely_hits = np.flatnonzero(crossed_by >= likely - 1e-9)  # 0.1 may come out 0.0999..
        result.append(
            Exhaustion(
                threshold=float(threshold),
                first_time_mean_crosses=forecast.timestamps[mean_hits[0]]
                if len(mean_hits)
                else None,
                probability_by_horizon_end=float(crossed_by[-1]),
                earliest_likely_time=forecast.timestamps[likely_hits[0]]
                if len(likely_hits)
                else None,
            )
        )
    return result


def exhaustion_for_metric(
    metric: str, forecast: Forecast, thresholds: Sequence[float] = (90, 100)
) -> list[Exhaustion]:
    """Time to exhaustion for a catalogue metric; empty for metrics that cannot run out."""
    return time_to_exhaustion(forecast, thresholds) if spec_for(metric).bounded else []
