"""The "Live" workspace: time-window bar over the chart grid.

Short windows are drawn from the in-memory ring buffers on a redraw timer;
windows longer than memory holds (or a custom range) come from the store
through a superseding background query. Pausing stops redrawing only:
collection and storage go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from console.live.buffers import LiveBuffers
from console.live.history import HistoryLoader, HistoryRequest, HistoryResult
from console.live.session import MEMORY_SECONDS
from console.theme import Theme
from console.views.chart_specs import DEFAULT_CHARTS, ChartSpec
from console.views.time_window import TimeWindow, TimeWindowBar

if TYPE_CHECKING:
    from console.views.chart_panel import ChartPanel

# One chart per tick: a full refresh of 6 charts takes 6 ticks (~0.25 s) but the GUI
# thread never stalls for more than one chart's setData (a few ms).
REDRAW_TICK_MS = 40


class LiveWorkspace(QWidget):
    """With ``defer_charts`` the charts (and pyqtgraph, ~1 s to import) are built by
    :meth:`build_charts`, after the window's first paint; ``charts_ready`` says when.
    Code that decorates the charts at startup connects to it (or checks ``panel``)."""

    frame_drawn = Signal()  # after each redraw that put new data on the charts
    charts_ready = Signal()

    def __init__(
        self,
        buffers: LiveBuffers,
        history: HistoryLoader,
        store_path: Callable[[], Path | None],
        initial_window: str = "5m",
        specs: Iterable[ChartSpec] = DEFAULT_CHARTS,
        parent: QWidget | None = None,
        defer_charts: bool = False,
    ) -> None:
        super().__init__(parent)
        self.buffers = buffers
        self.history = history
        self.store_path = store_path
        self.host: str | None = None
        self.redraws = 0
        self._drawn_total = -1
        self._pending: list[str] = []  # charts still to update in the current pass
        self._pass_total = 0
        self._last_request = 0.0
        self._history_window: TimeWindow | None = None
        # Room right of "now" for overlays that look ahead (forecast bands, set by
        # console.live.insights); live_bounds() caps it at a quarter of the window.
        self.lookahead_s = 0.0

        self.specs = tuple(specs)
        self.panel: ChartPanel | None = None
        self._per_core = False
        self._theme: Theme | None = None

        self.bar = TimeWindowBar(initial_window)
        self.placeholder = QLabel("Loading charts…")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addWidget(self.bar)
        self._layout.addWidget(self.placeholder, 1)

        self.bar.window_changed.connect(self._on_window_changed)
        self.bar.pause_toggled.connect(self._on_pause_toggled)
        self.history.loaded.connect(self._on_history)
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_TICK_MS)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()
        self._update_source_label()
        if not defer_charts:
            self.build_charts()

    def build_charts(self) -> None:
        """Create the chart grid (once); imports pyqtgraph on first call."""
        if self.panel is not None:
            return
        from console.views.chart_panel import ChartPanel

        panel = ChartPanel(self.specs)
        panel.set_per_core(self._per_core)
        if self._theme is not None:
            panel.apply_theme(self._theme)
        self._layout.replaceWidget(self.placeholder, panel)
        self.placeholder.deleteLater()
        self.panel = panel
        self._drawn_total = -1
        self.charts_ready.emit()

    def point_counts(self) -> dict[str, int]:
        """Points on each chart's visible curves; empty until the charts exist."""
        return self.panel.point_counts() if self.panel is not None else {}

    @property
    def paused(self) -> bool:
        return self.bar.paused

    def set_paused(self, paused: bool) -> None:
        self.bar.set_paused(paused)

    def set_host(self, host: str) -> None:
        if host != self.host:
            self.host = host
            self._drawn_total = -1
            self._last_request = 0.0

    def set_per_core(self, enabled: bool) -> None:
        self._per_core = enabled
        if self.panel is not None:
            self.panel.set_per_core(enabled)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        if self.panel is not None:
            self.panel.apply_theme(theme)

    def uses_store(self, window: TimeWindow) -> bool:
        return not window.live or window.seconds > MEMORY_SECONDS

    def live_bounds(self) -> tuple[float, float]:
        """The live window's time range, extended by the lookahead."""
        window = self.bar.current
        start, end = window.bounds()
        return start, end + min(self.lookahead_s, window.seconds / 4)

    @Slot()
    def redraw(self) -> None:
        """One timer tick: start a pass when new samples arrived, then update one chart."""
        if self.paused or self.host is None or self.panel is None:
            self._pending = []
            return
        window = self.bar.current
        if self.uses_store(window):
            self._pending = []
            self._maybe_request_history(window)
            return
        if not self._pending:
            if self.buffers.total_samples == self._drawn_total:
                return  # nothing new: skip the repaint
            self._pending = list(self.panel.charts)
            self._pass_total = self.buffers.total_samples
        start, end = self.live_bounds()
        self.panel.show_live_chart(self._pending.pop(0), self.buffers, self.host, start, end)
        if not self._pending:
            self._drawn_total = self._pass_total
            self.redraws += 1
            self.frame_drawn.emit()

    def redraw_now(self) -> None:
        """Update every chart at once (window change, resume): the operator is waiting."""
        self._pending = []
        if self.panel is None:
            return
        if self.paused or self.host is None or self.uses_store(self.bar.current):
            self.redraw()
            return
        start, end = self.live_bounds()
        self.panel.show_live(self.buffers, self.host, start, end)
        self._drawn_total = self.buffers.total_samples
        self.redraws += 1
        self.frame_drawn.emit()

    def shutdown(self) -> None:
        self.timer.stop()

    # -- internals ---------------------------------------------------------------------

    def _maybe_request_history(self, window: TimeWindow) -> None:
        path = self.store_path()
        if path is None or self.host is None or self.panel is None:
            return
        now = time.monotonic()
        # Live long windows refresh about once per displayed point, within 5-60 s.
        refresh_s = min(60.0, max(5.0, window.seconds / 1500))
        if window == self._history_window and (
            not window.live or now - self._last_request < refresh_s
        ):
            return
        self._history_window = window
        self._last_request = now
        start, end = window.bounds()
        known = self.panel.wanted_metrics(self.buffers.metrics(self.host))
        self.history.request(
            HistoryRequest(
                path, self.host, tuple(known), start, end, select=self.panel.wanted_metrics
            )
        )
        self.bar.set_source("Loading from store…")

    @Slot(object)
    def _on_history(self, result: HistoryResult) -> None:
        request = result.request
        if (
            self.paused
            or self.panel is None
            or self._history_window is None
            or request.host != self.host
        ):
            return
        self.panel.show_history(result.series, request.start, request.end)
        downsampled = any(getattr(r, "downsampled", False) for r in result.series.values())
        self.bar.set_source(
            "From store · downsampled, band = min/max" if downsampled else "From store"
        )
        self.redraws += 1
        self.frame_drawn.emit()

    @Slot(object)
    def _on_window_changed(self, window: TimeWindow) -> None:
        self._drawn_total = -1
        self._history_window = None
        if not self.uses_store(window):
            self.history.cancel()
        self._update_source_label()
        self.redraw_now()

    @Slot(bool)
    def _on_pause_toggled(self, paused: bool) -> None:
        if paused and self._pending and self.host is not None and self.panel is not None:
            # Finish the pass in progress so the frozen frame is consistent across charts.
            start, end = self.live_bounds()
            for key in self._pending:
                self.panel.show_live_chart(key, self.buffers, self.host, start, end)
            self._pending = []
        if not paused:
            self._drawn_total = -1
            self._history_window = None
            self.redraw_now()
        self._update_source_label()

    def _update_source_label(self) -> None:
        if self.paused:
            self.bar.set_source("Paused · collection continues")
        elif not self.uses_store(self.bar.current):
            self.bar.set_source("Live")
        elif self.store_path() is None:
            self.bar.set_source("No store: only live data is available")
