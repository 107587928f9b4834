"""Time to exhaustion on ramps: when the mean crosses, how likely, how early."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.forecast import (
    FAST_CANDIDATES,
    AutoForecaster,
    Forecast,
    exhaustion_for_metric,
    make_model,
    time_to_exhaustion,
)
from models.forecast.linear import theil_sen_slope

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


def filling_disk(rate_per_day: float, days: int = 7, seed: int = 1) -> pd.Series:
    """Disk % at 5-minute steps: a daily swing of +-1, noise, and a steady fill from 50 %."""
    steps = days * 288
    index = pd.date_range("2024-05-01", periods=steps, freq="5min", tz="UTC")
    position = np.arange(steps)
    rng = np.random.default_rng(seed)
    values = (
        50
        + rate_per_day * position / 288
        + np.sin(2 * np.pi * position / 288)
        + rng.normal(0, 0.3, steps)
    )
    return pd.Series(values, index=index)


def test_a_steadily_filling_disk_is_forecast_to_fill():
    # 5 %/day from 50 %: 85 % after a week, so 90 % is 24 h after the last point. A damped
    # trend flattens out below 90 %; the automatic choice must find the undamped one.
    disk = filling_disk(5.0)
    model = AutoForecaster(candidates=FAST_CANDIDATES).fit(disk)
    forecast = model.predict(576)
    assert model.chosen_ == "linear"
    at_90, at_100 = time_to_exhaustion(forecast)
    assert at_90.first_time_mean_crosses is not None
    assert abs(
        at_90.first_time_mean_crosses - (disk.index[-1] + pd.Timedelta("24h"))
    ) <= pd.Timedelta("1h")
    assert at_90.probability_by_horizon_end > 0.95
    assert at_100.first_time_mean_crosses is None and at_100.probability_by_horizon_end < 0.2


def test_a_steady_disk_is_not_forecast_to_fill():
    disk = filling_disk(0.0) + 30  # 80 % and level: nothing to report within 48 h
    forecast = AutoForecaster(candidates=FAST_CANDIDATES).fit(disk).predict(576)
    at_90, _ = time_to_exhaustion(forecast)
    assert at_90.first_time_mean_crosses is None
    assert at_90.probability_by_horizon_end < 0.05


def test_the_linear_slope_ignores_one_odd_day():
    disk = filling_disk(2.0).copy()
    disk.iloc[3 * 288 : 4 * 288] += 20  # one day a batch job filled and then cleaned up
    model = make_model("linear", season=288).fit(disk)  # the bump hides the daily cycle
    assert model.slope_ * 288 == pytest.approx(2.0, abs=0.3)


def test_theil_sen_slope_is_the_median_pairwise_slope():
    assert theil_sen_slope(np.array([0.0, 1.0, 2.0, 30.0, 4.0])) == pytest.approx(1.0)
    assert theil_sen_slope(np.array([5.0])) == 0.0


def test_without_a_season_the_slope_comes_from_the_last_half_of_the_history():
    # Twelve hours of one-minute data, no daily cycle: 1 point/hour of growth under noise
    # ten times the growth per minute. Six blocks of 24 minutes would mostly see noise.
    rng = np.random.default_rng(4)
    index = pd.date_range("2024-05-01", periods=720, freq="1min", tz="UTC")
    usage = pd.Series(70 + np.arange(720) / 60 + rng.normal(0, 0.2, 720), index=index)
    model = make_model("linear", season=1).fit(usage)
    assert model.slope_ * 60 == pytest.approx(1.0, abs=0.1)
