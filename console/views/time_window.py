"""The time-window bar: preset windows, a custom range, pause/resume."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)


@dataclass(frozen=True)
class TimeWindow:
    key: str  # "5m", "1h", "24h", "7d" or "custom"
    label: str
    seconds: float
    end: float | None = None  # None: follows "now" (live); set for a fixed custom range

    @property
    def live(self) -> bool:
        return self.end is None

    def bounds(self, now: float | None = None) -> tuple[float, float]:
        end = self.end if self.end is not None else (time.time() if now is None else now)
        return end - self.seconds, end


PRESETS: tuple[TimeWindow, ...] = (
    TimeWindow("5m", "5 min", 300),
    TimeWindow("1h", "1 h", 3600),
    TimeWindow("24h", "24 h", 86400),
    TimeWindow("7d", "7 d", 7 * 86400),
)
PRESET_BY_KEY = {window.key: window for window in PRESETS}


def custom_window(start: float, end: float) -> TimeWindow:
    if end <= start:
        raise ValueError("the end of a custom range must be after its start")
    return TimeWindow("custom", "Custom", end - start, end)


class CustomRangeDialog(QDialog):
    def __init__(self, start: float, end: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Custom time range")
        self.start_edit = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(start)))
        self.end_edit = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(end)))
        for edit in (self.start_edit, self.end_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("From", self.start_edit)
        form.addRow("To", self.end_edit)
        form.addRow(buttons)

    def window(self) -> TimeWindow:
        return custom_window(
            float(self.start_edit.dateTime().toSecsSinceEpoch()),
            float(self.end_edit.dateTime().toSecsSinceEpoch()),
        )


class TimeWindowBar(QWidget):
    window_changed = Signal(object)  # TimeWindow
    pause_toggled = Signal(bool)

    def __init__(self, initial: str = "5m", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current = PRESET_BY_KEY.get(initial, PRESETS[0])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(QLabel("Window"))
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, QToolButton] = {}
        for window in PRESETS:
            button = self._make_button(window.label, f"Show the last {window.label}")
            button.clicked.connect(lambda _=False, w=window: self.select(w))
            self.buttons[window.key] = button
            layout.addWidget(button)
        self.custom_button = self._make_button("Custom…", "Pick a range from the store")
        self.custom_button.clicked.connect(self.ask_custom_range)
        self.buttons["custom"] = self.custom_button
        layout.addWidget(self.custom_button)
        layout.addSpacing(16)
        self.source_label = QLabel("")
        self.source_label.setObjectName("windowSource")
        layout.addWidget(self.source_label)
        layout.addStretch(1)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Freeze the charts; collection and storage continue (Space)")
        self.pause_button.toggled.connect(self._on_pause_toggled)
        layout.addWidget(self.pause_button)
        self.buttons[self.current.key].setChecked(True)

    def _make_button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(True)
        button.setAutoRaise(False)
        button.setMinimumWidth(56)
        self.group.addButton(button)
        return button

    def select(self, window: TimeWindow) -> None:
        self.current = window
        self.buttons[window.key].setChecked(True)
        self.window_changed.emit(window)

    def select_key(self, key: str) -> None:
        self.select(PRESET_BY_KEY[key])

    def ask_custom_range(self) -> None:
        start, end = self.current.bounds()
        dialog = CustomRangeDialog(start, end, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            try:
                self.select(dialog.window())
                return
            except ValueError:
                pass  # an empty range: keep the current window
        self.buttons[self.current.key].setChecked(True)

    def set_source(self, text: str) -> None:
        self.source_label.setText(text)

    @property
    def paused(self) -> bool:
        return self.pause_button.isChecked()

    def set_paused(self, paused: bool) -> None:
        self.pause_button.setChecked(paused)

    def _on_pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_toggled.emit(paused)
