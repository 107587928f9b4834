"""Small builders for planning tests: targets and forecasts with known numbers."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from models.forecast import Forecast
from models.planning import ScalableTarget

START = pd.Timestamp("2026-03-02 08:00", tz="UTC")  # a Monday


def make_target(**overrides: object) -> ScalableTarget:
    fields: dict[str, object] = {
        "name": "web",
        "kind": "asg",
        "metric": "http.requests",
        "metric_kind": "throughput",
        "per_unit": 100.0,
        "current": 4,
        "desired": 4,
        "minimum": 2,
        "maximum": 20,
        "price_per_unit_hour": 0.5,
        "warmup": timedelta(minutes=10),
        "cooldown": timedelta(minutes=5),
        "mode": "auto_approve",
    }
    fields.update(overrides)
    return ScalableTarget(**fields)  # type: ignore[arg-type]


def make_forecast(
    upper: list[float] | np.ndarray,
    *,
    mean_ratio: float = 0.8,
    step: str = "5min",
    start: pd.Timestamp = START,
    model: str = "test",
    details: dict[str, object] | None = None,
) -> Forecast:
    """A forecast whose 95 % upper bound is ``upper``; the mean is ``mean_ratio`` of it."""
    upper = np.asarray(upper, dtype=float)
    mean = upper * mean_ratio
    lower = mean - (upper - mean)
    stamps = pd.date_range(start, periods=len(upper), freq=step, name="timestamp")
    middle_low, middle_high = (mean + lower) / 2, (mean + upper) / 2
    return Forecast(
        stamps,
        mean,
        {80: middle_low, 95: lower},
        {80: middle_high, 95: upper},
        model,
        details or {},
    )
