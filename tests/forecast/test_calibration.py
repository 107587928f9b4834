"""Interval calibration: empirical coverage close to nominal, at every horizon step."""

from __future__ import annotations

import pandas as pd
import pytest

from models.forecast import rolling_origin_backtest
from tests.forecast.synthetic import seasonal_series


@pytest.fixture(scope="module")
def backtest() -> pd.DataFrame:
    # Two weeks of 5-minute data; 2,000 origins over the last week, 12 steps ahead.
    series = seasonal_series(days=14, freq="5min", noise=2.0, trend=0.0005, seed=7)
    start = series.index[len(series) - 2000]
    result = rolling_origin_backtest(series, 12, start, model="profile", refit_every=288)
    assert result.origins == 2000
    return result.frame.dropna(subset=["actual"])


def inside(frame: pd.DataFrame, level: int) -> pd.Series:
    return (frame["actual"] >= frame[f"lo_{level}"]) & (frame["actual"] <= frame[f"hi_{level}"])


@pytest.mark.parametrize("level", [80, 95])
def test_overall_coverage_is_close_to_nominal(backtest, level):
    assert inside(backtest, level).mean() == pytest.approx(level / 100, abs=0.03)


@pytest.mark.parametrize("level", [80, 95])
def test_coverage_holds_at_every_step(backtest, level):
    by_step = inside(backtest, level).groupby(backtest["step"]).mean()
    assert by_step.between(level / 100 - 0.05, level / 100 + 0.05).all(), by_step


def test_intervals_are_not_needlessly_wide(backtest):
    # Noise sd is 2: a calibrated 80 % interval is about 2 x 1.28 x 2 = 5.1 wide.
    width = (backtest["hi_80"] - backtest["lo_80"]).median()
    assert 4.0 < width < 7.5
