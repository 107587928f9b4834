"""Status bar: samples/s, store size, and the last error (click for details)."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel, QMessageBox, QSizePolicy, QStatusBar, QWidget

from console.theme import Theme
from console.views.units import format_bytes


class ClickableLabel(QLabel):
    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt naming
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class StatusBarView(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rate_label = QLabel("– samples/s")
        self.store_label = QLabel("Store: –")
        self.error_label = ClickableLabel("")
        self.error_label.setCursor(Qt.CursorShape.PointingHandCursor)
        self.error_label.clicked.connect(self.show_error_details)
        # A long error is cut here (full text in the tooltip and on click), never
        # allowed to widen the window past the screen.
        self.error_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.addWidget(self.error_label, 1)
        self.addPermanentWidget(self.rate_label)
        self.addPermanentWidget(self.store_label)
        self.last_error: tuple[str, str, str, float] | None = None  # source, message, details, when
        self.details_box: QMessageBox | None = None
        self._error_colour = "#c62828"

    def update_stats(self, samples_per_second: float, store_bytes: int | None, store: str) -> None:
        self.rate_label.setText(f"{samples_per_second:,.0f} samples/s")
        self.store_label.setText(f"Store: {format_bytes(store_bytes)}" if store else "Store: none")
        self.store_label.setToolTip(store or "no store: live data only, nothing is kept")

    def show_error(self, source: str, message: str, details: str) -> None:
        self.last_error = (source, message, details, time.time())
        stamp = time.strftime("%H:%M:%S")
        self.error_label.setText(f"⚠ {stamp} {message}")
        self.error_label.setToolTip(f"{details}\n\nClick for details")

    def clear_error(self) -> None:
        self.last_error = None
        self.error_label.setText("")
        self.error_label.setToolTip("")

    def show_error_details(self) -> None:
        if self.last_error is None:
            return
        source, message, details, when = self.last_error
        box = QMessageBox(QMessageBox.Icon.Warning, "Headroom — last error", message, parent=self)
        box.setInformativeText(
            f"Source: {source}\nTime: {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(when))}"
        )
        box.setDetailedText(details)
        box.setModal(False)
        box.open()  # not exec(): the GUI keeps running while it is shown
        self.details_box = box

    def apply_theme(self, theme: Theme) -> None:
        self._error_colour = theme.error
        self.error_label.setStyleSheet(f"color: {theme.error};")
