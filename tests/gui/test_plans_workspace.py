"""The Plans tab in a window: demo plan with chart, approve from the UI, policy, audit
view, notifications to the webhook, and the screenshot."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QMainWindow

from connectors.paths import config_dir
from connectors.webhook import store_webhook_url
from console.plans import build_plans
from console.plans.policy_editor import parse_freeze_windows
from console.plans.targets import load_targets, targets_path
from console.workers import ErrorNotifier
from models.planning import PlanState, TargetMode
from tests.gui.test_plans_support import WAIT_MS
from tests.test_webhook import server  # noqa: F401 - fixture

SCREENSHOT = (
    Path(__file__).resolve().parents[2] / "test-artifacts" / "plans.png"
)  # curated copies live in resources/screenshots


class Host(QMainWindow):
    """The parts of MainWindow the Plans tab uses (MainWindow itself is the lead's)."""

    def __init__(self) -> None:
        super().__init__()
        from PySide6.QtCore import QThreadPool

        self.notifier = ErrorNotifier(self)
        self.pool = QThreadPool(self)
        self.tabs: list[tuple[str, object]] = []

    def add_workspace(self, title: str, widget: object) -> int:
        self.tabs.append((title, widget))
        self.setCentralWidget(widget)
        return len(self.tabs) - 1


def open_plans(qtbot):
    host = Host()
    qtbot.addWidget(host)
    workspace = build_plans(host)
    host.add_workspace("Plans", workspace)
    host.resize(1400, 900)
    host.show()
    return host, workspace


def close(host, workspace) -> None:
    assert workspace.shutdown(5.0)
    assert workspace.notifications.wait(5.0)
    assert host.pool.waitForDone(5000)


def assert_readable_at(qtbot, host, workspace, width: int) -> None:
    """Every plan column visible without scrolling; every reason shown whole (wrapped)."""
    host.resize(width, 820)
    qtbot.wait(200)
    header = workspace.list.horizontalHeader()
    columns = sum(header.sectionSize(i) for i in range(header.count()))
    assert columns <= workspace.list.viewport().width() + 1, (columns, header.width())
    trace = workspace.detail.trace
    why = trace.columnWidth(2)
    for row in range(trace.rowCount()):
        text = trace.item(row, 2).text()
        needed = trace.fontMetrics().boundingRect(
            QRect(0, 0, why - 8, 10_000), Qt.TextFlag.TextWordWrap, text
        )
        assert needed.height() <= trace.rowHeight(row), (row, text)


def test_first_launch_shows_a_demo_plan_with_band_and_step_line(qtbot, server):  # noqa: F811
    url, handler = server
    store_webhook_url(url)
    host, workspace = open_plans(qtbot)
    try:
        assert workspace.target.currentText() == "demo"
        assert workspace.speed.currentText() == "60×"
        assert TargetMode(workspace.mode.currentData()) is TargetMode.APPROVAL_REQUIRED
        workspace.controller.start()
        qtbot.waitUntil(lambda: workspace.model.rowCount() == 1, timeout=WAIT_MS)
        qtbot.waitUntil(workspace.chart.has_band, timeout=WAIT_MS)
        assert workspace.chart.has_plan_line()
        assert workspace.detail.steps.rowCount() == len(workspace.model.plans[0].proposal.steps)
        assert workspace.detail.trace.rowCount() > 0
        assert workspace.approve_button.isEnabled()
        # The demo pool is busy at its peak: nothing to rightsize, and the tab says so.
        assert (
            workspace.lower.tabText(workspace.lower.indexOf(workspace.rightsizing)) == "Rightsizing"
        )
        assert "Nothing to rightsize" in workspace.rightsizing.summary.text()
        # The "needs approval" notification reached the webhook in Slack's format.
        qtbot.waitUntil(lambda: bool(handler.received), timeout=WAIT_MS)
        assert "Plan needs approval" in json.loads(handler.received[0][2])["text"]
        workspace.lower.setCurrentIndex(0)
        qtbot.wait(300)  # let the layout settle: the screenshot is what an operator sees
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        assert host.grab().save(str(SCREENSHOT))
        assert_readable_at(qtbot, host, workspace, width=1280 - 170)  # default window - dock
        host.resize(1400, 900)
        # Approve from the UI; the audit tab shows it and the chain verifies.
        workspace.approve_button.click()
        assert workspace.model.plans[0].state is PlanState.APPROVED
        workspace.audit.refresh()
        qtbot.waitUntil(lambda: workspace.audit.table.rowCount() >= 2, timeout=WAIT_MS)
        workspace.audit.verify()
        qtbot.waitUntil(lambda: workspace.audit.verification is not None, timeout=WAIT_MS)
        assert workspace.audit.verification.intact
        assert workspace.audit.table.item(0, 3).text() == "approved"
        workspace.audit.decision.setCurrentIndex(workspace.audit.decision.findData("proposed"))
        assert workspace.audit.table.rowCount() == 1
    finally:
        close(host, workspace)
    for path in config_dir().rglob("*"):
        if path.is_file():
            assert url not in path.read_text(errors="replace")


def test_policy_and_mode_are_saved_without_secrets(qtbot):
    host, workspace = open_plans(qtbot)
    try:
        editor = workspace.policy
        editor.mode.setCurrentIndex(editor.mode.findData("auto_approve"))
        editor.step_check.setChecked(True)
        editor.max_step.setValue(3)
        editor.freeze.setText("sat,sun 00:00-00:00")
        with qtbot.waitSignal(workspace.controller.cycle_done, timeout=WAIT_MS):
            editor.apply()
        saved = load_targets()[0]
        assert saved.mode is TargetMode.AUTO_APPROVE
        assert saved.policy.max_step_units == 3
        assert saved.policy.freeze_windows == parse_freeze_windows("sat,sun 00:00-00:00")
        assert TargetMode(workspace.mode.currentData()) is TargetMode.AUTO_APPROVE
        editor.freeze.setText("someday 9-5")
        editor.apply()
        assert "freeze window" in editor.error.text()
        assert "password" not in targets_path().read_text()
    finally:
        close(host, workspace)


def test_planner_settings_are_saved_and_shape_the_next_plan(qtbot):
    host, workspace = open_plans(qtbot)
    try:
        editor = workspace.policy
        assert editor.level.currentData() == 95 and editor.headroom.value() == 10.0
        editor.level.setCurrentIndex(editor.level.findData(80))
        editor.headroom.setValue(0.0)
        editor.units_per_action.setValue(1)
        editor.scale_in_after.setValue(60)
        with qtbot.waitSignal(workspace.controller.cycle_done, timeout=WAIT_MS):
            editor.apply()
        planner = load_targets()[0].planner
        assert (planner.level, planner.headroom, planner.max_step) == (80, 0.0, 1)
        assert planner.stabilisation == timedelta(minutes=60)
        plan = workspace.controller.cycles["demo"].plan
        assert plan is not None and plan.proposal.settings == planner
        assert all(abs(step.change) <= 1 for step in plan.proposal.steps)
        assert all("p80 upper bound" in step.trace.steps[0].note for step in plan.proposal.steps)
    finally:
        close(host, workspace)
    host, workspace = open_plans(qtbot)  # a restart shows what was saved
    try:
        assert workspace.policy.level.currentData() == 80
        assert workspace.policy.units_per_action.value() == 1
    finally:
        close(host, workspace)


def test_speed_change_keeps_the_pool_size(qtbot):
    host, workspace = open_plans(qtbot)
    try:
        pool_before = workspace.runtime().demo.executor
        pool_before.set_capacity(5)
        with qtbot.waitSignal(workspace.controller.cycle_done, timeout=WAIT_MS):
            workspace.speed.setCurrentIndex(workspace.speed.findData(360.0))
            workspace._on_speed()
        runtime = workspace.runtime()
        assert runtime.config.speed == 360.0
        assert runtime.demo.executor.current_capacity() == 5
        assert runtime.demo.trace.speed == 360.0
    finally:
        close(host, workspace)


def test_install_plans_adds_the_tab_to_the_main_window(qtbot, make_window):
    from console.plans import install_plans

    window = make_window(start_collection=False)
    install_plans(window)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert "Plans" in titles
    workspace = window.plans
    try:
        qtbot.waitUntil(lambda: workspace.model.rowCount() >= 1, timeout=WAIT_MS)
        assert workspace.model.plans[0].state is PlanState.PROPOSED
    finally:
        assert workspace.shutdown(5.0)
        assert workspace.notifications.wait(5.0)
