"""Time to exhaustion on ramps: when the mean crosses, how likely, how early."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.forecast import Forecast, exhaustion_for_metric, make_model, time_to_exhaustion

STEP = pd.Timedelta("1h")


def ramp_forecast(start: float, stop: float, n: int, half80: float, half95: float) -> Forecast:
    timestamps = pd.date_range("2024-05-01", periods=n, freq=STEP, tz="UTC")
    mean = np.linspace(start, stop, n)
    return Forecast(
        timestamps,
        mean,
        {80: mean - half80, 95: mean - half95},
        {80: mean + half80, 95: mean + half95},
        model="hand",
    )


def test_linear_ramp_crossings():
    forecast = ramp_forecast(80, 110, 31, 2.0, 4.0)  # +1 per step
    at_90, at_100, never = time_to_exhaustion(forecast, thresholds=(90, 100, 200))
    assert at_90.first_time_mean_crosses == forecast.timestamps[10]
    assert at_100.first_time_mean_crosses == forecast.timestamps[20]
    # P(>= 90) reaches 10 % where the upper 80 % bound (the 90 % quantile) touches 90.
    assert at_90.earliest_likely_time == forecast.timestamps[8]
    assert at_90.probability_by_horizon_end == pytest.approx(1.0, abs=1e-6)
    assert never.first_time_mean_crosses is None and never.earliest_likely_time is None
    assert never.probability_by_horizon_end < 1e-6


def test_probability_at_the_mean_is_one_half():
    forecast = ramp_forecast(50, 90, 41, 3.0, 6.0)  # ends exactly at 90
    (result,) = time_to_exhaustion(forecast, thresholds=(90,))
    assert result.probability_by_horizon_end == pytest.approx(0.5, abs=1e-9)
    assert result.first_time_mean_crosses == forecast.timestamps[-1]


def test_filling_disk_forecast_from_a_real_model():
    # A disk filling at 0.5 %/h from 60 %, with small noise: 90 % is 60 h after the start.
    index = pd.date_range("2024-05-01", periods=48, freq=STEP, tz="UTC")
    rng = np.random.default_rng(0)
    usage = pd.Series(60 + 0.5 * np.arange(48) + rng.normal(0, 0.05, 48), index=index)
    forecast = make_model("profile_trend", season=1).fit(usage).predict(48)
    (at_90,) = time_to_exhaustion(forecast, thresholds=(90,))
    expected = index[0] + 60 * STEP
    assert at_90.first_time_mean_crosses is not None
    assert abs(at_90.first_time_mean_crosses - expected) <= 12 * STEP
    assert at_90.probability_by_horizon_end > 0.5


def test_only_bounded_metrics_get_exhaustion():
    forecast = ramp_forecast(80, 110, 31, 2.0, 4.0)
    assert len(exhaustion_for_metric("disk.used.percent:/home", forecast)) == 2
    assert exhaustion_for_metric("cpu.percent", forecast) == []
