"""Hour-of-day calibration: conformal quantiles per hour, and what it buys in a replay."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from models.planning.hourly import HourlyCalibration
from models.simulation import ReplaySettings, replay

HOUR = 3600.0


@settings(max_examples=60, deadline=None)
@given(
    errors=st.lists(st.floats(-1e3, 1e3), min_size=0, max_size=120),
    memory=st.integers(40, 80),
    level=st.sampled_from([80, 90, 95]),
)
def test_offset_is_the_conformal_quantile_of_the_hours_recent_errors(
    errors: list[float], memory: int, level: int
) -> None:
    calibration = HourlyCalibration(level, memory=memory)
    for error in errors:
        calibration.record(5 * HOUR + 60.0, error)  # all at 05:01
    kept = np.array(errors[-memory:])
    if len(kept) < calibration.min_samples:
        assert np.isnan(calibration.offset(5 * HOUR))
        return
    n = len(kept)
    expected = np.quantile(kept, min(1.0, (0.5 + level / 200) * (n + 1) / n))
    assert np.isclose(calibration.offset(5 * HOUR + 3599.0), expected)
    assert np.isnan(calibration.offset(6 * HOUR))  # another hour learnt nothing


def test_raise_bound_only_raises_and_only_in_the_hours_that_need_it() -> None:
    calibration = HourlyCalibration(95)
    day = 86_400.0
    for d in range(50):
        calibration.record(d * day + 3 * HOUR, 40.0)  # 03:00 misses by 40 every night
        calibration.record(d * day + 12 * HOUR, -5.0)  # noon is over-forecast
    times = np.array([3 * HOUR, 12 * HOUR, 18 * HOUR]) + 7 * day
    mean, upper = np.full(3, 100.0), np.full(3, 110.0)
    np.testing.assert_allclose(calibration.raise_bound(times, mean, upper), [140.0, 110.0, 110.0])


def cron_demand(days: int, seed: int = 0) -> pd.Series:
    """Flat demand around 20 with a nightly job at 02:00 (+-10 min) that needs 100."""
    rng = np.random.default_rng(seed)
    values = 20 + rng.normal(0, 1, days * 288)
    for day in range(days):
        values[day * 288 + 24 + rng.integers(-2, 3)] = 100.0
    index = pd.date_range("2026-01-05", periods=len(values), freq="5min", tz="UTC")
    return pd.Series(values, index=index)


def test_a_nightly_job_is_provisioned_for_once_its_hour_has_been_learnt() -> None:
    demand = cron_demand(14)
    report = {}
    for hourly in (False, True):
        config = ReplaySettings(
            10.0, 0.5, history_intervals=2 * 288, hourly_calibration=hourly, adaptive_margin=False
        )
        report[hourly] = replay(demand, config, ["predictive"]).policies["predictive"]
    without, with_hourly = report[False], report[True]
    assert with_hourly.details["hourly_calibration"] is True
    # Learnt after MIN_SAMPLES errors of that hour (12 a day): the last week's jobs are served.
    last_week = slice(len(without.demand) - 7 * 288, None)
    short = {
        name: int(np.sum(r.demand[last_week] > r.serving[last_week] * 10.0 + 1e-9))
        for name, r in (("without", without), ("with", with_hourly))
    }
    assert short["without"] >= 5 and short["with"] <= 1, short
    # It costs the hour around the job, not the whole day.
    assert with_hourly.cost < 1.5 * without.cost
