"""Prediction intervals calibrated on rolling-origin errors (split-conformal style).

Errors ``actual - forecast`` are collected per horizon step from forecasts made at past
origins. For step ``k`` the bounds of a ``L`` % interval are the ``(1-L)/2`` and ``(1+L)/2``
quantiles of the signed errors at the steps near ``k`` (pooled over ``k +- 10 %`` so late
steps, which have fewer samples, stay stable), with the finite-sample conformal correction.
Then, so that intervals are always usable:

* bounds never cross the mean (lower offset <= 0 <= upper offset);
* widths never shrink as the horizon grows (uncertainty does not decrease with time);
* a wider level contains a narrower one, and every interval has a positive width;
* beyond the last calibrated step the width grows like ``sqrt(k / K)``.

With no errors at all (a series too short to backtest), the spread of one-step changes
scaled by ``sqrt(k)`` under a normal assumption is used instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

MIN_SAMPLES = 8  # below this per step, fall back to the random-walk width


def _quantile_steps(horizon: int) -> np.ndarray:
    """Steps at which quantiles are computed (dense first, then geometric): interpolate between."""
    steps = np.unique(np.round(np.geomspace(1, horizon, num=min(horizon, 16))).astype(int))
    return steps - 1


class ResidualCalibrator:
    """Turns a matrix of past errors (origins x steps, NaN = unknown) into interval offsets."""

    def __init__(
        self, errors: np.ndarray, fallback_scale: float, actuals: np.ndarray | None = None
    ) -> None:
        self.errors = np.atleast_2d(np.asarray(errors, dtype=float))
        # The actual values behind the errors (same shape), for scoring models on them.
        self.actuals = None if actuals is None else np.atleast_2d(np.asarray(actuals, float))
        self.fallback_scale = float(fallback_scale) if np.isfinite(fallback_scale) else 0.0
        self._cache: dict[tuple[tuple[int, ...], int], dict[int, tuple[np.ndarray, np.ndarray]]]
        self._cache = {}

    @property
    def calibrated_steps(self) -> int:
        counts = np.sum(np.isfinite(self.errors), axis=0) if self.errors.size else np.zeros(0)
        enough = np.flatnonzero(counts >= MIN_SAMPLES)
        return int(enough[-1]) + 1 if len(enough) else 0

    def offsets(
        self, levels: Sequence[int], horizon: int, scale_hint: float = 1.0
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """``{level: (lower_offset <= 0, upper_offset >= 0)}``, each of length ``horizon``."""
        key = (tuple(levels), horizon)
        if key not in self._cache:
            self._cache[key] = self._compute(levels, horizon, scale_hint)
        return self._cache[key]

    def _compute(
        self, levels: Sequence[int], horizon: int, scale_hint: float
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        levels = sorted(levels)
        calibrated = min(self.calibrated_steps, horizon)
        # Positive floor so no interval is degenerate, relative to the data's scale.
        floor = 1e-6 * max(abs(scale_hint), self.fallback_scale, 1e-9)
        empirical = self._empirical(levels, calibrated) if calibrated > 0 else {}
        result: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        previous: tuple[np.ndarray, np.ndarray] | None = None
        for rank, level in enumerate(levels):
            if calibrated > 0:
                lower, upper = empirical[level]
                if horizon > calibrated:
                    growth = np.sqrt(np.arange(calibrated + 1, horizon + 1) / calibrated)
                    lower = np.concatenate([lower, lower[-1] * growth])
                    upper = np.concatenate([upper, upper[-1] * growth])
            else:
                z = NormalDist().inv_cdf(0.5 + level / 200)
                width = z * self.fallback_scale * np.sqrt(np.arange(1, horizon + 1))
                lower, upper = -width, width
            lower = np.minimum.accumulate(np.minimum(lower, -floor * (rank + 1)))
            upper = np.maximum.accumulate(np.maximum(upper, floor * (rank + 1)))
            if previous is not None:
                lower = np.minimum(lower, previous[0] - floor)
                upper = np.maximum(upper, previous[1] + floor)
            result[level] = (lower, upper)
            previous = (lower, upper)
        return result

    def _empirical(
        self, levels: Sequence[int], steps: int
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        at = _quantile_steps(steps)
        bounds = np.empty((len(at), 2 * len(levels)))
        for i, k in enumerate(at):
            half = max(1, int(0.1 * (k + 1)))
            pool = self.errors[:, max(0, k - half) : k + half + 1].ravel()
            pool = pool[np.isfinite(pool)]
            n = len(pool)
            quantiles = []
            for level in levels:
                # Conformal correction: the (1 - a/2)(1 + 1/n) empirical quantile.
                q_hi = min(1.0, (0.5 + level / 200) * (n + 1) / n)
                quantiles += [1 - q_hi, q_hi]
            bounds[i] = np.quantile(pool, quantiles)
        positions = np.arange(steps)
        result = {}
        for j, level in enumerate(levels):
            lower = np.minimum(np.interp(positions, at, bounds[:, 2 * j]), 0.0)
            upper = np.maximum(np.interp(positions, at, bounds[:, 2 * j + 1]), 0.0)
            result[level] = (lower, upper)
        return result


def random_walk_scale(values: np.ndarray) -> float:
    """Robust standard deviation of one-step changes (the no-calibration fallback)."""
    changes = np.diff(np.asarray(values, dtype=float))
    changes = changes[np.isfinite(changes)]
    if len(changes) == 0:
        return 0.0
    mad = float(np.median(np.abs(changes - np.median(changes))))
    return 1.4826 * mad if mad > 0 else float(np.std(changes))
