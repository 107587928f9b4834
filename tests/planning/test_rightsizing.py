from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.planning import rightsize, rightsizing_suggestions
from tests.planning.builders import make_target

DAYS = 20
INDEX = pd.date_range("2026-02-01", periods=DAYS * 24, freq="h", tz="UTC")


def cpu(peak: float, old_peak: float | None = None) -> pd.Series:
    """Hourly CPU % with a daily cycle peaking at ``peak``; optionally a higher peak
    more than 14 days ago."""
    daily = peak * (0.5 + 0.5 * np.sin(2 * np.pi * np.arange(len(INDEX)) / 24))
    series = pd.Series(daily, index=INDEX)
    if old_peak is not None:
        series.iloc[24] = old_peak
    return series


def utilisation_target(**overrides: object):
    fields = {"metric": "cpu.percent", "metric_kind": "utilisation", "per_unit": 60.0,
              "current": 10, "desired": 10, "minimum": 2, "price_per_unit_hour": 0.2}  # fmt: skip
    fields.update(overrides)
    return make_target(**fields)


def test_suggests_the_capacity_that_serves_the_peak_and_its_saving() -> None:
    # Peak 18 % on 10 units = 180 unit-% = 3 units at 60 %; +10 % -> 4 units.
    suggestion = rightsize(utilisation_target(), cpu(18.0), peak_quantile=1.0)
    assert suggestion is not None
    assert suggestion.peak_units == pytest.approx(3.0)
    assert suggestion.peak_fraction == pytest.approx(0.3)
    assert suggestion.suggested == 4
    assert suggestion.saving_per_hour == pytest.approx(6 * 0.2)
    assert suggestion.saving_per_month == pytest.approx(6 * 0.2 * 730)
    assert suggestion.samples == 14 * 24
    assert "4 units would save $876/month" in suggestion.describe()


def test_busy_targets_are_left_alone() -> None:
    assert rightsize(utilisation_target(), cpu(45.0)) is None  # peak 75 % of capacity


def test_only_the_recent_window_counts() -> None:
    target = utilisation_target()
    assert rightsize(target, cpu(18.0, old_peak=90.0), days=14) is not None
    assert rightsize(target, cpu(18.0, old_peak=90.0), days=DAYS, peak_quantile=1.0) is None


def test_minimum_capacity_is_respected() -> None:
    suggestion = rightsize(utilisation_target(minimum=6), cpu(6.0))
    assert suggestion is not None and suggestion.suggested == 6


def test_plain_arrays_and_throughput_metrics() -> None:
    target = make_target(current=10, desired=10)  # 100 req/s per unit
    suggestion = rightsize(target, np.array([100.0, 250.0, np.nan, 200.0]), peak_quantile=1.0)
    assert suggestion is not None and suggestion.suggested == 3  # 2.5 units + 10 % -> 3
    assert rightsize(target, np.array([np.nan])) is None


def test_suggestions_for_many_targets_biggest_saving_first() -> None:
    small = utilisation_target(name="small", current=5, desired=5)
    big = utilisation_target(name="big", current=20, desired=20)
    busy = utilisation_target(name="busy")
    found = rightsizing_suggestions(
        [small, big, busy, utilisation_target(name="no-history")],
        {"small": cpu(10.0), "big": cpu(10.0), "busy": cpu(55.0)},
    )
    assert [s.target for s in found] == ["big", "small"]
