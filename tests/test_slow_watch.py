"""Slow trends on live hosts: a leak read from the store's days, not the one-hour ring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from connectors.store import MetricStore
from console.live.insights import InsightsConfig, LiveSnapshot, compute_insights
from console.live.slow_watch import slow_trends
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


def store_with(path: Path, values: np.ndarray) -> Path:
    stamps = END - 60.0 * np.arange(len(values))[::-1]
    with MetricStore(path) as store:
        store.write_arrays("local", HOST, METRIC, stamps, values)
        store.write_arrays("local", HOST, "cpu.percent", stamps, np.full(len(values), 20.0))
    return path


def test_a_leak_of_the_last_day_and_a_half_is_found(tmp_path):
    path = store_with(tmp_path / "m.sqlite", minute_samples(4, leak_from_day=2.5))
    found = slow_trends(path, HOST, [METRIC, "cpu.percent"], END)
    (leak,) = found[METRIC]
    assert leak.pattern is Pattern.TREND
    assert leak.start >= END - 1.5 * 86400  # after the leak began...
    assert leak.end == END  # ...and still going on: current in the anomaly panel
    assert "cpu.percent" not in found  # flat: nothing


@pytest.mark.parametrize(("days", "leak_from"), [(4, None), (1.5, 0.5)])
def test_steady_memory_or_too_little_history_finds_nothing(tmp_path, days, leak_from):
    path = store_with(tmp_path / "m.sqlite", minute_samples(days, leak_from))
    assert slow_trends(path, HOST, [METRIC], END) == {}


def test_no_store_yet_is_not_an_error(tmp_path):
    assert slow_trends(tmp_path / "missing.sqlite", HOST, [METRIC], END) == {}


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
