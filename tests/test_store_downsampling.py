"""Downsampling never hides a spike and every bucket is exact over its raw samples.

Checked against numpy on the raw data, for both ways a query is answered: straight
from raw samples, and from 1-minute roll-ups with raw samples at the partial ends.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.store import MetricStore, QueryResult
from connectors.store import store as store_module

T0_MS = 1_700_000_000_000
SPAN_MS = 3 * 3_600_000  # three hours: buckets from milliseconds to several minutes

# The autouse fixtures only point env vars at temp dirs; they are safe to share
# between examples.
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def series_and_range(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    offsets = draw(st.lists(st.integers(0, SPAN_MS), min_size=1, max_size=400, unique=True))
    values = draw(
        st.lists(
            st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False),
            min_size=len(offsets),
            max_size=len(offsets),
        )
    )
    low = draw(st.integers(-60_000, SPAN_MS))
    high = draw(st.integers(low, SPAN_MS + 60_000))
    max_points = draw(st.integers(2, 60))
    return (
        T0_MS + np.array(offsets, dtype=np.int64),
        np.array(values),
        T0_MS + low,
        T0_MS + high,
        max_points,
    )


def check_against_numpy(
    result: QueryResult,
    ts_ms: np.ndarray,
    values: np.ndarray,
    start_ms: int,
    end_ms: int,
    max_points: int,
) -> None:
    inside = (ts_ms >= start_ms) & (ts_ms <= end_ms)
    ts_in, values_in = ts_ms[inside], values[inside]
    assert len(result) <= max_points
    if not len(ts_in):
        assert len(result) == 0
        return
    # The global extremes of the range always survive.
    assert result.minimum.min() == values_in.min()
    assert result.maximum.max() == values_in.max()
    assert result.count.sum() == len(ts_in)
    if not result.downsampled:
        order = np.argsort(ts_in)
        assert np.array_equal(np.rint(result.timestamps * 1000).astype(np.int64), ts_in[order])
        assert np.array_equal(result.mean, values_in[order])
        return
    width = round(result.bucket_seconds * 1000)
    assert width > 0
    buckets = np.rint(result.timestamps * 1000).astype(np.int64)
    expected_buckets = np.unique(ts_in // width * width)
    assert np.array_equal(buckets, expected_buckets)
    for index, bucket in enumerate(buckets):
        mine = values_in[(ts_in >= bucket) & (ts_in < bucket + width)]
        assert result.minimum[index] == mine.min()
        assert result.maximum[index] == mine.max()
        assert result.count[index] == len(mine)
        assert np.isclose(result.mean[index], mine.mean(), rtol=1e-9, atol=1e-6)


def run_query(
    ts_ms: np.ndarray, values: np.ndarray, start_ms: int, end_ms: int, max_points: int
) -> QueryResult:
    with tempfile.TemporaryDirectory() as folder, MetricStore(Path(folder) / "m.sqlite") as store:
        # Two writes, so roll-ups are built by merging as well as by inserting.
        half = len(ts_ms) // 2
        store.write_arrays("local", "h", "cpu.percent", ts_ms[:half] / 1000, values[:half])
        store.write_arrays("local", "h", "cpu.percent", ts_ms[half:] / 1000, values[half:])
        return store.query("h", "cpu.percent", start_ms / 1000, end_ms / 1000, max_points)


@PROPERTY_SETTINGS
@given(series_and_range())
def test_buckets_from_raw_samples_match_numpy(case):
    ts_ms, values, start_ms, end_ms, max_points = case
    check_against_numpy(run_query(*case), ts_ms, values, start_ms, end_ms, max_points)


@PROPERTY_SETTINGS
@given(series_and_range())
def test_buckets_from_rollups_match_numpy(case):
    ts_ms, values, start_ms, end_ms, max_points = case
    with mock.patch.object(store_module, "RAW_SCAN_LIMIT", 0):  # always take the roll-up path
        result = run_query(*case)
    check_against_numpy(result, ts_ms, values, start_ms, end_ms, max_points)
    if result.downsampled:
        assert result.bucket_seconds % 60 == 0


def test_a_day_at_one_second_comes_from_rollups_and_is_exact(tmp_path: Path):
    rng = np.random.default_rng(7)
    ts_ms = T0_MS + np.arange(86_400, dtype=np.int64) * 1000
    values = rng.normal(50, 10, len(ts_ms))
    values[12_345] = 1e6  # a one-second spike
    with MetricStore(tmp_path / "m.sqlite") as store:
        store.write_arrays("local", "h", "cpu.percent", ts_ms / 1000, values)
        # Start and end off the minute so both partial ends are read raw.
        start_ms, end_ms = int(ts_ms[17]), int(ts_ms[-23])
        result = store.query("h", "cpu.percent", start_ms / 1000, end_ms / 1000, max_points=2000)
    assert result.downsampled and result.bucket_seconds == 60
    assert 1000 < len(result) <= 2000
    check_against_numpy(result, ts_ms, values, start_ms, end_ms, 2000)
    assert result.maximum.max() == 1e6


@pytest.mark.parametrize("max_points", [2, 3, 1000])
def test_bucket_count_never_exceeds_max_points(tmp_path: Path, max_points: int):
    ts_ms = T0_MS + np.arange(5000, dtype=np.int64) * 997
    with MetricStore(tmp_path / "m.sqlite") as store:
        store.write_arrays("local", "h", "cpu.percent", ts_ms / 1000, np.arange(5000.0))
        for start, end in [(ts_ms[0], ts_ms[-1]), (ts_ms[1] + 1, ts_ms[-2] - 1)]:
            result = store.query("h", "cpu.percent", start / 1000, end / 1000, max_points)
            assert len(result) <= max_points
            check_against_numpy(result, ts_ms, np.arange(5000.0), int(start), int(end), max_points)
