"""Forecast accuracy: point and interval metrics, and a per-model, per-series scoreboard.

Public API::

    mase(actual, forecast, scale) / seasonal_scale(history, season)
    smape(actual, forecast), wape(actual, forecast), mape(actual, forecast)
    mae(actual, forecast), rmse(actual, forecast)
    coverage(actual, lower, upper), directional_accuracy(actual, forecast, reference)
    score(frame, scale, levels) -> dict          # one backtest frame -> every metric
    scoreboard(frame, scales, levels) -> DataFrame  # rows (series, model), metric columns
"""

from __future__ import annotations

from models.evaluation.metrics import (
    coverage,
    directional_accuracy,
    mae,
    mape,
    mase,
    rmse,
    seasonal_scale,
    smape,
    wape,
)
from models.evaluation.scoreboard import score, scoreboard

__all__ = [
    "coverage",
    "directional_accuracy",
    "mae",
    "mape",
    "mase",
    "rmse",
    "score",
    "scoreboard",
    "seasonal_scale",
    "smape",
    "wape",
]
