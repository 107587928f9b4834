"""Seasonality: candidate periods from the step, confirmed (or not) by the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.forecast import detect_seasonality
from tests.forecast.synthetic import seasonal_series


def test_daily_at_five_minutes():
    series = seasonal_series(days=4, freq="5min", noise=3.0)
    assert detect_seasonality(series.to_numpy(), pd.Timedelta("5min")).periods == (288,)


def test_daily_and_weekly_at_one_hour():
    series = seasonal_series(days=28, freq="1h", weekly=True, noise=2.0)
    assert detect_seasonality(series.to_numpy(), pd.Timedelta("1h")).periods == (24, 168)


def test_daily_only_is_not_called_weekly():
    series = seasonal_series(days=28, freq="1h", weekly=False, noise=2.0)
    assert detect_seasonality(series.to_numpy(), pd.Timedelta("1h")).periods == (24,)


@pytest.mark.parametrize("seed", range(5))
def test_white_noise_and_random_walk_have_no_season(seed):
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=2000)
    assert detect_seasonality(noise, pd.Timedelta("5min")).periods == ()
    walk = np.cumsum(rng.normal(size=2000))
    assert detect_seasonality(walk, pd.Timedelta("1h")).periods == ()


def test_too_short_for_two_cycles_has_no_season():
    series = seasonal_series(days=1, freq="5min", noise=0.1)
    assert detect_seasonality(series.to_numpy(), pd.Timedelta("5min")).periods == ()
