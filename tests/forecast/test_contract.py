"""One contract, every forecaster: what any model must satisfy, whatever its maths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.forecast import (
    FAST_CANDIDATES,
    MODELS,
    AutoForecaster,
    BadExog,
    Forecast,
    Forecaster,
    NotFitted,
    make_model,
)
from tests.forecast.synthetic import seasonal_series

# Lighter than the defaults where it only saves time (fewer boosting rounds, fewer
# calibration origins): the code paths under test are the same.
LIGHT = {"calibration_origins": 20}
FACTORIES = {
    name: (
        lambda name=name: make_model(name, **LIGHT, **({"max_iter": 40} if name == "gbm" else {}))
    )
    for name in MODELS
}
FACTORIES["auto"] = lambda: AutoForecaster(candidates=FAST_CANDIDATES, **LIGHT)
NAMES = list(FACTORIES)


@pytest.fixture(scope="module")
def series() -> pd.Series:
    return seasonal_series(days=21, freq="1h", weekly=True, noise=1.0, trend=0.01)


@pytest.fixture(scope="module")
def fitted(series: pd.Series) -> dict[str, Forecaster]:
    return {name: factory().fit(series) for name, factory in FACTORIES.items()}


def assert_valid(forecast: Forecast, horizon: int, last: pd.Timestamp, step: pd.Timedelta):
    assert isinstance(forecast, Forecast)
    assert forecast.horizon == horizon
    expected = pd.date_range(last + step, periods=horizon, freq=step)
    assert (forecast.timestamps == expected).all()
    assert forecast.levels == (80, 95)
    mean = forecast.mean
    lo80, hi80 = forecast.lower[80], forecast.upper[80]
    lo95, hi95 = forecast.lower[95], forecast.upper[95]
    for array in (mean, lo80, hi80, lo95, hi95):
        assert array.shape == (horizon,)
        assert np.all(np.isfinite(array))
    assert np.all(lo95 <= lo80) and np.all(lo80 <= mean)
    assert np.all(mean <= hi80) and np.all(hi80 <= hi95)
    assert np.all(hi80 - lo80 > 0) and np.all(hi95 - lo95 > hi80 - lo80)


@pytest.mark.parametrize("name", NAMES)
def test_forecast_shapes_grid_and_nested_intervals(name, fitted, series):
    model = fitted[name]
    assert isinstance(model, Forecaster)
    step = pd.Timedelta("1h")
    for horizon in (1, 48):  # one step and 48 hours at this resolution
        forecast = model.predict(horizon)
        assert_valid(forecast, horizon, series.index[-1], step)
        assert name.split("_")[0] in forecast.model


@pytest.mark.parametrize("name", NAMES)
def test_forecast_follows_the_seasonal_shape(name, fitted, series):
    # The next day's sine (peak at 06:00, trough at 18:00): any sane model gets the sign.
    forecast = fitted[name].predict(24)
    hours = forecast.timestamps.hour
    assert forecast.mean[hours == 6][0] > forecast.mean[hours == 18][0] + 5


@pytest.mark.parametrize("name", NAMES)
def test_fit_is_deterministic(name, fitted, series):
    again = FACTORIES[name]().fit(series).predict(24)
    first = fitted[name].predict(24)
    np.testing.assert_array_equal(first.mean, again.mean)
    np.testing.assert_array_equal(first.upper[95], again.upper[95])


@pytest.mark.parametrize("name", NAMES)
def test_messy_input_nans_gaps_duplicates(name, series):
    messy = series.copy()
    messy.iloc[100:103] = np.nan  # NaN values
    messy = messy.drop(messy.index[200:206])  # a gap of six hours
    messy = pd.concat([messy, messy.iloc[300:305] + 1.0])  # duplicated timestamps
    messy = messy.sample(frac=1.0, random_state=1)  # unsorted
    model = FACTORIES[name]().fit(messy)
    assert_valid(model.predict(30), 30, series.index[-1], pd.Timedelta("1h"))


@pytest.mark.parametrize("name", NAMES)
def test_update_moves_the_origin(name, series):
    model = FACTORIES[name]().fit(series.iloc[:-5])
    model.update(series.iloc[-5:].to_numpy())
    assert_valid(model.predict(6), 6, series.index[-1], pd.Timedelta("1h"))
    model.update([np.nan])  # a missing observation is absorbed, the grid still advances
    assert model.predict(2).timestamps[0] == series.index[-1] + pd.Timedelta("2h")


@pytest.mark.parametrize("name", NAMES)
def test_predict_before_fit_raises(name):
    with pytest.raises(NotFitted):
        FACTORIES[name]().predict(3)


@pytest.mark.parametrize("name", [n for n in MODELS if make_model(n).supports_exog])
def test_exogenous_events_are_used(name):
    # A daily series plus a large "event" effect known in advance.
    series = seasonal_series(days=21, freq="1h", noise=0.5, seed=3)
    rng = np.random.default_rng(4)
    events = pd.DataFrame({"event": (rng.random(len(series)) < 0.05).astype(float)},
                          index=series.index)  # fmt: skip
    series = series + 30 * events["event"]
    model = FACTORIES[name]().fit(series, exog=events)
    future_index = pd.date_range(series.index[-1] + pd.Timedelta("1h"), periods=6, freq="1h")
    with_event = pd.DataFrame({"event": [0, 0, 1, 0, 0, 0]}, index=future_index, dtype=float)
    forecast = model.predict(6, exog=with_event)
    assert_valid(forecast, 6, series.index[-1], pd.Timedelta("1h"))
    assert forecast.mean[2] > max(forecast.mean[1], forecast.mean[3]) + 10
    with pytest.raises(BadExog):
        model.predict(6)


def test_failed_fit_falls_back_to_seasonal_naive(series):
    class Broken(type(make_model("ets"))):
        def _fit_core(self) -> None:
            raise RuntimeError("optimizer exploded")

    model = Broken().fit(series)
    forecast = model.predict(5)
    assert "fallback" in forecast.model and "naive" in forecast.model
    assert "optimizer exploded" in model.fallback_reason_
    assert_valid(forecast, 5, series.index[-1], pd.Timedelta("1h"))


def test_forecast_is_frozen(fitted):
    forecast = fitted["naive"].predict(3)
    with pytest.raises(AttributeError):
        forecast.model = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        forecast.mean[0] = 1.0
    with pytest.raises(TypeError):
        forecast.lower[80] = np.zeros(3)  # type: ignore[index]
