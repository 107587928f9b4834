"""The forecasting engine (no Qt here). Public API — keep it stable, others build on it.

Results and contract (:mod:`models.forecast.base`)::

    Forecast(timestamps: DatetimeIndex, mean: ndarray, lower: {level: ndarray},
             upper: {level: ndarray}, model: str, details: {str: object})  # frozen
        .to_frame() -> DataFrame[timestamp, mean, lo_80, hi_80, lo_95, hi_95]
    Forecaster (typing.Protocol):
        fit(series: pd.Series, exog: pd.DataFrame | None = None) -> Self
        predict(horizon: int, exog=None, levels=(80, 95)) -> Forecast
        update(new_values, exog=None) -> Self      # filter new points, no refit
    errors: ForecastError > InsufficientData(available, needed, reason), NotFitted(model),
            FitCancelled (raised inside ``with cancellable(cancelled):`` once cancelled()),
            BadExog(reason), UnknownModel(name)

Models (one family per module; hyperparameters in the constructor, fitted state in
attributes ending in ``_``, seasonal naive fallback when a fit fails — ``fallback_reason_``)::

    SeasonalNaive(season=None, seasons=1)            "naive"
    SeasonalProfile(season=None, cycles=6, trend=False)   "profile" / "profile_trend"
    LinearTrendProfile(season=None, cycles=6)             "linear" (undamped trend)
    ExponentialSmoothing(season=None, damped_trend=True)  "ets"
    Arima(season=None, order=(2, 1, 1), harmonics=4)      "arima"  (exog)
    GradientBoosting(season=None, max_iter=100)           "gbm"    (exog)
    AutoForecaster(candidates=FULL_CANDIDATES, metric="mase", margin=0.02, combine=3)
        "auto": backtests every candidate, keeps the best (or Ensemble, the mean of the
        best three); after fit: chosen_, scores_, model_
    Ensemble(members)  equal-weight mean of fitted models, calibrated on its own errors
    make_model(name, **params) -> model;  MODELS, FAST_CANDIDATES, FULL_CANDIDATES
    (all also take calibration_horizon=None, calibration_origins=60, seed=0;
     season None = detect, 1 = not seasonal)

Preparation and seasonality::

    prepare(series, step=None, max_interpolated_gap=12, handle_level_shift=True)
        -> PreparedSeries (values, observed, start, step, counts of what was done)
    detect_seasonality(values, step: Timedelta) -> Seasonality(periods, scores)

Many series, backtests, exhaustion::

    forecast_many(series: Mapping[str, Series], horizon, levels=(80, 95), max_workers=None,
                  progress=(done, total) -> None, cancelled=() -> bool,
                  *, model="auto", candidates=FAST_CANDIDATES)
        -> {name: Forecast | ForecastCancelled | SeriesFailed}
    rolling_origin_backtest(series, horizon, start, *, model="auto", refit_every=288,
                            levels=(80, 95), progress=..., cancelled=...) -> BacktestResult
    time_to_exhaustion(forecast, thresholds=(90, 100), likely=0.1) -> list[Exhaustion]
    Exhaustion(threshold, first_time_mean_crosses, probability_by_horizon_end,
               earliest_likely_time)
"""

from __future__ import annotations

from models.forecast.arima import Arima
from models.forecast.auto import AutoForecaster
from models.forecast.backtest import (
    BacktestCancelled,
    BacktestResult,
    NoOrigins,
    rolling_origin_backtest,
)
from models.forecast.base import (
    DEFAULT_LEVELS,
    BadExog,
    Forecast,
    Forecaster,
    ForecastError,
    InsufficientData,
    NotFitted,
)
from models.forecast.cancel import FitCancelled, cancellable, check_cancelled
from models.forecast.ensemble import Ensemble
from models.forecast.ets import ExponentialSmoothing
from models.forecast.exhaustion import Exhaustion, exhaustion_for_metric, time_to_exhaustion
from models.forecast.gbm import GradientBoosting
from models.forecast.naive import SeasonalNaive
from models.forecast.parallel import ForecastCancelled, SeriesFailed, forecast_many, forecast_one
from models.forecast.prepare import PreparedSeries, prepare
from models.forecast.profile import SeasonalProfile
from models.forecast.registry import (
    FAST_CANDIDATES,
    FULL_CANDIDATES,
    MODELS,
    UnknownModel,
    make_model,
)
from models.forecast.seasonality import Seasonality, detect_seasonality

__all__ = [
    "DEFAULT_LEVELS",
    "FitCancelled",
    "cancellable",
    "check_cancelled",
    "FAST_CANDIDATES",
    "FULL_CANDIDATES",
    "MODELS",
    "Arima",
    "AutoForecaster",
    "BacktestCancelled",
    "BacktestResult",
    "BadExog",
    "Ensemble",
    "Exhaustion",
    "ExponentialSmoothing",
    "Forecast",
    "ForecastCancelled",
    "ForecastError",
    "Forecaster",
    "GradientBoosting",
    "InsufficientData",
    "NoOrigins",
    "NotFitted",
    "PreparedSeries",
    "SeasonalNaive",
    "SeasonalProfile",
    "Seasonality",
    "SeriesFailed",
    "UnknownModel",
    "detect_seasonality",
    "exhaustion_for_metric",
    "forecast_many",
    "forecast_one",
    "make_model",
    "prepare",
    "rolling_origin_backtest",
    "time_to_exhaustion",
]
