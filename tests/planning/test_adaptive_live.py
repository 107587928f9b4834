"""Live plans: the adaptive margin learnt from a target's own recent history."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from models.planning import PlannerSettings, plan_capacity
from models.planning.adaptive import ADAPTIVE_FACTOR, AdaptiveMargin, margin_from_backtest
from models.planning.hourly import history_backtest
from tests.planning.builders import make_forecast, make_target


def half_hourly(days: int, noisy_hours: int = 0, seed: int = 5) -> pd.Series:
    """A daily cycle around 400; the noise grows fivefold for the last ``noisy_hours``."""
    rng = np.random.default_rng(seed)
    n = days * 48
    noise = np.full(n, 8.0)
    noise[n - 2 * noisy_hours :] = 40.0
    values = 400 + 150 * np.sin(2 * np.pi * np.arange(n) / 48) + noise * rng.standard_normal(n)
    index = pd.date_range("2026-03-02", periods=n, freq="30min", tz="UTC")
    return pd.Series(values, index=index)


def learnt_margin(series: pd.Series) -> AdaptiveMargin:
    return margin_from_backtest(history_backtest(series, horizon=6, level=95), 95)


def test_a_recently_noisier_target_gets_a_wider_margin_than_a_steady_one() -> None:
    # Hours, not days: the hour-of-day calibration learns a week's errors and lags.
    steady = learnt_margin(half_hourly(14))
    noisier = learnt_margin(half_hourly(14, noisy_hours=12))
    assert noisier.factor > 2.0
    assert steady.factor < 1.5
    assert noisier.misses > steady.misses
    assert steady.checks == noisier.checks > 300  # a week of one-step-ahead forecasts


def test_no_backtest_means_no_widening() -> None:
    assert margin_from_backtest(None, 95).factor == 1.0


def test_the_plan_says_when_the_margin_was_widened() -> None:
    margin = AdaptiveMargin(95)
    for _ in range(3):
        margin.record(actual=200.0, bound=100.0)
    forecast = margin.widen(make_forecast([500.0] * 6), 95)
    assert forecast.details[ADAPTIVE_FACTOR] == margin.factor > 1.0
    target = make_target(current=5, warmup=timedelta(0))
    plan = plan_capacity(target, forecast, PlannerSettings(level=95, headroom=0.0))
    notes = [s.trace.steps[0].note for s in plan.steps]
    assert notes and all(f"x{margin.factor:.2f}" in note for note in notes), notes
