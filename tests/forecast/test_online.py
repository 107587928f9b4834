"""Between refits the automatic choice follows the data (models.forecast.online)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.forecast import AutoForecaster
from models.forecast.online import OnlineScores


def _changed_shape(days_before: int, days_after: int, seed: int = 1) -> pd.Series:
    """A daily sine that flips to its mirror image (a new daily shape) at ``days_before``."""
    index = pd.date_range("2024-01-01", periods=24 * (days_before + days_after), freq="1h",
                          tz="UTC", name="timestamp")  # fmt: skip
    wave = 10 * np.sin(2 * np.pi * index.hour.to_numpy() / 24)
    wave[24 * days_before :] *= -1
    noise = np.random.default_rng(seed).normal(0, 2.0, len(index))
    return pd.Series(50 + wave + noise, index=index)


def _errors_after_change(switch_margin: float | None) -> tuple[float, AutoForecaster]:
    series = _changed_shape(days_before=10, days_after=4)
    fit_end = 24 * 10
    auto = AutoForecaster(candidates=("naive", "profile"), combine=1, switch_margin=switch_margin,
                          calibration_horizon=6).fit(series[:fit_end])  # fmt: skip
    errors = []
    for t in range(fit_end, len(series) - 6):
        if t >= fit_end + 36:  # judge once a day and a half of the new shape is known
            errors.append(np.abs(auto.predict_mean(6) - series.to_numpy()[t : t + 6]).mean())
        auto.update(series.to_numpy()[t : t + 1])
    return float(np.mean(errors)), auto


def test_the_choice_moves_to_the_model_that_follows_a_changed_shape():
    # Before the change the multi-day profile wins (it averages out the noise); after the
    # daily shape flips, yesterday's values (seasonal naive) are right after one day and
    # the profile stays wrong for days.
    kept_error, kept = _errors_after_change(switch_margin=None)
    online_error, online = _errors_after_change(switch_margin=0.2)
    assert kept.chosen_ == "profile" and kept.switches_ == 0
    assert online.chosen_ == "naive" and online.switches_ >= 1
    assert online_error < 0.7 * kept_error


def test_a_stable_series_keeps_its_choice():
    series = _changed_shape(days_before=14, days_after=0)
    auto = AutoForecaster(candidates=("naive", "profile"), combine=1,
                          calibration_horizon=6).fit(series[: 24 * 10])  # fmt: skip
    auto.update(series.to_numpy()[24 * 10 :])
    assert auto.chosen_ == "profile" and auto.switches_ == 0


def test_scores_count_only_forecasts_made_before_the_value():
    scores = OnlineScores({"a": 1.0, "b": 1.0}, horizon=2, half_life=1e9, prior_weight=0.0)
    scores.record({"a": np.array([10.0, 20.0]), "b": np.array([0.0, 0.0])})
    scores.observe(np.array([10.0]))  # step 1 of the forecast made at 0
    scores.record({"a": np.array([30.0, 30.0]), "b": np.array([20.0, 20.0])})
    scores.observe(np.array([20.0]))  # step 2 of the first, step 1 of the second
    assert scores.mae("a") == pytest.approx((0 + 0 + 10) / 3)
    assert scores.mae("b") == pytest.approx((10 + 20 + 0) / 3)
    assert scores.better("b", margin=0.2) == "a"
    assert scores.better("a", margin=0.2) == "a"
    scores.observe(np.array([np.nan]))  # a missing value scores nothing
    assert scores.mae("a") == pytest.approx((0 + 0 + 10) / 3)
