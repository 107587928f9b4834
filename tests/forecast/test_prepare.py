"""prepare(): irregular, duplicated, gappy input onto a regular grid, with counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.forecast import InsufficientData, prepare
from tests.forecast.synthetic import seasonal_series


def grid(n: int, freq: str = "5min") -> pd.DatetimeIndex:
    return pd.date_range("2024-03-01", periods=n, freq=freq, tz="UTC")


def test_duplicates_are_averaged_and_counted():
    index = grid(10)
    series = pd.Series(np.arange(10.0), index=index)
    extra = pd.Series([3.0], index=[index[4]])  # index[4] already holds 4.0
    prepared = prepare(pd.concat([series, extra]), handle_level_shift=False)
    assert len(prepared) == 10
    assert prepared.values[4] == pytest.approx(3.5)
    assert prepared.n_merged == 1
    assert prepared.step == pd.Timedelta("5min")


def test_jittered_timestamps_are_snapped_to_the_median_step():
    index = grid(50)
    jitter = pd.to_timedelta(np.tile([0, 20, -15, 7, 0], 10), unit="s")
    series = pd.Series(np.arange(50.0), index=index + jitter)
    prepared = prepare(series, handle_level_shift=False)
    assert prepared.step == pd.Timedelta("5min")
    assert len(prepared) == 50
    assert prepared.n_snapped == 30
    np.testing.assert_allclose(prepared.values, np.arange(50.0))


def test_short_gap_is_interpolated_and_invalid_rows_dropped():
    values = np.arange(40.0)
    series = pd.Series(values, index=grid(40))
    series.iloc[7] = np.nan  # invalid row: dropped, then its slot is a gap
    series = series.drop(series.index[20:23])  # three missing points
    prepared = prepare(series, handle_level_shift=False)
    assert prepared.n_dropped_invalid == 1
    assert prepared.n_interpolated == 4
    assert prepared.n_long_gap_filled == 0
    np.testing.assert_allclose(prepared.values, values)  # linear data: exact
    assert not prepared.observed[7] and not prepared.observed[21] and prepared.observed[19]


def test_long_gap_is_filled_from_the_day_before():
    series = seasonal_series(days=3, freq="1h", noise=0.0)
    gap = slice(50, 60)  # ten hours missing: longer than the default 12? no: use a limit
    dropped = series.drop(series.index[gap])
    prepared = prepare(dropped, max_interpolated_gap=4, handle_level_shift=False)
    assert prepared.n_long_gap_filled == 10
    np.testing.assert_allclose(prepared.values[gap], series.to_numpy()[26:36])


def test_recent_level_shift_is_cut_off_when_enough_data_follows():
    rng = np.random.default_rng(0)
    index = grid(3000)
    values = np.concatenate([rng.normal(10, 1, 2200), rng.normal(40, 1, 800)])
    prepared = prepare(pd.Series(values, index=index))
    assert prepared.level_shift_at is not None
    assert abs((prepared.level_shift_at - index[2200]) / pd.Timedelta("5min")) <= 3
    assert prepared.n_dropped_before_shift == len(values) - len(prepared)
    assert np.median(prepared.values) == pytest.approx(40, abs=1)


def test_shift_too_recent_is_reported_but_data_kept():
    rng = np.random.default_rng(1)
    # 400 points after the shift: enough to see it (a day-wide window), fewer than the
    # two days needed to fit on them alone.
    values = np.concatenate([rng.normal(10, 1, 2600), rng.normal(40, 1, 400)])
    prepared = prepare(pd.Series(values, index=grid(3000)))
    assert prepared.level_shift_at is not None
    assert len(prepared) == 3000 and prepared.n_dropped_before_shift == 0


@pytest.mark.parametrize("seed", range(3))
def test_no_shift_in_stationary_or_seasonal_data(seed):
    noise = pd.Series(np.random.default_rng(seed).normal(0, 1, 3000), index=grid(3000))
    assert prepare(noise).level_shift_at is None
    seasonal = seasonal_series(days=10, freq="5min", noise=1.0, seed=seed)
    assert prepare(seasonal).level_shift_at is None


def test_too_little_data_is_a_typed_error():
    with pytest.raises(InsufficientData):
        prepare(pd.Series([1.0], index=grid(1)))
    with pytest.raises(InsufficientData):
        prepare(pd.Series([np.nan, np.nan, 1.0], index=grid(3)))
