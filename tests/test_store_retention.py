"""Retention: raw samples past their window go, their 1-minute roll-ups stay and answer
queries; roll-ups past theirs go too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from connectors.store import MetricStore, RetentionPolicy
from models.samples import Sample

DAY = 86_400.0
NOW = 1_700_000_000.0 + 17.5  # deliberately not on a minute boundary
POLICY = RetentionPolicy(raw_days=1, rollup_days=3)


@pytest.fixture
def history(tmp_path: Path):
    """Four days of one sample every 7 s, ending now."""
    ts = np.arange(NOW - 4 * DAY, NOW, 7.0)
    values = np.sin(ts / 3000.0) * 40 + 50 + (np.arange(len(ts)) % 13 == 0) * 30
    with MetricStore(tmp_path / "m.sqlite", retention=POLICY) as store:
        store.write_arrays("local", "h", "cpu.percent", ts, values)
        yield store, ts, values


def minute_aggregates(
    ts: np.ndarray, values: np.ndarray
) -> dict[int, tuple[float, float, float, int]]:
    minutes = np.floor(ts / 60).astype(np.int64) * 60
    found = {}
    for minute in np.unique(minutes):
        mine = values[minutes == minute]
        found[int(minute)] = (mine.min(), mine.max(), mine.mean(), len(mine))
    return found


def test_raw_is_deleted_but_its_minutes_remain_queryable(history):
    store, ts, values = history
    report = store.apply_retention(now=NOW)

    raw_horizon = np.floor((NOW - DAY) / 60) * 60
    rollup_horizon = np.floor((NOW - 3 * DAY) / 60) * 60
    assert report.raw_horizon == raw_horizon and report.rollup_horizon == rollup_horizon
    assert report.raw_deleted == int((ts < raw_horizon).sum())
    assert store.count_samples(end=raw_horizon - 0.001) == 0
    assert store.count_samples() == int((ts >= raw_horizon).sum())

    # Two hours, well inside the roll-up-only period: one bucket per minute, exact.
    start, end = raw_horizon - 2 * 3600, raw_horizon - 1
    result = store.query("h", "cpu.percent", start, end, max_points=500)
    assert result.downsampled and result.bucket_seconds == 60
    expected = minute_aggregates(ts[(ts >= start) & (ts < end)], values[(ts >= start) & (ts < end)])
    assert [int(t) for t in result.timestamps] == sorted(expected)
    for index, minute in enumerate(sorted(expected)):
        low, high, mean, count = expected[minute]
        assert result.minimum[index] == low and result.maximum[index] == high
        assert result.count[index] == count
        assert result.mean[index] == pytest.approx(mean, rel=1e-12)


def test_rollups_past_their_retention_are_removed(history):
    store, ts, _ = history
    report = store.apply_retention(now=NOW)
    old = ts < report.rollup_horizon
    assert old.any()
    assert len(store.query("h", "cpu.percent", ts[0], report.rollup_horizon - 0.001)) == 0
    kept = store.query("h", "cpu.percent", report.rollup_horizon, NOW, max_points=10_000)
    assert kept.count.sum() == int((~old).sum())
    assert report.rollups_deleted == len(np.unique(np.floor(ts[old] / 60)))


def test_a_query_across_the_raw_horizon_counts_every_sample_once(history):
    store, ts, values = history
    report = store.apply_retention(now=NOW)
    start, end = report.raw_horizon - 3600 + 13, report.raw_horizon + 3600 - 13
    result = store.query("h", "cpu.percent", start, end, max_points=1000)
    inside = (ts >= start) & (ts <= end)
    # Before the horizon the partial first minute is only known as a whole minute.
    first_minute = np.floor(start / 60) * 60
    whole_first = (ts >= first_minute) & (ts < start)
    assert result.count.sum() == int(inside.sum() + whole_first.sum())
    assert result.maximum.max() == values[inside | whole_first].max()


def test_retention_twice_is_harmless_and_the_horizon_never_moves_back(history):
    store, ts, _ = history
    first = store.apply_retention(now=NOW)
    again = store.apply_retention(now=NOW - DAY)  # a clock that went backwards
    assert again.raw_deleted == 0
    assert again.raw_horizon == first.raw_horizon


def test_late_samples_older_than_the_horizon_join_the_rollups(history):
    store, ts, _ = history
    report = store.apply_retention(now=NOW)
    minute = np.floor((report.raw_horizon - 3600) / 60) * 60
    before = store.query("h", "cpu.percent", minute, minute + 59.999)
    store.write([Sample(minute + 1.5, "local", "h", "cpu.percent", 1e9)])
    after = store.query("h", "cpu.percent", minute, minute + 59.999)
    assert after.count.tolist() == [before.count[0] + 1]
    assert after.maximum.tolist() == [1e9]
    assert store.count_samples(end=report.raw_horizon - 0.001) == 0


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        RetentionPolicy(raw_days=0)
    with pytest.raises(ValueError):
        RetentionPolicy(raw_days=10, rollup_days=5)
