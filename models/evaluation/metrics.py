"""Accuracy metrics. Inputs are array-likes of equal length; pairs with a NaN are ignored.

Every metric returns NaN when nothing is left to score rather than raising, so a
scoreboard with an empty cell still renders.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def _pairs(*arrays: ArrayLike) -> list[np.ndarray]:
    converted = [np.asarray(a, dtype=float).ravel() for a in arrays]
    lengths = {len(a) for a in converted}
    if len(lengths) != 1:
        raise ValueError(f"arrays of different lengths: {sorted(lengths)}")
    keep = np.logical_and.reduce([np.isfinite(a) for a in converted])
    return [a[keep] for a in converted]


def mae(actual: ArrayLike, forecast: ArrayLike) -> float:
    a, f = _pairs(actual, forecast)
    return float(np.mean(np.abs(a - f))) if len(a) else float("nan")


def rmse(actual: ArrayLike, forecast: ArrayLike) -> float:
    a, f = _pairs(actual, forecast)
    return float(np.sqrt(np.mean((a - f) ** 2))) if len(a) else float("nan")


def seasonal_scale(history: ArrayLike, season: int = 1) -> float:
    """In-sample MAE of the seasonal naive forecast (the MASE denominator).

    Falls back to the non-seasonal naive when the history is shorter than two seasons,
    and to 1.0 for a constant history (so MASE is then just the MAE).
    """
    values = np.asarray(history, dtype=float)
    values = values[np.isfinite(values)]
    lag = season if season >= 1 and len(values) > 2 * season else 1
    if len(values) <= lag:
        return 1.0
    scale = float(np.mean(np.abs(values[lag:] - values[:-lag])))
    return scale if scale > 0 else 1.0


def mase(actual: ArrayLike, forecast: ArrayLike, scale: float) -> float:
    """Mean absolute scaled error: MAE divided by ``scale`` (see :func:`seasonal_scale`)."""
    return mae(actual, forecast) / scale


def smape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Symmetric MAPE in percent (0-200); a pair that is 0 and 0 counts as a perfect 0."""
    a, f = _pairs(actual, forecast)
    if not len(a):
        return float("nan")
    denominator = np.abs(a) + np.abs(f)
    ratio = np.divide(2 * np.abs(a - f), denominator, out=np.zeros(len(a)), where=denominator > 0)
    return float(100 * np.mean(ratio))


def wape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Weighted absolute percentage error: sum |A - F| / sum |A|, in percent."""
    a, f = _pairs(actual, forecast)
    total = float(np.sum(np.abs(a)))
    return float(100 * np.sum(np.abs(a - f)) / total) if total > 0 else float("nan")


def mape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Mean absolute percentage error in percent, over the points where the actual is not 0."""
    a, f = _pairs(actual, forecast)
    nonzero = a != 0
    if not nonzero.any():
        return float("nan")
    return float(100 * np.mean(np.abs(a[nonzero] - f[nonzero]) / np.abs(a[nonzero])))


def coverage(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Fraction (0-1) of actual values inside [lower, upper]."""
    a, lo, hi = _pairs(actual, lower, upper)
    return float(np.mean((a >= lo) & (a <= hi))) if len(a) else float("nan")


def directional_accuracy(actual: ArrayLike, forecast: ArrayLike, reference: ArrayLike) -> float:
    """Fraction (0-1) of points where the forecast moves the same way from ``reference``
    (the last value known at the origin) as the actual does; no change counts as a direction."""
    a, f, r = _pairs(actual, forecast, reference)
    if not len(a):
        return float("nan")
    return float(np.mean(np.sign(a - r) == np.sign(f - r)))
