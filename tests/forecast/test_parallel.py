"""forecast_many: a process pool, per-series failures, progress and cancellation."""

from __future__ import annotations

import time

import pandas as pd

from models.forecast import Forecast, ForecastCancelled, SeriesFailed, forecast_many
from tests.forecast.synthetic import seasonal_series


def test_many_series_with_one_failure_and_progress():
    series = {f"host{i}": seasonal_series(days=7, freq="1h", seed=i) for i in range(5)}
    series["broken"] = pd.Series([1.0], index=pd.DatetimeIndex(["2024-01-01"], tz="UTC"))
    seen: list[tuple[int, int]] = []
    results = forecast_many(series, 24, max_workers=2, progress=lambda d, t: seen.append((d, t)),
                            chunk_size=2)  # fmt: skip
    assert list(results) == list(series)
    for name in series:
        if name == "broken":
            assert isinstance(results[name], SeriesFailed)
            assert "broken" in str(results[name])
        else:
            forecast = results[name]
            assert isinstance(forecast, Forecast) and forecast.horizon == 24
            assert forecast.model.startswith("auto:")
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_cancellation_returns_quickly_with_cancelled_entries():
    series = {f"s{i}": seasonal_series(days=7, freq="5min", seed=i) for i in range(40)}
    begun = time.monotonic()
    results = forecast_many(series, 288, max_workers=2, cancelled=lambda: True)
    assert time.monotonic() - begun < 10
    assert len(results) == 40
    assert all(isinstance(v, ForecastCancelled | Forecast) for v in results.values())
    assert sum(isinstance(v, ForecastCancelled) for v in results.values()) >= 30
