"""Forecast bands and anomaly marks on the live charts, computed in a worker."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QThreadPool, QTimer

from console.live.buffers import LiveBuffers
from console.live.history import HistoryLoader
from console.live.insights import (
    InsightsConfig,
    LiveInsights,
    compute_insights,
    horizon_steps,
    take_snapshot,
    window_covering,
)
from console.views.live_workspace import LiveWorkspace
from console.workers import CancelToken, ErrorNotifier
from models.samples import Sample
from tests.gui.conftest import SyntheticCollector

HOST = "test-host"
POINTS = 900  # 15 minutes at 1 s: past the detectors' 288-point warm-up
SPIKE_AT = 700


def fill_buffers(buffers: LiveBuffers, end: float, spike: bool = True) -> np.ndarray:
    """POINTS snapshots 1 s apart ending at ``end``; CPU noisy around 40 % with one spike."""
    collector = SyntheticCollector(HOST)
    rng = np.random.default_rng(7)
    times = end - POINTS + 1 + np.arange(POINTS, dtype=float)
    for index, stamp in enumerate(times):
        samples = collector.collect(now=float(stamp))
        cpu = 40.0 + rng.normal(0, 1.5)
        if spike and SPIKE_AT <= index < SPIKE_AT + 3:
            cpu = 97.0
        samples = [
            Sample(s.timestamp, s.source, s.host, s.metric, cpu) if s.metric == "cpu.percent" else s
            for s in samples
        ]
        buffers.add(samples)
    return times


@pytest.fixture
def live(qtbot):
    pool = QThreadPool()
    notifier = ErrorNotifier()
    history = HistoryLoader(notifier, pool)
    buffers = LiveBuffers(4000)
    workspace = LiveWorkspace(buffers, history, lambda: None, "5m")
    qtbot.addWidget(workspace)
    workspace.resize(1000, 700)
    yield workspace, pool
    workspace.shutdown()
    history.shutdown()
    pool.waitForDone(5000)


def test_band_appears_on_the_cpu_chart_and_the_gui_keeps_ticking(qtbot, live) -> None:
    workspace, pool = live
    times = fill_buffers(workspace.buffers, time.time())
    workspace.set_host(HOST)
    insights = LiveInsights(workspace, pool, InsightsConfig(interval_s=0, horizon_s=120))
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    busy_states: list[bool] = []
    insights.busy_changed.connect(busy_states.append)
    try:
        with qtbot.waitSignal(insights.updated, timeout=60_000) as update:
            assert insights.forecast_now()
            started = time.perf_counter()
        finished = time.perf_counter()
    finally:
        timer.stop()
        insights.shutdown()

    band = insights.bands["cpu"]
    assert band.has_forecast
    assert busy_states[0] is True and busy_states[-1] is False
    # The band starts after the last sample and covers the configured horizon.
    band_times, low_95, high_95 = band.band(95)
    _, low_80, high_80 = band.band(80)
    assert band_times[0] > times[-1]
    assert band_times[-1] - times[-1] == pytest.approx(120, abs=2)
    assert len(band_times) == horizon_steps(times, 120) == band.point_count()
    assert np.all(low_95 <= low_80) and np.all(high_80 <= high_95)
    # The shaded area is really built (not just held as data), over the whole horizon.
    x, y, width, height = band.fill_bounds(95)
    assert x == pytest.approx(band_times[0]) and width == pytest.approx(band_times[-1] - x)
    assert height == pytest.approx(float(np.max(high_95) - np.min(low_95)))
    # CPU hovers around 40 %: the forecast must say so, not something arbitrary.
    assert 30 < float(np.median((low_80 + high_80) / 2)) < 50
    # The live time axis reaches far enough past "now" to show the band.
    assert workspace.lookahead_s == pytest.approx(120, abs=2)
    # The spike is marked on the CPU chart, and nothing is marked on the flat memory chart.
    result = update.args[0]
    cpu_marks = insights.anomalies["cpu"].marker_points()
    assert any(times[SPIKE_AT] - 1 <= x <= times[SPIKE_AT + 2] + 1 for x, _ in cpu_marks)
    assert any(i.metrics[0] == "cpu.percent" for i in result.incidents)
    assert insights.anomalies["memory"].marker_points() == []
    # The GUI thread kept serving its timer while the worker computed.
    during = [t for t in ticks if started <= t <= finished]
    assert max(np.diff([started, *during, finished])) < 0.5
    assert len(during) >= int((finished - started) / 0.5)


def test_compute_insights_is_plain_and_cancellable(qtbot, live) -> None:
    workspace, _pool = live
    fill_buffers(workspace.buffers, time.time(), spike=False)
    snapshot = take_snapshot(workspace.buffers, workspace.panel, HOST)
    # Per-core series are not analysed; every chart with data has a forecast series.
    assert all("cpu.core" not in m for ms in snapshot.chart_metrics.values() for m in ms)
    assert snapshot.forecast_metrics["cpu"] == "cpu.percent"
    # Disk space forecasts the fullest mount (61 % on "/" against 20 % on "/home").
    assert snapshot.forecast_metrics["disk_space"] == "disk.used.percent:/"

    token = CancelToken()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 2:
            token.cancel()

    assert compute_insights(snapshot, InsightsConfig(horizon_s=60), token, progress) is None
    assert seen[-1][0] == 2  # stopped right after the cancel, not at the end


def test_schedule_runs_by_itself_and_can_be_turned_off(qtbot, live) -> None:
    workspace, pool = live
    fill_buffers(workspace.buffers, time.time(), spike=False)
    workspace.set_host(HOST)
    insights = LiveInsights(workspace, pool, InsightsConfig(interval_s=0.2, horizon_s=30))
    try:
        with qtbot.waitSignal(insights.updated, timeout=60_000):
            pass  # nobody asked: the schedule started it
        assert insights.runs >= 1
        insights.set_interval(0)
        assert not insights.timer.isActive()
    finally:
        insights.shutdown()


def test_forecast_now_without_enough_data_says_why(qtbot, live) -> None:
    workspace, pool = live
    insights = LiveInsights(workspace, pool, InsightsConfig(interval_s=0))
    messages: list[str] = []
    insights.message.connect(messages.append)
    assert not insights.forecast_now()
    workspace.set_host(HOST)
    workspace.buffers.add([Sample(time.time(), "local", HOST, "cpu.percent", 5.0)])
    assert not insights.forecast_now()
    assert messages[0] == "No host to forecast yet"
    assert "Not enough data" in messages[1]
    insights.shutdown()


def test_window_covering_picks_the_smallest_live_window() -> None:
    now = 1_000_000.0
    assert window_covering(now - 100, now - 90, now).key == "5m"
    assert window_covering(now - 1800, now - 1700, now).key == "1h"
    far = window_covering(now - 86400, now - 86000, now)
    assert far.key == "custom" and far.bounds()[0] < now - 86400 < now - 86000 < far.bounds()[1]


def test_main_window_wires_forecast_now_analysis_tab_and_anomaly_dock(qtbot, make_window) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget

    from console.live.insights import MIN_POINTS

    window = make_window()
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles[:2] == ["Live", "Analysis"]
    dock = window.findChild(QDockWidget, "dock-anomalies")
    assert dock is not None and dock.widget() is window.insights.panel
    corner = window.menuBar().cornerWidget(Qt.Corner.TopRightCorner)
    assert corner is window.insights.status
    assert corner.forecast_button.defaultAction() is window.insights.insights.forecast_action
    # Samples arrive every 0.1 s; once there are enough, "Forecast now" draws the band.
    qtbot.waitUntil(
        lambda: (
            (buffer := window.session.buffers.get(HOST, "cpu.percent")) is not None
            and len(buffer) >= MIN_POINTS
        ),
        timeout=20_000,
    )
    insights = window.insights.insights
    with qtbot.waitSignal(insights.updated, timeout=60_000):
        window.insights.insights.forecast_action.trigger()
    assert insights.bands["cpu"].has_forecast
    assert window.insights.status.text.startswith("Forecast ")
    # The Analysis workspace is built when its tab is first shown, not at startup.
    assert window.analysis.workspace is None
    window.show()
    # The anomaly list, raised, is wide enough to read (the host list beside it is not).
    from console.live.insights import ANOMALY_DOCK_WIDTH

    hosts = window.findChild(QDockWidget, "dock-hosts")
    qtbot.waitUntil(lambda: hosts.isVisible(), timeout=5000)
    assert dock.width() < ANOMALY_DOCK_WIDTH
    dock.raise_()
    qtbot.waitUntil(lambda: dock.width() >= ANOMALY_DOCK_WIDTH - 10, timeout=5000)
    window.show_workspace(window.analysis)
    qtbot.waitUntil(lambda: window.analysis.workspace is not None, timeout=5000)


def test_a_stored_leak_stays_listed_between_store_reads(qtbot, tmp_path) -> None:
    from connectors.store import MetricStore

    end = time.time()
    minutes = np.arange(4 * 1440)
    leak = 30 + np.random.default_rng(3).normal(0, 1.5, len(minutes))
    leak += np.clip(minutes - 2.5 * 1440, 0, None) * 12 / 1440
    store_path = tmp_path / "metrics.sqlite"
    with MetricStore(store_path) as store:
        store.write_arrays("local", HOST, "mem.used.percent", end - 60.0 * minutes[::-1], leak)
    pool = QThreadPool()
    notifier = ErrorNotifier()
    history = HistoryLoader(notifier, pool)
    workspace = LiveWorkspace(LiveBuffers(4000), history, lambda: store_path, "5m")
    qtbot.addWidget(workspace)
    fill_buffers(workspace.buffers, end, spike=False)
    workspace.set_host(HOST)
    insights = LiveInsights(workspace, pool, InsightsConfig(interval_s=0, horizon_s=60))
    found: list[list] = []
    insights.incidents_found.connect(lambda host, incidents, latest: found.append(incidents))
    results = []
    try:
        for _ in range(2):
            with qtbot.waitSignal(insights.updated, timeout=60_000) as update:
                assert insights.forecast_now()
            results.append(update.args[0])
    finally:
        insights.shutdown()
        workspace.shutdown()
        history.shutdown()
        pool.waitForDone(5000)
    first, second = results
    assert first.stored is not None and second.stored is first.stored  # read once, reused
    for incidents in found:
        trends = [i for i in incidents if i.metrics == ("mem.used.percent",)]
        assert [i.pattern.value for i in trends] == ["trend"]
        assert trends[0].end >= end - 120  # current, not a past incident
