"""ARIMA (statsmodels SARIMAX) with Fourier terms for the seasons, plus optional exog.

Regression with ARIMA errors in two stages, because estimating them jointly by maximum
likelihood took ~10 s per series: first ordinary least squares of ``y`` on ``X`` (the
Fourier terms of every confirmed period, daily and weekly, plus the caller's exogenous
columns and a constant), then ``ARIMA(p, d, q)`` on the regression residuals.
Fitting uses at most ``max_train`` recent points; ``update`` extends the fitted state
space with the new residuals (Kalman filter only, no re-estimation).
"""

from __future__ import annotations

import warnings

import numpy as np

from models.forecast.core import DEFAULT_CALIBRATION_ORIGINS, BaseForecaster
from models.forecast.fourier import fourier_terms


class Arima(BaseForecaster):
    name = "arima"
    heavy = True
    supports_exog = True

    def __init__(
        self,
        season: int | None = None,
        order: tuple[int, int, int] = (2, 1, 1),
        harmonics: int = 4,
        max_train: int = 2016,
        calibration_horizon: int | None = None,
        calibration_origins: int = DEFAULT_CALIBRATION_ORIGINS,
        seed: int = 0,
    ) -> None:
        super().__init__(season, calibration_horizon, calibration_origins, seed)
        self.order = order
        self.harmonics = harmonics
        self.max_train = max_train

    def _check_fit_possible(self, n: int) -> None:
        if n < 3 * sum(self.order) + 10:
            raise ValueError(f"ARIMA{self.order} needs more than {n} points")

    def _periods(self) -> tuple[int, ...]:
        periods = self.seasonality_.periods if self.season is None else (self.season_,)
        return tuple(p for p in periods if p > 1)

    def _design(self, positions: np.ndarray, exog: np.ndarray | None) -> np.ndarray:
        columns = fourier_terms(positions, self._periods(), self.harmonics)
        columns = np.column_stack([np.ones(len(positions)), columns])
        return columns if exog is None else np.column_stack([columns, exog])

    def _regression(self, positions: np.ndarray, exog: np.ndarray | None) -> np.ndarray:
        return self._design(positions, exog) @ self.coefficients_

    def _exog_slice(self, first: int, stop: int) -> np.ndarray | None:
        return None if self.exog_ is None else self.exog_[first:stop]

    def _fit_core(self) -> None:
        from statsmodels.tsa.arima.model import ARIMA

        first = max(0, self.n_ - self.max_train)
        positions = np.arange(first, self.n_)
        design = self._design(positions, self._exog_slice(first, self.n_))
        values = self.y_[first : self.n_]
        self.coefficients_, *_ = np.linalg.lstsq(design, values, rcond=None)
        residuals = values - design @ self.coefficients_
        model = ARIMA(residuals, order=self.order, trend="n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter; backtests judge the fit
            self.result_ = model.fit()

    def _advance_core(self, old_n: int) -> None:
        positions = np.arange(old_n, self.n_)
        residuals = self.y_[old_n : self.n_] - self._regression(
            positions, self._exog_slice(old_n, self.n_)
        )
        self.result_ = self.result_.extend(residuals)

    def _predict_core(self, horizon: int, exog_future: np.ndarray | None) -> np.ndarray:
        positions = np.arange(self.n_, self.n_ + horizon)
        residuals = np.asarray(self.result_.forecast(horizon), dtype=float)
        return self._regression(positions, exog_future) + residuals
