"""Per-target mode, how plans are made (band, headroom, units per action, scale-in
delay) and auto-approve rules: max step, max $/h increase, scale-out only, minimum
confidence and freeze windows (``mon,tue 09:00-17:00; sat 00:00-00:00``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from console.plans.targets import PLANNER_LEVELS, TargetConfig
from models.planning import AutoApprovePolicy, FreezeWindow, PlannerSettings, TargetMode
from models.planning.policy import WEEKDAYS

MODE_LABELS = {
    TargetMode.OFF: "Off",
    TargetMode.FORECAST_ONLY: "Forecast only",
    TargetMode.APPROVAL_REQUIRED: "Approval required",
    TargetMode.AUTO_APPROVE: "Auto-approve within policy",
}


class FreezeWindowsError(ValueError):
    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"freeze window {text!r}: {reason}")
        self.text = text
        self.reason = reason


def parse_freeze_windows(text: str) -> tuple[FreezeWindow, ...]:
    windows = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        try:
            days_text, hours = part.split()
            start, end = hours.split("-")
            days = frozenset(WEEKDAYS.index(d.strip().lower()[:3]) for d in days_text.split(","))
            windows.append(FreezeWindow(days, time.fromisoformat(start), time.fromisoformat(end)))
        except ValueError:
            raise FreezeWindowsError(part, "expected e.g. 'mon,tue 09:00-17:00'") from None
    return tuple(windows)


def _optional(check: QCheckBox, spin: QSpinBox | QDoubleSpinBox) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(check)
    layout.addWidget(spin, 1)
    check.toggled.connect(spin.setEnabled)
    return row


class PolicyEditor(QWidget):
    applied = Signal(object)  # the edited TargetConfig

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config: TargetConfig | None = None
        self.mode = QComboBox()
        for mode, label in MODE_LABELS.items():
            self.mode.addItem(label, mode.value)
        self.step_check, self.max_step = QCheckBox("limit"), QSpinBox()
        self.max_step.setRange(1, 1000)
        self.cost_check, self.max_cost = QCheckBox("limit"), QDoubleSpinBox()
        self.max_cost.setRange(0, 1e6)
        self.max_cost.setPrefix("$ ")
        self.max_cost.setSuffix(" /h")
        self.scale_out_only = QCheckBox("never auto-approve a scale-in")
        self.confidence_check, self.min_confidence = QCheckBox("at least"), QDoubleSpinBox()
        self.min_confidence.setRange(0, 1)
        self.min_confidence.setSingleStep(0.05)
        self.freeze = QLineEdit()
        self.freeze.setPlaceholderText("e.g. mon,tue,wed,thu,fri 09:00-10:00; sat 00:00-00:00")
        self.timezone = QLineEdit("UTC")
        self.level = QComboBox()
        for level in PLANNER_LEVELS:
            self.level.addItem(f"{level} % upper bound", level)
        self.level.setToolTip("The forecast bound each plan must cover: 95 % is the safer")
        self.headroom = QDoubleSpinBox()
        self.headroom.setRange(0, 500)
        self.headroom.setSuffix(" %")
        self.headroom.setToolTip("Margin on top of the bound")
        self.units_per_action = QSpinBox()
        self.units_per_action.setRange(1, 1000)
        self.units_per_action.setToolTip("Largest change one scaling action makes")
        self.scale_in_after = QSpinBox()
        self.scale_in_after.setRange(0, 24 * 60)
        self.scale_in_after.setSuffix(" min")
        self.scale_in_after.setToolTip("Scale in only after the need stayed lower this long")
        self.error = QLabel()
        self.error.setStyleSheet("color: #e5534b")
        self.apply_button = QPushButton("Apply")
        self.apply_button.clicked.connect(self.apply)
        form = QFormLayout(self)
        form.addRow("Mode", self.mode)
        form.addRow(QLabel("<b>Plans</b>"))
        form.addRow("Cover", self.level)
        form.addRow("Headroom", self.headroom)
        form.addRow("Units per action", self.units_per_action)
        form.addRow("Scale in after", self.scale_in_after)
        form.addRow(QLabel("<b>Auto-approval</b>"))
        form.addRow("Max step (units)", _optional(self.step_check, self.max_step))
        form.addRow("Max cost increase", _optional(self.cost_check, self.max_cost))
        form.addRow("Scale-out only", self.scale_out_only)
        form.addRow("Min confidence", _optional(self.confidence_check, self.min_confidence))
        form.addRow("Freeze windows", self.freeze)
        form.addRow("Time zone", self.timezone)
        form.addRow(self.error, self.apply_button)

    def show_config(self, config: TargetConfig) -> None:
        self.config = config
        policy = config.policy
        self.mode.setCurrentIndex(self.mode.findData(config.mode.value))
        for check, spin, value in (
            (self.step_check, self.max_step, policy.max_step_units),
            (self.cost_check, self.max_cost, policy.max_hourly_increase),
            (self.confidence_check, self.min_confidence, policy.min_confidence),
        ):
            check.setChecked(value is not None)
            spin.setEnabled(value is not None)
            if value is not None:
                spin.setValue(value)
        self.scale_out_only.setChecked(policy.scale_out_only)
        self.freeze.setText("; ".join(w.describe() for w in policy.freeze_windows))
        self.timezone.setText(policy.timezone)
        planner = config.planner
        self.level.setCurrentIndex(max(0, self.level.findData(planner.level)))
        self.headroom.setValue(100 * planner.headroom)
        self.units_per_action.setValue(planner.max_step)
        self.scale_in_after.setValue(round(planner.stabilisation.total_seconds() / 60))
        self.error.clear()

    def edited(self) -> TargetConfig:
        """The config as edited; ValueError (with the reason) when a field is invalid."""
        assert self.config is not None
        policy = AutoApprovePolicy(
            max_step_units=self.max_step.value() if self.step_check.isChecked() else None,
            max_hourly_increase=self.max_cost.value() if self.cost_check.isChecked() else None,
            scale_out_only=self.scale_out_only.isChecked(),
            min_confidence=(
                self.min_confidence.value() if self.confidence_check.isChecked() else None
            ),
            freeze_windows=parse_freeze_windows(self.freeze.text()),
            timezone=self.timezone.text().strip() or "UTC",
        )
        planner = PlannerSettings(
            level=int(self.level.currentData()),
            headroom=self.headroom.value() / 100,
            stabilisation=timedelta(minutes=self.scale_in_after.value()),
            max_step=self.units_per_action.value(),
        )
        return replace(
            self.config, mode=TargetMode(self.mode.currentData()), policy=policy, planner=planner
        )

    def apply(self) -> None:
        if self.config is None:
            return
        try:
            config = self.edited()
        except ValueError as error:
            self.error.setText(str(error))
            return
        self.error.clear()
        self.config = config
        self.applied.emit(config)
