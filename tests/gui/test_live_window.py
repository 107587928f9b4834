"""The main window with a live session fed by a deterministic collector."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtTest import QTest

from tests.gui.conftest import SyntheticCollector

HOST = "test-host"


def activate(qtbot, window) -> None:
    """Show and activate: window shortcuts and hover only reach the active window."""
    from PySide6.QtWidgets import QApplication

    window.show()
    qtbot.waitExposed(window)
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def wait_for_points(qtbot, window, chart: str = "cpu", points: int = 3) -> None:
    qtbot.waitUntil(lambda: window.live.panel.point_counts()[chart] >= points, timeout=10_000)


def test_live_samples_reach_every_chart(qtbot, make_window) -> None:
    window = make_window()
    qtbot.waitUntil(
        lambda: all(n >= 3 for n in window.live.panel.point_counts().values()), timeout=10_000
    )
    network = window.live.panel.charts["network"]
    _, received = network._series["net.rx.bytes"].curve.getOriginalDataset()
    # The total sums interfaces but leaves loopback out (9e9 would dwarf everything).
    assert 1_500_000 < received[-1] < 2_000_000
    assert window.hosts.hosts()[0].name == HOST


def test_time_window_switch_changes_the_visible_range(qtbot, make_window) -> None:
    window = make_window()
    wait_for_points(qtbot, window)
    view = window.live.panel.charts["cpu"].plot.getViewBox()

    def span() -> float:
        low, high = view.viewRange()[0]
        return high - low

    assert span() == pytest.approx(300, rel=0.05)
    window.live.bar.buttons["1h"].click()
    qtbot.waitUntil(lambda: span() == pytest.approx(3600, rel=0.05), timeout=5000)
    assert not window.live.uses_store(window.live.bar.current)
    # Other charts follow the shared time axis.
    memory_view = window.live.panel.charts["memory"].plot.getViewBox()
    assert memory_view.viewRange()[0][1] - memory_view.viewRange()[0][0] == pytest.approx(
        3600, rel=0.05
    )


def test_long_window_is_read_from_the_store_with_a_min_max_envelope(
    qtbot, make_window, tmp_path
) -> None:
    from connectors.store import MetricStore
    from models.samples import Sample

    path = tmp_path / "history.sqlite"
    now = time.time()
    start = now - 6 * 3600
    times = np.arange(start, now - 60, 10.0)
    with MetricStore(path) as store:
        samples = [Sample(float(t), "local", HOST, "cpu.percent", 30.0) for t in times]
        spike_at = times[len(times) // 2]
        samples[len(times) // 2] = Sample(float(spike_at), "local", HOST, "cpu.percent", 99.0)
        store.write(samples)

    window = make_window(store_path=path)
    wait_for_points(qtbot, window, points=1)
    window.live.bar.buttons["24h"].click()
    chart = window.live.panel.charts["cpu"]
    qtbot.waitUntil(lambda: chart.envelope_data("cpu.percent") is not None, timeout=10_000)
    _, _, maximum = chart.envelope_data("cpu.percent")
    _, mean = chart._series["cpu.percent"].curve.getOriginalDataset()
    # Downsampling averages the spike away in the mean; the envelope keeps it.
    assert np.nanmax(maximum) == pytest.approx(99.0)
    assert np.nanmax(mean) < 99.0
    low, high = chart.plot.getViewBox().viewRange()[0]
    assert high - low == pytest.approx(86400, rel=0.02)
    assert "store" in window.live.bar.source_label.text().lower()


def test_pause_freezes_the_view_while_buffers_keep_filling(qtbot, make_window) -> None:
    window = make_window()
    wait_for_points(qtbot, window)
    window.pause_action.trigger()
    assert window.live.paused
    chart = window.live.panel.charts["cpu"]
    frozen = chart.point_count()
    samples_at_pause = window.session.buffers.total_samples
    qtbot.waitUntil(
        lambda: window.session.buffers.total_samples > samples_at_pause + 100, timeout=10_000
    )
    qtbot.wait(400)  # more than one redraw period
    assert chart.point_count() == frozen
    window.live.bar.pause_button.click()  # resume from the bar as well
    assert not window.pause_action.isChecked()
    qtbot.waitUntil(lambda: chart.point_count() > frozen, timeout=5000)


def test_space_toggles_pause(qtbot, make_window) -> None:
    window = make_window(start_collection=False)
    activate(qtbot, window)
    QTest.keyClick(window.live.panel.charts["cpu"].plot_widget, Qt.Key.Key_Space)
    assert window.live.paused
    QTest.keyClick(window.live.panel.charts["cpu"].plot_widget, Qt.Key.Key_Space)
    assert not window.live.paused


def test_per_core_toggle_shows_one_curve_per_core(qtbot, make_window) -> None:
    window = make_window(collector=SyntheticCollector(cores=6))
    wait_for_points(qtbot, window)
    chart = window.live.panel.charts["cpu"]
    assert chart.visible_series() == ["cpu.percent"]
    window.per_core_action.trigger()
    cores = [key for key in chart.visible_series() if key.startswith("cpu.core.percent:")]
    assert len(cores) == 6
    assert [chart._series[k].label for k in cores] == [f"Core {i}" for i in range(6)]
    window.per_core_action.trigger()
    assert chart.visible_series() == ["cpu.percent"]


def test_crosshair_readout_shows_the_value_under_the_mouse(qtbot, make_window) -> None:
    window = make_window()
    activate(qtbot, window)
    wait_for_points(qtbot, window, chart="memory", points=5)
    window.live.set_paused(True)  # keep the view still while we aim
    qtbot.wait(100)
    chart = window.live.panel.charts["memory"]
    times, _ = chart._series["mem.used.percent"].curve.getOriginalDataset()
    hovered = float(times[len(times) // 2])
    target = QPointF(hovered, 55.0)
    scene_point = chart.plot.getViewBox().mapViewToScene(target)
    # What the scene emits on hover; goes through the rate-limiting SignalProxy as in use.
    # (Synthesised OS mouse moves are unreliable on the shared offscreen cursor.)
    chart.plot.scene().sigMouseMoved.emit(scene_point)
    stamp = time.strftime("%H:%M:%S", time.localtime(hovered))
    # The readout names the hovered time, not just the latest value.
    qtbot.waitUntil(lambda: stamp in chart.readout_label.text(), timeout=5000)
    assert "Memory 55.0 %" in chart.readout_label.text()
    assert chart.crosshair.isVisible()
    assert chart.crosshair.value() == pytest.approx(hovered, abs=1.0)


def test_theme_switch_recolours_widgets_and_charts(qtbot, make_window) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    window = make_window(start_collection=False)
    window.set_theme("dark")
    chart = window.live.panel.charts["cpu"]
    window_colour = QApplication.palette().color(QPalette.ColorRole.Window).name()
    assert window_colour == "#1e2127"
    assert chart.plot_widget.backgroundBrush().color().name() == "#16181d"
    window.set_theme("light")
    assert chart.plot_widget.backgroundBrush().color().name() == "#ffffff"
    assert QApplication.palette().color(QPalette.ColorRole.Window).name() == "#f3f4f6"
    from console.settings import load_settings

    assert load_settings().settings.theme == "light"  # the menu choice is remembered


def test_geometry_and_toggles_are_restored_by_the_next_window(qtbot, make_window) -> None:
    # The offscreen screen is 800x600 and restoreGeometry keeps windows on screen.
    first = make_window(start_collection=False)
    first.show()
    qtbot.waitExposed(first)
    first.resize(730, 570)
    first.per_core_action.setChecked(True)
    qtbot.waitUntil(lambda: first.size().width() == 730)
    first.close()

    second = make_window(start_collection=False)
    assert (second.size().width(), second.size().height()) == (730, 570)
    assert second.per_core_action.isChecked()
    assert second.live.panel.per_core


def test_opening_a_bad_store_shows_a_message_instead_of_crashing(
    qtbot, make_window, tmp_path
) -> None:
    window = make_window(start_collection=False)
    bad = tmp_path / "not-a-store.sqlite"
    bad.write_bytes(b"this is not an SQLite database" * 100)
    before = window.session.store_path
    window.open_store(bad)
    qtbot.waitUntil(lambda: window.store_error_box is not None, timeout=5000)
    assert window.store_error_box.isVisible()
    assert str(bad) in window.store_error_box.text()
    assert str(bad) in window.status.error_label.text()
    assert "Traceback" not in window.status.error_label.toolTip()
    assert window.session.store_path == before
    assert bad.read_bytes().startswith(b"this is not")  # never overwritten


def test_a_failing_collector_is_reported_once_in_the_status_bar(qtbot, make_window) -> None:
    class BrokenCollector(SyntheticCollector):
        def collect(self, now: float | None = None) -> list:
            raise PermissionError("/proc/stat: permission denied")

    window = make_window(collector=BrokenCollector(), use_store=False)
    qtbot.waitUntil(lambda: window.status.last_error is not None, timeout=5000)
    qtbot.wait(500)  # several more failing intervals
    assert len(window.notifier.history) == 1
    assert "permission denied" in window.status.error_label.text()
    window.status.show_error_details()
    assert "PermissionError" in window.status.details_box.detailedText()


def test_collection_keeps_the_gui_thread_responsive(qtbot, make_window) -> None:
    # Each collect() takes 600 ms; on the GUI thread that would freeze it for 600 ms.
    collector = SyntheticCollector(delay_s=0.6)
    window = make_window(collector=collector)
    ticks: list[float] = []
    probe = QTimer()
    probe.setInterval(20)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    probe.start()
    qtbot.waitUntil(lambda: collector.calls >= 3, timeout=10_000)
    probe.stop()
    gaps = np.diff(ticks)
    assert len(ticks) > 40
    # Margin for a loaded 2-core machine, still well under one collect().
    assert gaps.max() < 0.35, f"GUI thread stalled for {gaps.max() * 1000:.0f} ms"
    assert window.live.panel.point_counts()["cpu"] >= 2


def test_samples_are_persisted_by_the_store_writer(qtbot, make_window, tmp_path) -> None:
    from connectors.store import MetricStore

    path = tmp_path / "persist.sqlite"
    window = make_window(store_path=path)
    wait_for_points(qtbot, window, points=5)
    window.close()  # stops collection and flushes the writer
    with MetricStore(path, readonly=True) as store:
        result = store.query(HOST, "cpu.percent", 0, time.time() + 10)
    assert len(result.timestamps) >= 5


def test_custom_range_is_read_from_the_store_and_stays_fixed(qtbot, make_window, tmp_path) -> None:
    from connectors.store import MetricStore
    from console.views.time_window import custom_window
    from models.samples import Sample

    path = tmp_path / "custom.sqlite"
    start = time.time() - 2 * 86400
    with MetricStore(path) as store:
        store.write(
            [Sample(start + i * 60.0, "local", HOST, "mem.used.percent", 40.0) for i in range(120)]
        )
    window = make_window(store_path=path)
    wait_for_points(qtbot, window, points=1)
    window.live.bar.select(custom_window(start, start + 7200))
    chart = window.live.panel.charts["memory"]
    qtbot.waitUntil(lambda: chart.point_count() >= 100, timeout=10_000)
    times, values = chart._series["mem.used.percent"].curve.getOriginalDataset()
    assert times.min() >= start - 1 and times.max() <= start + 7200 + 1
    assert np.allclose(values, 40.0)
    qtbot.wait(600)  # live samples keep arriving; a fixed range must not scroll
    low, high = chart.plot.getViewBox().viewRange()[0]
    assert (low, high) == pytest.approx((start, start + 7200), abs=1.0)


def test_retention_setting_is_applied_to_the_store(qtbot, make_window, settings, tmp_path) -> None:
    from connectors.store import MetricStore
    from models.samples import Sample

    path = tmp_path / "old.sqlite"
    now = time.time()
    with MetricStore(path) as store:
        store.write(
            [
                Sample(now - 10 * 86400, "local", HOST, "cpu.percent", 1.0),  # older than 7 days
                Sample(now - 3600, "local", HOST, "cpu.percent", 2.0),
            ]
        )
    settings.retention_days = 7
    window = make_window(store_path=path)
    qtbot.waitUntil(lambda: window.session.writer is not None, timeout=5000)
    with qtbot.waitSignal(window.retention.applied, timeout=10_000) as blocker:
        window.retention.run_now()
    assert blocker.args[0].raw_deleted == 1
    with MetricStore(path, readonly=True) as store:
        result = store.query(HOST, "cpu.percent", now - 86400, now - 60)
    assert 2.0 in result.mean.tolist()


def test_deferred_charts_are_built_right_after_the_first_paint(qtbot, make_window) -> None:
    from console.main_window import MainWindow
    from console.settings import Settings

    window = MainWindow(Settings(interval_s=0.1), None, SyntheticCollector(), defer_charts=True)
    qtbot.addWidget(window)
    try:
        assert window.live.panel is None and window.live.point_counts() == {}
        window.set_theme("dark")
        window.per_core_action.trigger()  # choices made before the charts exist still apply
        with qtbot.waitSignal(window.live.charts_ready, timeout=5000):
            window.show()
        chart = window.live.panel.charts["cpu"]
        assert chart.plot_widget.backgroundBrush().color().name() == "#16181d"
        qtbot.waitUntil(lambda: window.live.point_counts().get("cpu", 0) >= 2, timeout=10_000)
        assert len(chart.visible_series()) == 5  # total + 4 cores
        # The engine-heavy workspaces follow, their imports done by a worker first.
        qtbot.waitUntil(lambda: bool(window.workspaces), timeout=60_000)
        titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        assert {"Plans", "What-if", "Fleet"} <= set(titles)
        assert window._preload is not None and window._preload.done.is_set()
    finally:
        window.close()
