"""What the stored days show on live hosts: a leak, and when a disk will fill."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from connectors.store import MetricStore
from console.live.insights import InsightsConfig, LiveSnapshot, compute_insights, summary
from console.live.slow_watch import watch_stored_days
from models.anomaly import Pattern

HOST = "web-1"
METRIC = "mem.used.percent"
END = 1.7e9


def minute_samples(days: float, leak_from_day: float | None, seed: int = 0) -> np.ndarray:
    """Memory % once a minute for ``days`` up to END: 40 % with noise of sd 2, climbing
    12 points a day from ``leak_from_day`` (None: never)."""
    rng = np.random.default_rng(seed)
    minutes = np.arange(int(days * 1440))
    values = 40 + rng.normal(0, 2, len(minutes))
    if leak_from_day is not None:
        values += np.clip(minutes - leak_from_day * 1440, 0, None) * 12 / 1440
    return values


def store_with(path: Path, values: np.ndarray, metric: str = METRIC) -> Path:
    stamps = END - 60.0 * np.arange(len(values))[::-1]
    with MetricStore(path) as store:
        store.write_arrays("local", HOST, metric, stamps, values)
        store.write_arrays("local", HOST, "cpu.percent", stamps, np.full(len(values), 20.0))
    return path


def test_a_leak_of_the_last_day_and_a_half_is_found(tmp_path):
    path = store_with(tmp_path / "m.sqlite", minute_samples(4, leak_from_day=2.5))
    found = watch_stored_days(path, HOST, [METRIC, "cpu.percent"], END).trends
    (leak,) = found[METRIC]
    assert leak.pattern is Pattern.TREND
    assert leak.start >= END - 1.5 * 86400  # after the leak began...
    assert leak.end == END  # ...and still going on: current in the anomaly panel
    assert "cpu.percent" not in found  # flat: nothing


@pytest.mark.parametrize(("days", "leak_from"), [(4, None), (1.5, 0.5)])
def test_steady_memory_or_too_little_history_finds_nothing(tmp_path, days, leak_from):
    path = store_with(tmp_path / "m.sqlite", minute_samples(days, leak_from))
    assert watch_stored_days(path, HOST, [METRIC], END).trends == {}


def test_no_store_yet_is_not_an_error(tmp_path):
    found = watch_stored_days(tmp_path / "missing.sqlite", HOST, [METRIC], END)
    assert found.trends == {} and found.outlook == {}


def test_insights_report_the_stored_leak_beside_the_ring(tmp_path):
    path = store_with(tmp_path / "m.sqlite", minute_samples(4, leak_from_day=2.5))
    # The ring: the last 15 minutes at 1 s, where the leak is invisible (0.1 point).
    times = END - 900 + np.arange(900.0)
    values = 58 + np.random.default_rng(1).normal(0, 2, 900)
    snapshot = LiveSnapshot(HOST, {METRIC: (times, values)}, {}, {"memory": (METRIC,)}, path)
    result = compute_insights(snapshot, InsightsConfig())
    assert [i.pattern for i in result.incidents] == [Pattern.TREND]
    assert result.incidents[0].metrics == (METRIC,)
    assert result.charts["memory"].marked == ()  # days long: listed, not drawn on the hour
    without_store = LiveSnapshot(HOST, {METRIC: (times, values)}, {}, {"memory": (METRIC,)})
    assert compute_insights(without_store, InsightsConfig()).incidents == ()


def test_a_filling_disk_gets_a_48_hour_outlook_in_the_status_line(tmp_path):
    # Five days of a disk growing 8 points a day: 92 % now, so 100 % about a day ahead.
    disk = "disk.used.percent:/var"
    minutes = np.arange(5 * 1440)
    usage = 52 + minutes * 8 / 1440 + np.random.default_rng(2).normal(0, 0.2, len(minutes))
    path = store_with(tmp_path / "m.sqlite", usage, disk)
    at_90, at_100 = watch_stored_days(path, HOST, [disk, "cpu.percent"], END).outlook[disk]
    assert at_90.probability_by_horizon_end > 0.9
    assert at_100.first_time_mean_crosses is not None
    hours_to_full = (at_100.first_time_mean_crosses.timestamp() - END) / 3600
    assert 20 < hours_to_full < 28
    times = END - 900 + np.arange(900.0)
    values = np.full(900, usage[-1])
    snapshot = LiveSnapshot(HOST, {disk: (times, values)}, {}, {"disk_space": (disk,)}, path)
    result = compute_insights(snapshot, InsightsConfig())
    assert result.stored is not None and disk in result.stored.outlook
    # First: the status label shows about 45 characters.
    assert summary(result).startswith("Disk space (/var) may be full by ")


def test_a_metric_that_cannot_run_out_gets_no_outlook(tmp_path):
    path = store_with(tmp_path / "m.sqlite", minute_samples(4, leak_from_day=2.5), "cpu.percent")
    assert watch_stored_days(path, HOST, ["cpu.percent"], END).outlook == {}
