"""Shared machinery of every model: preparation, seasonality, calibration, fallback.

A model subclasses :class:`BaseForecaster` and implements three hooks that work on the
history ``self.y_[: self.n_]`` (positions count grid steps from ``self.start_``):

* ``_fit_core()``: estimate the state from the history;
* ``_advance_core(old_n)``: filter the observations ``y_[old_n : n_]`` through the state;
* ``_predict_core(horizon, exog_future)``: the mean of the next ``horizon`` points.

``fit`` prepares the series (:mod:`models.forecast.prepare`), picks the season
(:mod:`models.forecast.seasonality`), then runs a rolling-origin backtest over the last part
of the history (fit once on the beginning, then ``_advance_core`` from origin to origin) to
calibrate the intervals (:mod:`models.forecast.intervals`), and finally refits on
everything. When that fails for any reason the model falls back to a seasonal naive
forecast and says so in ``fallback_reason_`` and in the forecast's ``model`` name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd

from models.forecast.base import (
    DEFAULT_LEVELS,
    BadExog,
    Forecast,
    NotFitted,
    check_levels,
    future_timestamps,
)
from models.forecast.cancel import FitCancelled, check_cancelled
from models.forecast.intervals import ResidualCalibrator, random_walk_scale
from models.forecast.prepare import PreparedSeries, prepare
from models.forecast.seasonality import Seasonality, detect_seasonality
from models.forecast.threads import single_threaded

DEFAULT_CALIBRATION_ORIGINS = 60


def choose_season(seasonality: Seasonality, n: int) -> int:
    """The longest confirmed period seen at least three times, else the shortest; 1 = none."""
    usable = [p for p in seasonality.periods if n >= 3 * p]
    if usable:
        return max(usable)
    return min(seasonality.periods) if seasonality.periods else 1


class BaseForecaster:
    """Template for the models; see the module docstring."""

    name = "base"
    supports_exog = False
    heavy = False  # uses statsmodels / scikit-learn: fit with one BLAS/OpenMP thread

    def __init__(
        self,
        season: int | None = None,
        calibration_horizon: int | None = None,
        calibration_origins: int = DEFAULT_CALIBRATION_ORIGINS,
        seed: int = 0,
    ) -> None:
        # season: None = detect from timestamps and data; 1 = not seasonal; m = period m.
        self.season = season
        self.calibration_horizon = calibration_horizon
        self.calibration_origins = calibration_origins
        self.seed = seed
        self.n_: int = 0

    # ----------------------------------------------------------------- public API
    def fit(self, series: pd.Series, exog: pd.DataFrame | None = None) -> Self:
        prepared = prepare(series)
        return self.fit_prepared(prepared, exog)

    def fit_prepared(
        self,
        prepared: PreparedSeries,
        exog: pd.DataFrame | None = None,
        seasonality: Seasonality | None = None,
    ) -> Self:
        """Fit on an already prepared series; ``seasonality`` saves detecting it again."""
        if not self.heavy:  # numpy-only models: the limit would cost more than the fit
            return self._fit_prepared(prepared, exog, seasonality)
        with single_threaded():  # see models.forecast.threads: x10 faster on a busy box
            return self._fit_prepared(prepared, exog, seasonality)

    def _fit_prepared(
        self,
        prepared: PreparedSeries,
        exog: pd.DataFrame | None,
        seasonality: Seasonality | None,
    ) -> Self:
        self.prepared_ = prepared
        self.start_ = prepared.start
        self.step_ = prepared.step
        self.y_ = prepared.values.astype(float, copy=True)
        self.observed_ = prepared.observed.copy()
        self.exog_ = self._align_exog(exog, prepared) if self.supports_exog else None
        self.seasonality_ = seasonality or detect_seasonality(self.y_, self.step_)
        self.season_ = self.season or choose_season(self.seasonality_, len(self.y_))
        self.scale_ = float(np.nanmean(np.abs(self.y_))) or 1.0
        self.fallback_: BaseForecaster | None = None
        self.fallback_reason_: str | None = None
        self.calibrator_ = ResidualCalibrator(np.empty((0, 0)), random_walk_scale(self.y_))
        try:
            self._check_fit_possible(len(self.y_))
            self.calibrator_ = self._calibrate()
            self.n_ = len(self.y_)
            self._fit_core()
            probe_exog = None if self.exog_ is None else self.exog_[-1:]
            if not np.all(np.isfinite(self._predict_core(1, probe_exog))):
                raise ArithmeticError("the fitted model predicts non-finite values")
        except FitCancelled:
            raise  # the caller asked to stop: no fallback, no result
        except Exception as error:  # noqa: BLE001 - any failure means: use the fallback
            self._use_fallback(prepared, error)
        return self

    def predict(
        self,
        horizon: int,
        exog: pd.DataFrame | None = None,
        levels: Sequence[int] = DEFAULT_LEVELS,
    ) -> Forecast:
        self._check_fitted()
        levels = check_levels(levels)
        if horizon < 1:
            raise ValueError(f"horizon must be at least 1, got {horizon}")
        if self.fallback_ is not None:
            inner = self.fallback_.predict(horizon, exog, levels)
            return Forecast(
                inner.timestamps,
                np.array(inner.mean),
                {k: np.array(v) for k, v in inner.lower.items()},
                {k: np.array(v) for k, v in inner.upper.items()},
                model=f"{self.name}(fallback: {inner.model})",
                details={**inner.details, "fallback_reason": self.fallback_reason_},
            )
        mean = self.predict_mean(horizon, exog)
        offsets = self.calibrator_.offsets(levels, horizon, scale_hint=self.scale_)
        forecast = Forecast(
            timestamps=future_timestamps(self.last_timestamp, self.step_, horizon),
            mean=mean,
            lower={level: mean + offsets[level][0] for level in levels},
            upper={level: mean + offsets[level][1] for level in levels},
            model=self.name,
            details=self.describe(),
        )
        return forecast.floored(0.0) if never_negative(self.prepared_) else forecast

    def predict_mean(self, horizon: int, exog: pd.DataFrame | None = None) -> np.ndarray:
        """Only the point forecast (cheaper: used by backtests)."""
        self._check_fitted()
        if self.fallback_ is not None:
            return self.fallback_.predict_mean(horizon, exog)
        exog_future = self._future_exog(exog, horizon)
        if not self.heavy:
            return np.asarray(self._predict_core(horizon, exog_future), dtype=float)
        with single_threaded():
            return np.asarray(self._predict_core(horizon, exog_future), dtype=float)

    def update(
        self, new_values: Sequence[float] | np.ndarray, exog: pd.DataFrame | None = None
    ) -> Self:
        """Filter observations that continue the grid through the fitted state (no refit).

        A missing value (NaN) is replaced by the model's own one-step forecast, so it
        neither moves the state nor breaks it.
        """
        self._check_fitted()
        new = np.asarray(new_values, dtype=float).ravel()
        if self.fallback_ is not None:
            self.fallback_.update(new, exog)
            return self
        new_exog = self._future_exog(exog, len(new)) if self.exog_ is not None else None
        if np.all(np.isfinite(new)):  # the common case: one append, one filter pass
            self._append(new, np.ones(len(new), dtype=bool), new_exog)
            return self
        for i, value in enumerate(new):
            step_exog = None if new_exog is None else new_exog[i : i + 1]
            observed = bool(np.isfinite(value))
            if not observed:
                value = float(self._predict_core(1, step_exog)[0])
            self._append(np.array([value]), np.array([observed]), step_exog)
        return self

    @property
    def last_timestamp(self) -> pd.Timestamp:
        self._check_fitted()
        return self.start_ + self.step_ * (self.n_ - 1)

    def describe(self) -> dict[str, object]:
        return {
            "season": self.season_,
            "seasonal_periods": self.seasonality_.periods,
            "calibrated_steps": self.calibrator_.calibrated_steps,
            "prepared": self.prepared_.counts(),
            "fallback_reason": self.fallback_reason_,
        }

    # -------------------------------------------------------------- for subclasses
    def _check_fit_possible(self, n: int) -> None:
        """Raise (anything) when ``n`` points are too few for this model."""

    def _fit_core(self) -> None:
        raise NotImplementedError

    def _advance_core(self, old_n: int) -> None:
        raise NotImplementedError

    def _predict_core(self, horizon: int, exog_future: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    def _min_train(self) -> int:
        """Points the model needs before the first calibration origin."""
        return 2 * self.season_ if self.season_ > 1 else 24

    def history(self) -> np.ndarray:
        return self.y_[: self.n_]

    def positions_timestamps(self, positions: np.ndarray) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.start_ + self.step_ * np.asarray(positions))

    # ------------------------------------------------------------------- internals
    def _calibrate(self) -> ResidualCalibrator:
        """Rolling-origin backtest over the end of the history: errors per step."""
        n = len(self.y_)
        fallback_scale = random_walk_scale(self.y_)
        horizon = self.calibration_horizon or min(max(self.season_, 12), max(1, n // 4))
        # Origins spread over two seasons (and at least a horizon, and every 4th point or
        # sparser): errors from one phase of the day, or from a few adjacent hours, would
        # misjudge both the model and its intervals.
        span = max(4 * self.calibration_origins, horizon, 2 * self.season_)
        # ... but leave at least half the history to train the first origin's fit.
        window = min(n - self._min_train(), horizon + span, max(n // 2, horizon + 1))
        if window < max(2, horizon // 2) or self.calibration_origins < 1:
            return ResidualCalibrator(np.empty((0, 0)), fallback_scale)
        first = n - window
        stride = max(1, window // self.calibration_origins)
        origins = list(range(first, n, stride))
        errors = np.full((len(origins), horizon), np.nan)
        actuals = np.full((len(origins), horizon), np.nan)
        self.n_ = first
        self._fit_core()
        for row, origin in enumerate(origins):
            check_cancelled()
            if origin > self.n_:
                old = self.n_
                self.n_ = origin
                self._advance_core(old)
            exog_future = None if self.exog_ is None else self._pad_exog(origin, horizon)
            mean = self._predict_core(horizon, exog_future)
            stop = min(n, origin + horizon)
            actual = np.where(self.observed_[origin:stop], self.y_[origin:stop], np.nan)
            errors[row, : stop - origin] = actual - mean[: stop - origin]
            actuals[row, : stop - origin] = actual
        return ResidualCalibrator(errors, fallback_scale, actuals)

    def _append(self, values: np.ndarray, observed: np.ndarray, exog: np.ndarray | None) -> None:
        old = self.n_
        self.y_ = np.concatenate([self.y_[:old], values])
        self.observed_ = np.concatenate([self.observed_[:old], observed])
        if exog is not None and self.exog_ is not None:
            self.exog_ = np.vstack([self.exog_[:old], exog])
        self.n_ = old + len(values)
        self._advance_core(old)

    def _use_fallback(self, prepared: PreparedSeries, error: Exception) -> None:
        from models.forecast.naive import SeasonalNaive

        if isinstance(self, SeasonalNaive):
            raise error  # nothing simpler to fall back to
        fallback = SeasonalNaive(
            season=self.season_, calibration_horizon=self.calibration_horizon
        ).fit_prepared(prepared, seasonality=self.seasonality_)
        self.fallback_ = fallback
        self.fallback_reason_ = f"{type(error).__name__}: {error}"
        self.n_ = len(self.y_)

    def _check_fitted(self) -> None:
        if not hasattr(self, "prepared_"):
            raise NotFitted(self.name)

    def _align_exog(self, exog: pd.DataFrame | None, prepared: PreparedSeries) -> np.ndarray | None:
        if exog is None:
            return None
        frame = pd.DataFrame(exog).copy()
        frame.index = pd.to_datetime(frame.index, utc=True)
        frame = frame.sort_index()
        frame = frame[~frame.index.duplicated(keep="last")]
        aligned = frame.reindex(prepared.index, method="nearest").astype(float)
        if aligned.isna().to_numpy().any():
            raise BadExog("could not align exogenous columns on the series' timestamps")
        return aligned.to_numpy()

    def _future_exog(self, exog: pd.DataFrame | None, horizon: int) -> np.ndarray | None:
        if self.exog_ is None:
            return None
        if exog is None:
            raise BadExog(f"model {self.name!r} was fitted with exogenous input: pass it again")
        values = np.asarray(pd.DataFrame(exog).astype(float).to_numpy())
        if values.shape[0] < horizon or values.shape[1] != self.exog_.shape[1]:
            raise BadExog(
                f"need {horizon} rows x {self.exog_.shape[1]} columns, got {values.shape}"
            )
        return values[:horizon]

    def _pad_exog(self, origin: int, horizon: int) -> np.ndarray:
        assert self.exog_ is not None
        block = self.exog_[origin : origin + horizon]
        if len(block) < horizon:
            block = np.vstack([block, np.repeat(self.exog_[-1:], horizon - len(block), axis=0)])
        return block


def never_negative(prepared: PreparedSeries) -> bool:
    """A series that was never below zero (requests, bytes, percentages) stays so."""
    return bool(np.min(prepared.values) >= 0)
