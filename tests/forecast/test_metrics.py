"""Accuracy metrics against values computed by hand, and the scoreboard."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.evaluation import (
    coverage,
    directional_accuracy,
    mae,
    mape,
    mase,
    rmse,
    scoreboard,
    seasonal_scale,
    smape,
    wape,
)

ACTUAL = [1.0, 2.0, 3.0, 4.0]
FORECAST = [2.0, 2.0, 2.0, 2.0]  # errors -1, 0, 1, 2


def test_point_metrics_by_hand():
    assert mae(ACTUAL, FORECAST) == pytest.approx(1.0)
    assert rmse(ACTUAL, FORECAST) == pytest.approx(math.sqrt(1.5))
    assert wape(ACTUAL, FORECAST) == pytest.approx(40.0)  # 4 / 10
    assert mape(ACTUAL, FORECAST) == pytest.approx(100 * (1 + 0 + 1 / 3 + 2 / 4) / 4)
    assert smape(ACTUAL, FORECAST) == pytest.approx(100 * (2 / 3 + 0 + 2 / 5 + 4 / 6) / 4)


def test_mase_uses_the_seasonal_naive_scale():
    assert seasonal_scale([1, 3, 5, 7], 1) == pytest.approx(2.0)
    # Season 2 over [0, 10, 1, 11, 2, 12]: |1-0|, |11-10|, |2-1|, |12-11| -> 1.
    assert seasonal_scale([0, 10, 1, 11, 2, 12], 2) == pytest.approx(1.0)
    assert mase(ACTUAL, FORECAST, seasonal_scale([1, 3, 5, 7], 1)) == pytest.approx(0.5)


def test_zero_guards():
    assert mape([0.0, 2.0], [1.0, 1.0]) == pytest.approx(50.0)  # the zero is skipped
    assert math.isnan(mape([0.0, 0.0], [1.0, 1.0]))
    assert smape([0.0, 2.0], [0.0, 2.0]) == 0.0  # 0 vs 0 is perfect, not NaN
    assert math.isnan(wape([0.0], [1.0]))
    assert seasonal_scale([5, 5, 5, 5], 1) == 1.0  # constant history: MASE = MAE


def test_nan_pairs_are_ignored():
    assert mae([1.0, np.nan, 3.0], [2.0, 100.0, 3.0]) == pytest.approx(0.5)


def test_interval_and_direction_metrics():
    assert coverage(ACTUAL, [0, 2, 4, 0], [2, 2, 5, 5]) == pytest.approx(0.75)
    # Reference 1.5: actual goes down, up, up, up; forecast goes up every time.
    assert directional_accuracy(ACTUAL, FORECAST, [1.5] * 4) == pytest.approx(0.75)


def test_scoreboard_rows_per_series_and_model():
    rows = []
    for series, offset in (("a", 0.0), ("b", 1.0)):
        for model, bias in (("good", 0.0), ("bad", 2.0)):
            for a in ACTUAL:
                forecast = a + offset + bias
                rows.append({"series": series, "model": model, "actual": a, "mean": forecast,
                             "lo_80": forecast - 1, "hi_80": forecast + 1,
                             "lo_95": forecast - 3, "hi_95": forecast + 3})  # fmt: skip
    board = scoreboard(pd.DataFrame(rows), {"a": 1.0, "b": 2.0})
    assert board.loc[("a", "good"), "mase"] == pytest.approx(0.0)
    assert board.loc[("a", "bad"), "mase"] == pytest.approx(2.0)
    assert board.loc[("b", "good"), "mase"] == pytest.approx(0.5)  # MAE 1 / scale 2
    assert board.loc[("a", "bad"), "coverage_80"] == 0.0
    assert board.loc[("a", "bad"), "coverage_95"] == 1.0
    assert list(board.index.names) == ["series", "model"]
