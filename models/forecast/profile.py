"""Seasonal profile + exponentially smoothed level (+ optional damped trend), in numpy.

The fast default. The seasonal profile is the per-phase median, over the last ``cycles``
seasons, of the data minus a centred moving average one season wide (medians shrug off
the anomalies a metric usually contains). What remains is smoothed by simple exponential
smoothing; its constant is chosen on the history by the mean absolute error at steps 1,
H/2 and H (H = the calibration horizon), not at step 1 only, because a level that chases
every wiggle forecasts badly far ahead. The optional trend is the slope between the last
two seasons' mean levels, damped geometrically so it flattens out over about one season.
Everything is vectorised (scipy's ``lfilter`` runs the smoothing), so a fit costs a few
milliseconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from models.forecast.core import DEFAULT_CALIBRATION_ORIGINS, BaseForecaster

ALPHAS = (0.01, 0.03, 0.1, 0.2, 0.4, 0.7, 1.0)


def smoothed_level(values: np.ndarray, alpha: float) -> np.ndarray:
    """``l_t = alpha * x_t + (1 - alpha) * l_{t-1}``, started at ``x_0``."""
    if alpha >= 1.0:
        return values.copy()
    initial = [(1 - alpha) * values[0]]
    level, _ = lfilter([alpha], [1.0, alpha - 1.0], values, zi=initial)
    return level


def seasonal_profile(
    values: np.ndarray, first_position: int, season: int, cycles: int
) -> np.ndarray:
    """Per-phase median of ``values`` minus a centred moving average; mean zero."""
    if season <= 1:
        return np.zeros(1)
    local_level = pd.Series(values).rolling(season, center=True, min_periods=1).mean().to_numpy()
    deviations = values - local_level
    phases = (first_position + np.arange(len(values))) % season
    count = min(cycles, len(values) // season)
    profile = np.zeros(season)
    if count >= 1:
        tail = deviations[len(values) - count * season :].reshape(count, season)
        tail_phases = phases[len(values) - count * season :][:season]
        profile[tail_phases] = np.median(tail, axis=0)
    else:
        sums = np.bincount(phases, weights=deviations, minlength=season)
        hits = np.bincount(phases, minlength=season)
        profile = np.where(hits > 0, sums / np.maximum(hits, 1), 0.0)
    return profile - profile.mean()


class SeasonalProfile(BaseForecaster):
    name = "profile"

    def __init__(
        self,
        season: int | None = None,
        cycles: int = 6,
        trend: bool = False,
        calibration_horizon: int | None = None,
        calibration_origins: int = DEFAULT_CALIBRATION_ORIGINS,
        seed: int = 0,
    ) -> None:
        super().__init__(season, calibration_horizon, calibration_origins, seed)
        self.cycles = cycles
        self.trend = trend
        if trend:
            self.name = "profile_trend"

    def _target_horizon(self) -> int:
        return self.calibration_horizon or max(self.season_, 12)

    def _fit_core(self) -> None:
        history = self.history()
        if len(history) < 3:
            raise ValueError("need at least three points")
        self.profile_ = seasonal_profile(history, 0, self.season_, self.cycles)
        self._fit_level(history - self._seasonal(np.arange(len(history))))

    def _fit_level(self, deseasonalised: np.ndarray) -> None:
        """Level, slope and damping from the deseasonalised history."""
        self.alpha_ = self._choose_alpha(deseasonalised)
        self.level_ = float(smoothed_level(deseasonalised, self.alpha_)[-1])
        self.slope_ = self._slope(deseasonalised) if self.trend else 0.0
        # Damping that leaves about a third of the slope after one season (or 24 steps).
        self.phi_ = float(np.exp(-1.0 / max(self.season_, 24)))

    def _choose_alpha(self, deseasonalised: np.ndarray) -> float:
        horizon = min(self._target_horizon(), max(1, len(deseasonalised) // 3))
        steps = sorted({1, max(1, horizon // 2), horizon})
        best, best_error = ALPHAS[-1], np.inf
        for alpha in ALPHAS:
            level = smoothed_level(deseasonalised, alpha)
            error = np.mean(
                [np.mean(np.abs(deseasonalised[h:] - level[:-h])) for h in steps if h < len(level)]
            )
            if error < best_error:
                best, best_error = alpha, error
        return best

    def _slope(self, deseasonalised: np.ndarray) -> float:
        width = max(self.season_, 24)
        if len(deseasonalised) < 2 * width:
            return 0.0
        recent = np.mean(deseasonalised[-width:])
        previous = np.mean(deseasonalised[-2 * width : -width])
        return float((recent - previous) / width)

    def _seasonal(self, positions: np.ndarray) -> np.ndarray:
        return self.profile_[np.asarray(positions) % len(self.profile_)]

    def _advance_core(self, old_n: int) -> None:
        positions = np.arange(old_n, self.n_)
        deseasonalised = self.y_[old_n : self.n_] - self._seasonal(positions)
        a = self.alpha_
        # Same recursion as smoothed_level, continued from the current level (with trend).
        for value in deseasonalised:
            predicted = self.level_ + self.phi_ * self.slope_
            self.level_ = a * value + (1 - a) * predicted
            self.slope_ *= self.phi_

    def _predict_core(self, horizon: int, exog_future: np.ndarray | None) -> np.ndarray:
        k = np.arange(1, horizon + 1)
        phi = self.phi_
        damped = self.slope_ * phi * (1 - phi**k) / (1 - phi) if self.slope_ else 0.0
        return self.level_ + damped + self._seasonal(self.n_ + k - 1)
