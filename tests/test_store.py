"""MetricStore basics: round trip, write rules, listing, export iteration, read-only use."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from connectors.paths import default_store_path
from connectors.store import MetricStore, SeriesKey, StoreError
from connectors.store import store as store_module
from models.samples import Sample

T0 = 1_700_000_000.0


@pytest.fixture
def store(tmp_path: Path):
    with MetricStore(tmp_path / "store" / "metrics.sqlite") as opened:
        yield opened


def test_default_path_is_under_the_data_dir_and_parents_are_created(isolated_user_dirs: Path):
    with MetricStore() as store:
        assert store.path == default_store_path()
        assert store.path.is_relative_to(isolated_user_dirs / "data")
        assert store.path.exists()


def test_wal_mode_and_pragmas(store: MetricStore):
    with sqlite3.connect(store.path) as check:
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_round_trip_of_samples(store: MetricStore):
    samples = [
        Sample(T0 + i * 0.25, "local", f"host{i % 3}", f"cpu.core.percent:{i % 2}", i * 1.5)
        for i in range(200)
    ]
    assert store.write(samples) == 200
    exported = [s for batch in store.iter_samples(batch_size=7) for s in batch]
    assert sorted(exported, key=_sort_key) == sorted(samples, key=_sort_key)
    assert [s.timestamp for s in exported] == sorted(s.timestamp for s in exported)


def _sort_key(sample: Sample) -> tuple:
    return (sample.timestamp, sample.host, sample.metric)


def test_timestamps_are_kept_to_the_millisecond(store: MetricStore):
    store.write([Sample(T0 + 0.1234567, "local", "h", "load.1m", 1.0)])
    (exported,) = next(store.iter_samples())
    assert exported.timestamp == pytest.approx(T0 + 0.123, abs=1e-9)


def test_a_repeated_timestamp_replaces_the_earlier_value(store: MetricStore):
    store.write(
        [Sample(T0, "local", "h", "load.1m", 1.0), Sample(T0 + 1, "local", "h", "load.1m", 2.0)]
    )
    store.write([Sample(T0, "local", "h", "load.1m", 5.0)])
    store.write(
        [Sample(T0 + 2, "local", "h", "load.1m", 7.0), Sample(T0 + 2, "local", "h", "load.1m", 8.0)]
    )
    values = [s.value for batch in store.iter_samples() for s in batch]
    assert values == [5.0, 2.0, 8.0]
    result = store.query("h", "load.1m", T0, T0 + 2)
    assert result.mean.tolist() == [5.0, 2.0, 8.0]


def test_nan_values_are_skipped_and_not_counted(store: MetricStore):
    written = store.write_arrays(
        "local",
        "h",
        "net.rx.bytes:eth0",
        np.array([T0, T0 + 1, T0 + 2]),
        np.array([1.0, math.nan, 3.0]),
    )
    assert written == 2
    assert store.count_samples() == 2


def test_write_arrays_rejects_mismatched_lengths(store: MetricStore):
    with pytest.raises(ValueError, match="3 timestamps but 2 values"):
        store.write_arrays("local", "h", "m", np.arange(3.0), np.arange(2.0))


def test_series_hosts_and_counts(store: MetricStore):
    store.write(
        [
            Sample(T0, "local", "b", "cpu.percent", 1.0),
            Sample(T0, "ssh", "a", "cpu.percent", 2.0),
            Sample(T0 + 1, "ssh", "a", "load.1m", 3.0),
            Sample(T0 + 2, "ssh", "a", "load.1m", 4.0),
        ]
    )
    assert store.hosts() == ["a", "b"]
    assert store.series(host="a") == [
        SeriesKey("ssh", "a", "cpu.percent"),
        SeriesKey("ssh", "a", "load.1m"),
    ]
    assert store.series(metric="cpu.percent") == [
        SeriesKey("ssh", "a", "cpu.percent"),
        SeriesKey("local", "b", "cpu.percent"),
    ]
    assert store.count_samples() == 4
    assert store.count_samples(metric="load.1m") == 2
    assert store.count_samples(host="a", start=T0 + 0.5) == 2
    assert store.count_samples(host="a", end=T0 + 1) == 2
    assert store.count_samples(host="nobody") == 0


def test_iter_samples_filters_and_orders_across_series(store: MetricStore):
    rng = np.random.default_rng(1)
    for host in ("a", "b", "c"):
        stamps = T0 + np.sort(rng.choice(10_000, 500, replace=False)).astype(float)
        store.write_arrays("local", host, "cpu.percent", stamps, rng.random(500))
    store.write_arrays("local", "a", "load.1m", T0 + np.arange(50.0), np.ones(50))
    batches = list(
        store.iter_samples(metric="cpu.percent", start=T0 + 1000, end=T0 + 8000, batch_size=64)
    )
    assert all(len(batch) <= 64 for batch in batches)
    flat = [s for batch in batches for s in batch]
    assert len(flat) == store.count_samples(metric="cpu.percent", start=T0 + 1000, end=T0 + 8000)
    assert {s.metric for s in flat} == {"cpu.percent"}
    assert all(T0 + 1000 <= s.timestamp <= T0 + 8000 for s in flat)
    assert [s.timestamp for s in flat] == sorted(s.timestamp for s in flat)


def test_query_returns_raw_points_when_they_fit(store: MetricStore):
    store.write_arrays("local", "h", "cpu.percent", T0 + np.arange(100.0), np.arange(100.0))
    result = store.query("h", "cpu.percent", T0 + 10, T0 + 19, max_points=10)
    assert not result.downsampled
    assert len(result) == 10
    assert result.timestamps.tolist() == (T0 + np.arange(10.0, 20.0)).tolist()
    assert (
        result.mean.tolist()
        == result.minimum.tolist()
        == result.maximum.tolist()
        == list(np.arange(10.0, 20.0))
    )
    assert result.count.tolist() == [1] * 10


def test_query_downsamples_and_keeps_a_spike(store: MetricStore):
    values = np.zeros(10_000)
    values[4321] = 99.0
    values[777] = -5.0
    store.write_arrays("local", "h", "cpu.percent", T0 + np.arange(10_000.0), values)
    result = store.query("h", "cpu.percent", T0, T0 + 10_000, max_points=50)
    assert result.downsampled and len(result) <= 50
    assert result.maximum.max() == 99.0 and result.minimum.min() == -5.0
    assert result.count.sum() == 10_000
    assert np.isclose((result.mean * result.count).sum(), values.sum())


def test_query_merges_sources_unless_one_is_named(store: MetricStore):
    store.write_arrays("local", "h", "cpu.percent", T0 + np.arange(5.0), np.full(5, 1.0))
    store.write_arrays("prometheus", "h", "cpu.percent", T0 + 10 + np.arange(5.0), np.full(5, 2.0))
    assert len(store.query("h", "cpu.percent", T0, T0 + 20)) == 10
    only = store.query("h", "cpu.percent", T0, T0 + 20, source="prometheus")
    assert only.mean.tolist() == [2.0] * 5


def test_query_of_unknown_series_or_empty_range_is_empty(store: MetricStore):
    store.write_arrays("local", "h", "cpu.percent", T0 + np.arange(5.0), np.ones(5))
    assert len(store.query("h", "nothing", T0, T0 + 10)) == 0
    assert len(store.query("h", "cpu.percent", T0 + 100, T0 + 200)) == 0
    assert len(store.query("h", "cpu.percent", T0 + 10, T0)) == 0
    with pytest.raises(ValueError):
        store.query("h", "cpu.percent", T0, T0 + 10, max_points=1)


def test_size_bytes_counts_database_and_wal(store: MetricStore):
    before = store.size_bytes()
    store.write_arrays("local", "h", "cpu.percent", T0 + np.arange(20_000.0), np.ones(20_000))
    on_disk = sum(
        p.stat().st_size for p in store.path.parent.iterdir() if p.name.startswith(store.path.name)
    )
    assert store.size_bytes() == on_disk > before


def test_read_only_store_reads_but_refuses_writes(tmp_path: Path):
    path = tmp_path / "m.sqlite"
    with MetricStore(path) as writable:
        writable.write_arrays("local", "h", "cpu.percent", T0 + np.arange(3.0), np.ones(3))
    with MetricStore(path, readonly=True) as reader:
        assert reader.count_samples() == 3
        with pytest.raises(StoreError, match="read-only"):
            reader.write_arrays("local", "h", "cpu.percent", np.array([T0 + 9]), np.ones(1))


def test_read_only_open_of_a_missing_file_fails_without_creating_it(tmp_path: Path):
    path = tmp_path / "absent.sqlite"
    with pytest.raises(StoreError, match="does not exist"):
        MetricStore(path, readonly=True)
    assert not path.exists()


def test_closed_store_raises_store_error(tmp_path: Path):
    store = MetricStore(tmp_path / "m.sqlite")
    store.close()
    store.close()  # twice is harmless
    with pytest.raises(StoreError, match="closed"):
        store.hosts()


def test_a_failed_write_leaves_nothing_behind_and_the_next_one_works(store: MetricStore):
    original = MetricStore._insert

    def failing_insert(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    with (
        mock.patch.object(MetricStore, "_insert", failing_insert),
        pytest.raises(StoreError, match="disk I/O error") as caught,
    ):
        store.write([Sample(T0, "local", "h", "cpu.percent", 1.0)])
    assert caught.value.path == store.path
    assert store.series() == [] and store.count_samples() == 0
    assert MetricStore._insert is original
    # The series created inside the rolled-back transaction must be created again.
    store.write([Sample(T0, "local", "h", "cpu.percent", 1.0)])
    assert store.series() == [SeriesKey("local", "h", "cpu.percent")]
    assert store.query("h", "cpu.percent", T0, T0 + 1).mean.tolist() == [1.0]


def test_bulk_repeats_across_statement_chunks_keep_the_last_value(store: MetricStore):
    # 3,100 rows: three 1,000-row statements plus a 100-row remainder, every key twice.
    unique = T0 + np.arange(1550.0)
    stamps = np.concatenate([unique, unique])
    values = np.concatenate([np.full(1550, -1.0), np.arange(1550.0)])
    assert store.write_arrays("local", "h", "cpu.percent", stamps, values) == 3100
    assert store.count_samples() == 1550
    exported = np.array([s.value for batch in store.iter_samples() for s in batch])
    assert np.array_equal(exported, np.arange(1550.0))
    with mock.patch.object(store_module, "RAW_SCAN_LIMIT", 0):  # answer from roll-ups
        result = store.query("h", "cpu.percent", T0, T0 + 1549, max_points=100)
    assert result.count.sum() == 1550 and result.minimum.min() == 0.0
    assert np.isclose((result.mean * result.count).sum(), np.arange(1550.0).sum())
