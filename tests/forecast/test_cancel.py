"""A fit can be stopped in the middle from another thread (models.forecast.cancel)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest

from models.forecast import (
    BacktestCancelled,
    FitCancelled,
    GradientBoosting,
    cancellable,
    rolling_origin_backtest,
)
from tests.forecast.synthetic import seasonal_series


def test_a_cancelled_boosting_fit_stops_early_and_does_not_fall_back():
    series = seasonal_series(days=60, freq="5min", noise=2.0)
    began = time.perf_counter()
    full = GradientBoosting(calibration_horizon=12).fit(series)
    full_seconds = time.perf_counter() - began
    assert full.fallback_ is None

    stop = threading.Event()
    threading.Timer(0.05, stop.set).start()
    began = time.perf_counter()
    with pytest.raises(FitCancelled), cancellable(stop.is_set):
        GradientBoosting(calibration_horizon=12).fit(series)
    # Stopped well before a whole fit (rounds of 20 trees), not after it.
    assert time.perf_counter() - began < max(0.5 * full_seconds, 0.3)


def test_outside_a_cancellable_block_nothing_is_checked():
    series = seasonal_series(days=10, freq="1h")
    model = GradientBoosting(calibration_horizon=6).fit(series)
    assert model.fallback_ is None and np.isfinite(model.predict(6).mean).all()


def test_a_backtest_refit_is_interrupted_by_its_cancel_callable():
    series = seasonal_series(days=30, freq="5min", noise=2.0)
    calls = {"n": 0}

    def cancelled() -> bool:  # False at the backtest's own checks, True inside the refit
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(BacktestCancelled) as raised:
        rolling_origin_backtest(series, 12, pd.Timestamp(series.index[-100]), model="gbm",
                                cancelled=cancelled)  # fmt: skip
    assert raised.value.total == 100 and raised.value.done == 0
