"""The automatic choice: scores every candidate on its backtest, keeps the best."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.forecast import FAST_CANDIDATES, AutoForecaster, make_model
from models.forecast.auto import UnknownMetric
from models.forecast.ensemble import Ensemble
from tests.forecast.synthetic import seasonal_series


def test_profile_beats_naive_on_a_noisy_seasonal_series():
    # Seasonal naive copies yesterday's noise; averaging several days removes most of it.
    series = seasonal_series(days=14, freq="1h", noise=3.0, seed=2)
    auto = AutoForecaster(candidates=FAST_CANDIDATES).fit(series)
    assert set(FAST_CANDIDATES) <= set(auto.scores_)  # plus the mean of the best ones
    assert auto.chosen_ != "naive"
    assert auto.scores_[auto.chosen_] < 0.9 * auto.scores_["naive"]
    forecast = auto.predict(24)
    assert forecast.model == f"auto:{auto.model_.name}"
    assert forecast.details["scores"] == auto.scores_


def test_naive_kept_on_a_random_walk_when_nothing_is_clearly_better():
    rng = np.random.default_rng(0)
    index = pd.date_range("2024-01-01", periods=500, freq="1h", tz="UTC")
    walk = pd.Series(np.cumsum(rng.normal(size=500)), index=index)
    auto = AutoForecaster(candidates=FAST_CANDIDATES).fit(walk)
    best = min(auto.scores_.values())
    # Whatever wins must be within the margin of the best score, and naive is the default.
    assert auto.scores_[auto.chosen_] <= best / (1 - auto.margin) + 1e-12


@pytest.mark.parametrize("metric", ["rmse", "mae", "wape", "smape"])
def test_other_metrics_choose_too(metric):
    series = seasonal_series(days=14, freq="1h", noise=3.0, seed=2)
    auto = AutoForecaster(candidates=FAST_CANDIDATES, metric=metric).fit(series)
    assert auto.chosen_ != "naive"


def test_unknown_metric_is_rejected():
    with pytest.raises(UnknownMetric):
        AutoForecaster(metric="accuracy")


def test_ensemble_is_the_mean_of_its_members_with_its_own_calibration():
    series = seasonal_series(days=14, freq="1h", noise=3.0, seed=2)
    members = [make_model(name).fit(series) for name in ("profile", "profile_trend")]
    ensemble = Ensemble(members)
    forecast = ensemble.predict(24)
    expected = np.mean([m.predict(24).mean for m in members], axis=0)
    np.testing.assert_allclose(forecast.mean, expected)
    assert (forecast.lower[95] <= forecast.lower[80]).all()
    assert (forecast.lower[80] < forecast.mean).all() and (forecast.mean < forecast.upper[80]).all()
    assert (forecast.upper[80] <= forecast.upper[95]).all()
    assert forecast.timestamps[0] == series.index[-1] + pd.Timedelta("1h")
    errors = np.mean([m.calibrator_.errors for m in members], axis=0)
    np.testing.assert_allclose(ensemble.calibrator_.errors, errors)
    ensemble.update(series.iloc[-3:].to_numpy())
    assert ensemble.predict(2).timestamps[0] == series.index[-1] + pd.Timedelta("4h")
