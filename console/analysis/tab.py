"""The Analysis tab as the main window sees it: the workspace is built on first show.

The workspace brings pyqtgraph, pandas and the forecasting engine with it; none of
that is needed for the window's first paint, so it loads when the operator opens
the tab (or when a test asks for it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from console.theme import Theme

if TYPE_CHECKING:
    from console.analysis.workspace import AnalysisWorkspace


class AnalysisTab(QWidget):
    def __init__(self, pool: QThreadPool | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.workspace: AnalysisWorkspace | None = None
        self._theme: Theme | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def ensure_workspace(self) -> AnalysisWorkspace:
        if self.workspace is None:
            from console.analysis.workspace import AnalysisWorkspace

            self.workspace = AnalysisWorkspace(self.pool)
            if self._theme is not None:
                self.workspace.apply_theme(self._theme)
            self._layout.addWidget(self.workspace)
        return self.workspace

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt naming
        self.ensure_workspace()
        super().showEvent(event)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        if self.workspace is not None:
            self.workspace.apply_theme(theme)

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        return self.workspace.shutdown(timeout_s) if self.workspace is not None else True
