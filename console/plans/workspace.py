"""The Plans tab: pending plans, their chart, reasoning and cost, decisions, policy, audit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.plans.audit_view import AuditView
from console.plans.controller import RIGHTSIZING_DAYS, PlanController
from console.plans.notifications_dialog import NotificationsDialog
from console.plans.plan_chart import PlanChart
from console.plans.plan_detail import PlanDetail
from console.plans.plan_list import PlanListModel, PlanListView
from console.plans.policy_editor import MODE_LABELS, PolicyEditor
from console.plans.rightsizing_view import RightsizingView
from console.plans.target_dialog import AsgTargetDialog
from console.plans.targets import DEMO_SPEEDS, TargetConfig, TargetRuntime, save_targets
from console.theme import Theme
from models.forecast import Forecast
from models.planning import Plan, PlanState, TargetMode


def scaled(forecast: Forecast, factor: float) -> Forecast:
    """The same forecast with every value times ``factor`` (a change of unit)."""
    return replace(
        forecast,
        mean=np.asarray(forecast.mean) * factor,
        lower={level: np.asarray(v) * factor for level, v in forecast.lower.items()},
        upper={level: np.asarray(v) * factor for level, v in forecast.upper.items()},
    )


class PlansWorkspace(QWidget):
    def __init__(
        self, controller: PlanController, audit: AuditView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.target = QComboBox()
        self.speed = QComboBox()
        for speed in DEMO_SPEEDS:
            self.speed.addItem(f"{speed:g}×", speed)
        self.mode = QComboBox()
        for mode, label in MODE_LABELS.items():
            self.mode.addItem(label, mode.value)
        self.forecast_now = QPushButton("Forecast now")
        self.add_asg = QPushButton("Add AWS ASG…")
        self.notifications_button = QPushButton("Notifications…")
        self.notifications_dialog: NotificationsDialog | None = None
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy indicator: a cycle has no countable steps
        self.progress.setMaximumWidth(90)
        self.progress.hide()
        self.clock = QLabel()
        bar = QHBoxLayout()
        for label, widget in (("Target", self.target), ("Speed", self.speed), ("Mode", self.mode)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.forecast_now)
        bar.addWidget(self.progress)
        bar.addStretch(1)
        bar.addWidget(self.add_asg)
        bar.addWidget(self.notifications_button)

        self.model = PlanListModel(self)
        self.list = PlanListView(self.model)
        self.approve_button = QPushButton("Approve")
        self.reject_button = QPushButton("Reject")
        self.approve_selected = QPushButton("Approve selected")
        buttons = QHBoxLayout()
        for button in (self.approve_button, self.reject_button, self.approve_selected):
            buttons.addWidget(button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("<b>Plans</b> (newest first)"))
        left_layout.addWidget(self.list, 1)
        left_layout.addLayout(buttons)

        self.chart = PlanChart()
        self.detail = PlanDetail()
        self.policy = PolicyEditor()
        self.audit = audit
        self.lower = QTabWidget()
        self.lower.addTab(self.detail, "Steps && reasoning")
        # Scrolled: the form is taller than the chart can spare on a 820-px window.
        policy_page = QScrollArea()
        policy_page.setWidget(self.policy)
        policy_page.setWidgetResizable(True)
        policy_page.setFrameShape(QFrame.Shape.NoFrame)
        self.lower.addTab(policy_page, "Policy")
        self.lower.addTab(self.audit, "Audit log")
        self.rightsizing = RightsizingView(RIGHTSIZING_DAYS)
        self.lower.addTab(self.rightsizing, "Rightsizing")
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.chart)
        right.addWidget(self.lower)
        right.setSizes([420, 300])
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([520, 880])  # the plan list's columns, unclipped at 1280 px
        layout = QVBoxLayout(self)
        self.target_problem = QLabel()  # why the shown target has no forecast, if it has none
        self.target_problem.setStyleSheet("color: #e8a33d")
        self.target_problem.setWordWrap(True)
        self.target_problem.hide()
        layout.addLayout(bar)
        # On a line of its own: in the bar it made the workspace wider than a 1280 px window.
        layout.addWidget(self.clock)
        layout.addWidget(self.target_problem)
        layout.addWidget(split, 1)

        for name in controller.runtimes:
            self.target.addItem(name)
        self._show_target_settings()
        self.target.currentIndexChanged.connect(self._on_target_changed)
        self.speed.activated.connect(self._on_speed)
        self.mode.activated.connect(self._on_mode)
        self.forecast_now.clicked.connect(lambda: controller.resume(self.current_target()))
        self.add_asg.clicked.connect(self._ask_asg)
        self.notifications_button.clicked.connect(self.open_notifications)
        self.approve_button.clicked.connect(lambda: self._decide(True, self._focused()))
        self.approve_selected.clicked.connect(
            lambda: self._decide(True, self.list.selected_plans())
        )
        self.reject_button.clicked.connect(lambda: self._decide(False, self._focused()))
        self.list.selectionModel().selectionChanged.connect(self._on_selection)
        self.policy.applied.connect(self.apply_config)
        controller.plans_changed.connect(self._on_plans_changed)
        controller.cycle_done.connect(self._on_cycle_done)
        controller.cycle_failed.connect(self._on_cycle_done)
        controller.busy_changed.connect(self._on_busy)
        self.clock_timer = QTimer(self)
        self.clock_timer.setInterval(1000)
        self.clock_timer.timeout.connect(self._tick)
        self.clock_timer.start()
        self._tick()
        if controller.plans:  # restored from the last run: shown before the first forecast
            self._on_plans_changed()

    # -- state ---------------------------------------------------------------------------

    def current_target(self) -> str:
        return self.target.currentText()

    def runtime(self) -> TargetRuntime:
        return self.controller.runtimes[self.current_target()]

    def selected_plan(self) -> Plan | None:
        plans = self.list.selected_plans()
        return plans[0] if plans else None

    def apply_config(self, config: TargetConfig) -> None:
        """Use an edited target (mode, policy, speed): persist, rebuild its runtime, re-plan."""
        runtime = self.controller.runtimes[config.name].with_config(config)
        self.controller.set_runtime(runtime)
        self._save()
        self._show_target_settings()

    # -- slots ---------------------------------------------------------------------------

    def _focused(self) -> list[Plan]:
        plan = self.selected_plan() or self._latest_pending()
        return [plan] if plan is not None else []

    def _latest_pending(self) -> Plan | None:
        pending = [p for p in self.model.plans if p.state is PlanState.PROPOSED]
        return pending[0] if pending else None

    def _decide(self, approve: bool, plans: list[Plan]) -> None:
        ids = [p.id for p in plans if p.state is PlanState.PROPOSED]
        if approve:
            self.controller.approve(ids)
        else:
            self.controller.reject(ids)

    def _on_plans_changed(self) -> None:
        selected = {p.id for p in self.list.selected_plans()}
        self.model.set_plans(self.controller.plans)
        for row, plan in enumerate(self.model.plans):
            if plan.id in selected:
                self.list.selectRow(row)
        if not selected and self.model.plans:
            self.list.selectRow(0)
        self._on_selection()

    def _on_selection(self) -> None:
        plan = self.selected_plan()
        self.detail.show_plan(plan)
        self._draw(plan)
        pending = plan is not None and plan.state is PlanState.PROPOSED and plan.executable
        self.approve_button.setEnabled(pending)
        self.reject_button.setEnabled(pending)

    def _on_cycle_done(self, target: str, _message: str = "") -> None:
        cycles = self.controller.cycles
        self.rightsizing.show_suggestions(
            {name: cycle.rightsizing for name, cycle in cycles.items()}, checked=len(cycles)
        )
        if target == self.current_target():
            self._show_problem()
            self._draw(self.selected_plan())

    def _show_problem(self) -> None:
        problem = self.controller.cycle_errors.get(self.current_target())
        self.target_problem.setText(problem or "")
        self.target_problem.setVisible(bool(problem))

    def _draw(self, plan: Plan | None) -> None:
        name = plan.target if plan is not None else self.current_target()
        cycle = self.controller.cycles.get(name)
        runtime = self.controller.runtimes.get(name)
        if cycle is None or runtime is None:
            return
        latest = cycle.plan is not None and plan is not None and cycle.plan.id == plan.id
        history, forecast = cycle.history, cycle.forecast if latest or plan is None else None
        config = runtime.config
        unit = "req/s"
        if config.kind == "demo":
            title = f"{name}: demand, forecast and capacity ({config.per_unit:g} req/s per unit)"
        elif config.metric_kind == "throughput":
            unit = "/s" if config.metric_statistic == "Sum" else ""
            title = (
                f"{name}: {config.metric_name} ({config.metric_statistic}), forecast and "
                f"capacity ({config.per_unit:g} per instance)"
            )
        else:
            # An average % cannot be read against a capacity: draw the load in
            # instance-% (average x instances), which capacity x target % can carry.
            current = float(history["capacity"].iloc[-1])
            history = history.assign(demand=history["demand"] * history["capacity"])
            forecast = scaled(forecast, current) if forecast is not None else None
            unit = "inst-%"
            title = (
                f"{name}: load = {config.metric_name} × instances (instance-%), forecast and "
                f"capacity at {config.per_unit:g} % per instance"
            )
        self.chart.show_plan(
            history,
            forecast,
            plan.proposal if plan is not None else None,
            config.per_unit,
            runtime.now(),
            title,
            unit,
        )

    def _on_busy(self, target: str, busy: bool) -> None:
        self.progress.setVisible(busy)

    def _on_target_changed(self) -> None:
        self._show_target_settings()
        self._show_problem()
        self._draw(None)

    def _on_speed(self) -> None:
        config = self.runtime().config
        self.apply_config(replace(config, speed=float(self.speed.currentData())))

    def _on_mode(self) -> None:
        config = self.runtime().config
        self.apply_config(replace(config, mode=TargetMode(self.mode.currentData())))

    def _show_target_settings(self) -> None:
        if not self.current_target():
            return
        config = self.runtime().config
        self.speed.setEnabled(config.kind == "demo")
        self.speed.setCurrentIndex(max(0, self.speed.findData(config.speed)))
        self.mode.setCurrentIndex(self.mode.findData(config.mode.value))
        self.policy.show_config(config)

    def _tick(self) -> None:
        if not self.current_target():
            return
        runtime = self.runtime()
        if runtime.config.kind != "demo":
            self.clock.setText(f"{runtime.now():%a %H:%M} UTC")
            return
        pool = runtime.demo.executor
        now = runtime.demo.clock()
        self.clock.setText(
            f"demo time {runtime.now():%a %H:%M} · pool {pool.current_capacity()} units, "
            f"{pool.serving_units(now)} serving"
        )

    def _ask_asg(self) -> None:
        dialog = AsgTargetDialog(set(self.controller.runtimes), self)
        if dialog.exec() != AsgTargetDialog.DialogCode.Accepted:
            return
        self.add_target(dialog.config())

    def open_notifications(self) -> NotificationsDialog:
        """Show the webhook settings (window-modal, not blocking the event loop)."""
        if self.notifications_dialog is None:
            self.notifications_dialog = NotificationsDialog(self.controller.pool, self)
        else:
            self.notifications_dialog.refresh()
        self.notifications_dialog.open()
        return self.notifications_dialog

    def add_target(self, config: TargetConfig) -> None:
        self.controller.set_runtime(TargetRuntime(config))
        self.target.addItem(config.name)
        self.target.setCurrentText(config.name)
        self._save()

    def _save(self) -> None:
        try:
            save_targets([r.config for r in self.controller.runtimes.values()])
        except OSError as error:
            self.controller.notifier.report("Plans", f"cannot save targets: {error.strerror}")

    def apply_theme(self, theme: Theme) -> None:
        self.chart.apply_theme(theme)

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        self.clock_timer.stop()
        ok = self.audit.shutdown(timeout_s)
        if self.notifications_dialog is not None:
            ok = self.notifications_dialog.wait(timeout_s) and ok
        return self.controller.stop(timeout_s) and ok
