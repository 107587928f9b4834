"""Live plans: the hour-of-day calibration learnt from a target's own history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.planning import plan_capacity
from models.planning.hourly import (
    HOURLY_RAISE,
    HourlyCalibration,
    history_backtest,
    hourly_from_backtest,
    raise_forecast,
)
from tests.planning.builders import make_forecast, make_target

HOUR = 3600.0


def nightly_job_history(days: int = 14, seed: int = 3) -> pd.Series:
    """Half-hour demand: a daily cycle around 400, and a nightly job at 02:00 or 02:30
    that adds 300 to 900 (a perfectly regular job is in the forecast's mean already)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-03-02", periods=days * 48, freq="30min", tz="UTC")
    phase = 2 * np.pi * (index.hour * 60 + index.minute) / 1440
    values = 400 + 150 * np.sin(phase.to_numpy()) + rng.normal(0, 10, len(index))
    for day in range(days):
        slot = day * 48 + 4 + rng.integers(0, 2)
        values[slot] += rng.uniform(300, 900)
    return pd.Series(values, index=index)


def learnt(history: pd.Series) -> HourlyCalibration:
    """What a live target's cycle learns: its history backtest, by hour of day."""
    return hourly_from_backtest(history_backtest(history, horizon=12, level=95), 95)


def test_the_jobs_hour_is_learnt_from_history_and_only_that_hour() -> None:
    calibration = learnt(nightly_job_history())
    at_job = calibration.offset(2 * HOUR)
    assert at_job > 300  # the job, which the pooled band spreads over the whole day
    for hour in (8, 12, 20):
        assert 0 < calibration.offset(hour * HOUR) < 100


def test_a_short_history_learns_nothing_and_raises_nothing() -> None:
    calibration = learnt(nightly_job_history(days=2))
    forecast = make_forecast([500.0] * 6, start=pd.Timestamp("2026-03-05 00:00", tz="UTC"))
    assert raise_forecast(forecast, 95, calibration) is forecast


def test_raised_forecast_keeps_bands_nested_and_the_plan_says_why() -> None:
    calibration = HourlyCalibration(80)
    for day in range(45):
        calibration.record(day * 86_400 + 2 * HOUR, 700.0)
    start = pd.Timestamp("2026-03-10 01:00", tz="UTC")
    forecast = make_forecast([500.0] * 6, start=start, step="30min")  # 01:00 .. 03:30
    raised = raise_forecast(forecast, 80, calibration)
    extra = np.asarray(raised.details[HOURLY_RAISE])
    assert (extra[[2, 3]] > 0).all() and (extra[[0, 1, 4, 5]] == 0).all()  # 02:00, 02:30
    assert (raised.upper[80] <= raised.upper[95]).all()
    np.testing.assert_allclose(raised.upper[80][2], raised.mean[2] + 700.0)
    np.testing.assert_array_equal(raised.mean, forecast.mean)

    target = make_target(current=5, warmup=pd.Timedelta(0).to_pytimedelta())
    from models.planning import PlannerSettings

    plan = plan_capacity(target, raised, PlannerSettings(level=80, headroom=0.0))
    notes = [s.trace.steps[0].note for s in plan.steps]
    assert any("past forecasts at this hour of day" in note for note in notes), notes


def test_a_cancelled_calibration_stops_instead_of_learning_nothing() -> None:
    from models.forecast.backtest import BacktestCancelled

    with pytest.raises(BacktestCancelled):
        history_backtest(nightly_job_history(), 12, 95, cancelled=lambda: True)
