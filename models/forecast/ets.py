"""Exponential smoothing (statsmodels) on the deseasonalised series.

Seasons of 288 or 1440 steps are far too long for a Holt-Winters model to estimate one
seasonal state per phase, so the season is removed first with the robust profile of
:mod:`models.forecast.profile` (a decomposition), and statsmodels fits a damped-trend
Holt model to what remains by maximum likelihood. ``update`` continues the Holt
recursion with the fitted constants, so backtests do not refit at every origin.
"""

from __future__ import annotations

import warnings

import numpy as np

from models.forecast.core import DEFAULT_CALIBRATION_ORIGINS, BaseForecaster
from models.forecast.profile import seasonal_profile


class ExponentialSmoothing(BaseForecaster):
    name = "ets"
    heavy = True

    def __init__(
        self,
        season: int | None = None,
        damped_trend: bool = True,
        cycles: int = 6,
        max_train: int = 4032,
        calibration_horizon: int | None = None,
        calibration_origins: int = DEFAULT_CALIBRATION_ORIGINS,
        seed: int = 0,
    ) -> None:
        super().__init__(season, calibration_horizon, calibration_origins, seed)
        self.damped_trend = damped_trend
        self.cycles = cycles
        self.max_train = max_train  # statsmodels' cost grows with length; recent data matters most

    def _check_fit_possible(self, n: int) -> None:
        if n < 10:
            raise ValueError("exponential smoothing needs at least 10 points")

    def _fit_core(self) -> None:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing as HoltWinters

        history = self.history()
        self.profile_ = seasonal_profile(history, 0, self.season_, self.cycles)
        first = max(0, len(history) - self.max_train)
        deseasonalised = history[first:] - self._seasonal(np.arange(first, len(history)))
        model = HoltWinters(
            deseasonalised,
            trend="add" if self.damped_trend else None,
            damped_trend=self.damped_trend,
            initialization_method="estimated",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter; a bad fit shows in backtests
            result = model.fit()
        params = result.params
        self.alpha_ = float(params["smoothing_level"])
        self.beta_ = float(params.get("smoothing_trend", 0.0) or 0.0) if self.damped_trend else 0.0
        self.phi_ = float(params.get("damping_trend", 1.0) or 1.0) if self.damped_trend else 1.0
        self.level_ = float(result.level[-1])
        self.slope_ = float(result.trend[-1]) if self.damped_trend else 0.0

    def _seasonal(self, positions: np.ndarray) -> np.ndarray:
        return self.profile_[np.asarray(positions) % len(self.profile_)]

    def _advance_core(self, old_n: int) -> None:
        positions = np.arange(old_n, self.n_)
        values = self.y_[old_n : self.n_] - self._seasonal(positions)
        alpha, beta, phi = self.alpha_, self.beta_, self.phi_
        level, slope = self.level_, self.slope_
        for value in values:
            previous = level
            level = alpha * value + (1 - alpha) * (previous + phi * slope)
            slope = beta * (level - previous) + (1 - beta) * phi * slope
        self.level_, self.slope_ = level, slope

    def _predict_core(self, horizon: int, exog_future: np.ndarray | None) -> np.ndarray:
        k = np.arange(1, horizon + 1)
        phi = self.phi_
        if self.slope_ == 0.0:
            trend = np.zeros(horizon)
        elif phi == 1.0:
            trend = self.slope_ * k
        else:
            trend = self.slope_ * phi * (1 - phi**k) / (1 - phi)
        return self.level_ + trend + self._seasonal(self.n_ + k - 1)
