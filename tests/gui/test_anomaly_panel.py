"""The anomaly panel: listing incidents, and showing a clicked one on the live charts."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtGui import QColor

from console.live.buffers import LiveBuffers
from console.live.history import HistoryLoader
from console.live.insights import InsightsConfig, LiveInsights
from console.theme import DARK
from console.views.anomaly_panel import AnomalyPanel, AnomalySelection, severity_colour
from console.views.live_workspace import LiveWorkspace
from console.workers import ErrorNotifier
from models.anomaly import Incident, Pattern, Severity
from models.samples import Sample

NOW = time.time()


def incident(
    start: float,
    end: float,
    metric: str = "cpu.percent",
    severity: Severity = Severity.HIGH,
    pattern: Pattern = Pattern.SPIKE,
) -> Incident:
    return Incident(
        start=start,
        end=end,
        start_row=0,
        end_row=1,
        severity=severity,
        pattern=pattern,
        metrics=(metric,),
        peak_score=0.9,
        action=f"check {metric}",
    )


@pytest.fixture
def panel(qtbot) -> AnomalyPanel:
    view = AnomalyPanel()
    view.apply_theme(DARK)
    view.resize(900, 260)
    qtbot.addWidget(view)
    return view


def test_lists_incidents_newest_first_with_coloured_severity(qtbot, panel, artifacts_dir) -> None:
    old = incident(NOW - 3000, NOW - 2940, "mem.used.percent", Severity.LOW, Pattern.LEVEL_SHIFT)
    new = incident(NOW - 20, NOW, "cpu.percent", Severity.HIGH)
    panel.merge("web-1", [old, new], latest=NOW)
    model = panel.model
    assert model.rowCount() == 2
    first, second = model.record(0), model.record(1)
    assert first.incident == new and first.current
    assert second.incident == old and not second.current
    assert model.index(0, 0).data() == "HIGH · now"
    assert model.index(1, 1).data() == "level shift"
    assert model.index(0, 2).data() == "web-1"
    assert model.index(0, 3).data() == "CPU"
    assert model.index(1, 3).data() == "Memory"
    assert model.index(1, 5).data() == "60 s"
    assert model.index(0, 6).data() == "check cpu.percent"
    colour = model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole).color()
    assert colour == QColor(severity_colour(Severity.HIGH, "dark"))
    assert colour != model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole).color()
    assert panel.summary.text() == "1 current · 1 past"
    panel.show()
    qtbot.waitExposed(panel)
    panel.grab().save(str(artifacts_dir / "anomaly-panel.png"))


def test_a_redetected_incident_is_updated_not_duplicated(panel) -> None:
    panel.merge("web-1", [incident(NOW - 60, NOW - 30, severity=Severity.MEDIUM)], latest=NOW - 30)
    grown = incident(NOW - 50, NOW, severity=Severity.LOW)
    panel.merge("web-1", [grown], latest=NOW)
    records = panel.model.records()
    assert len(records) == 1
    # It keeps its first start and its worst severity, and it is still going on.
    assert records[0].incident.start == NOW - 60
    assert records[0].incident.end == NOW
    assert records[0].incident.severity is Severity.MEDIUM
    assert records[0].current
    # A later pass without it: it becomes a past incident, it does not vanish.
    panel.merge("web-1", [], latest=NOW + 60)
    assert len(panel.model.records()) == 1 and not panel.model.record(0).current
    panel.current_only.setChecked(True)
    assert panel.table.isRowHidden(0)


def test_clicking_a_row_emits_host_metric_and_span(qtbot, panel) -> None:
    wanted = incident(NOW - 600, NOW - 540, "disk.used.percent:/home", Severity.MEDIUM)
    panel.merge("db-2", [incident(NOW - 30, NOW), wanted], latest=NOW)
    panel.show()
    qtbot.waitExposed(panel)
    row = [r.incident for r in panel.model.records()].index(wanted)
    rect = panel.table.visualRect(panel.model.index(row, 1))
    with qtbot.waitSignal(panel.activated) as signal:
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    selection = signal.args[0]
    assert selection == AnomalySelection(
        "db-2", "disk.used.percent:/home", NOW - 600, NOW - 540, wanted
    )
    assert "check disk.used.percent:/home" in panel.detail.text()


def test_selection_shows_the_incident_on_the_right_live_chart(qtbot) -> None:
    pool = QThreadPool()
    notifier = ErrorNotifier()
    history = HistoryLoader(notifier, pool)
    buffers = LiveBuffers(5000)
    for host in ("web-1", "db-2"):
        buffers.add(
            [Sample(NOW - 1800 + i, "local", host, "mem.used.percent", 50.0) for i in range(1800)]
        )
    live = LiveWorkspace(buffers, history, lambda: None, "5m")
    qtbot.addWidget(live)
    live.set_host("web-1")
    insights = LiveInsights(live, pool, InsightsConfig(interval_s=0))
    try:
        wanted = incident(NOW - 1500, NOW - 1400, "mem.used.percent", Severity.HIGH)
        key = insights.show_selection(
            AnomalySelection("db-2", "mem.used.percent", wanted.start, wanted.end, wanted)
        )
        assert key == "memory"
        assert live.host == "db-2"
        assert live.bar.current.key == "1h"  # 25 minutes ago: the 1 h window covers it
        assert insights.anomalies["memory"].highlighted == wanted
        assert insights.anomalies["cpu"].highlighted is None
        qtbot.waitUntil(lambda: live.panel.point_counts()["memory"] > 0, timeout=5000)
        low, high = live.panel.charts["memory"].plot.getViewBox().viewRange()[0]
        assert low <= wanted.start and wanted.end <= high
        region = insights.anomalies["memory"].highlight
        assert region.isVisible() and region.getRegion() == (wanted.start, wanted.end)
    finally:
        insights.shutdown()
        live.shutdown()
        history.shutdown()
        pool.waitForDone(5000)


def test_a_spike_during_a_leak_is_listed_beside_it(panel) -> None:
    leak = incident(NOW - 2 * 86400, NOW, "mem.used.percent", Severity.LOW, Pattern.TREND)
    spike = incident(NOW - 120, NOW - 60, "mem.used.percent", Severity.HIGH, Pattern.SPIKE)
    panel.merge("web-1", [leak, spike], latest=NOW)
    assert len(panel.model.records()) == 2
    # The next pass finds both again: still two rows, each with its own pattern.
    grown = incident(NOW - 2 * 86400, NOW + 60, "mem.used.percent", Severity.LOW, Pattern.TREND)
    panel.merge("web-1", [grown, spike], latest=NOW + 60)
    patterns = sorted(r.incident.pattern.value for r in panel.model.records())
    assert patterns == ["spike", "trend"]
