"""What the predictive policy planned on: one forecast per decision, past data only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.simulation import ReplaySettings, replay
from tests.simulation.test_replay import daily, series


def settings(warmup_minutes: float, history: int, **extra: object) -> ReplaySettings:
    return ReplaySettings(
        10.0,
        0.5,
        warmup=pd.Timedelta(minutes=warmup_minutes),
        history_intervals=history,
        **extra,  # type: ignore[arg-type]
    )


def test_one_forecast_per_decision_aimed_at_the_interval_new_units_serve() -> None:
    values = daily(4, seed=4)  # two days to learn the cycle from, two replayed
    report = replay(series(values), settings(60, 576), ["predictive", "reactive"])
    predictive = report.policies["predictive"]
    forecast = predictive.forecast
    assert forecast is not None and report.policies["reactive"].forecast is None
    assert forecast.lead == report.warmup_intervals == 12
    n = len(predictive.demand)
    assert len(forecast.mean) == len(forecast.bound) == n
    assert forecast.decisions == n  # every decision had a forecast here
    assert (forecast.bound >= forecast.mean).all()
    # Decision i forecast interval i + lead: on a day/night cycle that moves ~10 units in
    # an hour it must match the demand there, not the demand when it was made.
    aimed = predictive.demand[forecast.lead :]
    made = predictive.demand[: n - forecast.lead]
    mean = forecast.mean[: n - forecast.lead]
    error_aimed = np.mean(np.abs(mean - aimed))
    assert error_aimed < 5.0
    assert error_aimed < 0.6 * np.mean(np.abs(mean - made))
    # The plan covered its bound most of the time (it is an upper bound, not the mean).
    assert np.mean(aimed <= forecast.bound[: n - forecast.lead]) > 0.9


def test_replaying_a_prefix_gives_the_same_forecasts_for_the_prefix() -> None:
    values = daily(3, seed=6)
    config = settings(10, 288)
    whole = replay(series(values), config, ["predictive"]).policies["predictive"]
    cut = 288 + 250  # before the refit at decision 288 (refit_every): it sees the change
    prefix = replay(series(values[:cut]), config, ["predictive"]).policies["predictive"]
    assert whole.forecast is not None and prefix.forecast is not None
    np.testing.assert_array_equal(prefix.forecast.mean, whole.forecast.mean[: cut - 288])
    np.testing.assert_array_equal(prefix.forecast.bound, whole.forecast.bound[: cut - 288])
    np.testing.assert_array_equal(prefix.requested, whole.requested[: cut - 288])
    # The test can fail: a later, different future would change them if it leaked.
    changed = values.copy()
    changed[cut:] *= 3
    other = replay(series(changed), config, ["predictive"]).policies["predictive"]
    assert other.forecast is not None
    np.testing.assert_array_equal(other.forecast.mean[: cut - 288], prefix.forecast.mean)
    assert not np.array_equal(other.forecast.mean, whole.forecast.mean)


def test_decisions_without_a_forecast_are_nan() -> None:
    # Five intervals of history: too few to fit, so the first decisions fall back.
    values = daily(1, seed=2)[:60]
    report = replay(series(values), settings(0, 5), ["predictive"])
    predictive = report.policies["predictive"]
    forecast = predictive.forecast
    assert forecast is not None
    missing = np.isnan(forecast.mean)
    first = int(np.argmin(missing))
    assert first >= 3 and not missing[first:].any()  # a leading block, then forecasts
    assert np.array_equal(missing, np.isnan(forecast.bound))
    # The initial fleet's plan is not a decision of the replay but counts as a fallback.
    assert missing.sum() == predictive.details["decisions_without_forecast"] - 1


def test_forecast_in_the_json_is_a_new_key_of_the_series() -> None:
    report = replay(series(daily(2, seed=1)), settings(10, 288), ["predictive", "static"])
    document = report.to_dict(include_series=True)
    predictive = document["policies"]["predictive"]
    forecast = predictive["series"]["forecast"]
    assert forecast["lead_intervals"] == 2
    assert len(forecast["mean"]) == len(forecast["bound"]) == document["replay"]["intervals"]
    assert forecast["mean"] == report.policies["predictive"].forecast.mean.tolist()
    assert "forecast" not in document["policies"]["static"]["series"]
    assert set(predictive["series"]) == {"requested_units", "serving_units", "forecast"}
    assert "forecast" not in report.to_dict()["policies"]["predictive"]
