"""One time-series chart: header with title and crosshair readout, curves, overlays.

Curves are created once per series and updated with ``setData`` only. A series
can carry a min/max envelope (shown for downsampled store data so spikes stay
visible). Later features (forecast bands, anomaly markers) plug in as
:class:`ChartOverlay` objects without the chart knowing what they draw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from console.theme import Theme
from console.views.axes import UnitAxisItem
from console.views.units import format_value

CROSSHAIR_RATE_HZ = 30  # enough for a smooth readout, cheap on a busy GUI thread


class ChartOverlay(Protocol):
    """Something drawn on top of a chart's data (forecast band, anomaly markers...)."""

    def attach(self, plot: pg.PlotItem) -> None: ...

    def detach(self, plot: pg.PlotItem) -> None: ...

    def apply_theme(self, theme: Theme) -> None: ...


@dataclass
class _Envelope:
    low: pg.PlotDataItem
    high: pg.PlotDataItem
    band: pg.FillBetweenItem


@dataclass
class _Series:
    label: str
    colour_index: int
    curve: pg.PlotDataItem
    envelope: _Envelope | None = None  # created the first time store data needs one
    points: int = 0

    @property
    def has_envelope(self) -> bool:
        return self.envelope is not None and self.envelope.band.isVisible()


class _Placeholder(QLabel):
    """A label that asks for the room of the widget it stands in for, so layouts and
    splitters keep their proportions when one replaces the other."""

    def __init__(self, stand_in_for: QWidget) -> None:
        super().__init__()
        self._stand_in_for = stand_in_for
        self.setSizePolicy(stand_in_for.sizePolicy())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self._stand_in_for.sizeHint()


class MetricChart(QWidget):
    readout_changed = Signal(str)

    def __init__(
        self,
        title: str,
        unit: str,
        y_range: tuple[float, float] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.title = title
        self.unit = unit
        self._series: dict[str, _Series] = {}
        self._overlays: list[ChartOverlay] = []
        self._theme: Theme | None = None

        self.title_label = QLabel(title)
        self.title_label.setObjectName("chartTitle")
        self.readout_label = QLabel("")
        self.readout_label.setObjectName("chartReadout")
        self.readout_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.readout_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        header = QHBoxLayout()
        header.setContentsMargins(6, 2, 6, 0)
        header.addWidget(self.title_label)
        header.addSpacing(12)
        header.addWidget(self.readout_label, 1)

        self.plot_widget = pg.PlotWidget(
            axisItems={
                "bottom": pg.DateAxisItem(orientation="bottom"),
                "left": UnitAxisItem(unit, orientation="left"),
            }
        )
        self.plot_widget.setMinimumHeight(120)
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True)
        self.plot.getAxis("left").setWidth(72)  # aligned plot areas across the grid
        for name in ("left", "bottom"):
            # Major grid lines only: minor ones made each repaint ~10x slower (bench_gui)
            # and add clutter rather than information.
            self.plot.getAxis(name).setStyle(maxTickLevel=0)
        self.plot.setClipToView(True)
        self.plot.setDownsampling(auto=True, mode="peak")
        if y_range is not None:
            # A little headroom above 100 % so a saturated line does not hide in the frame.
            low, high = y_range
            margin = 0.04 * (high - low)
            self.plot.setYRange(low, high + margin, padding=0)
            self.plot.getViewBox().setLimits(yMin=low - margin, yMax=high + margin)
            self.plot.enableAutoRange(axis="y", enable=False)
        else:
            # Never zoom into noise: an idle link shows a flat line at 0, not "0.8 B/s".
            self.plot.getViewBox().setLimits(yMin=0, minYRange=1024 if unit == "B/s" else 1)
        self.legend = self.plot.addLegend(offset=(8, 4), labelTextSize="8pt", colCount=4)

        self.crosshair = pg.InfiniteLine(angle=90, movable=False)
        self.crosshair.setZValue(50)
        self.crosshair.hide()
        self.plot.addItem(self.crosshair, ignoreBounds=True)
        self._mouse_proxy = pg.SignalProxy(
            self.plot.scene().sigMouseMoved, rateLimit=CROSSHAIR_RATE_HZ, slot=self._on_mouse_moved
        )
        self.plot_widget.viewport().installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.plot_widget, 1)
        # Shown instead of the plot while there is nothing to draw: an empty date axis
        # labels its 0..1 default range as a fraction of a second past the epoch.
        self.placeholder = _Placeholder(self.plot_widget)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setMinimumHeight(120)
        self.placeholder.hide()
        layout.addWidget(self.placeholder, 1)

    def set_placeholder(self, text: str | None) -> None:
        """Show ``text`` in place of the plot (``None``: show the plot)."""
        self.placeholder.setText(text or "")
        self.placeholder.setVisible(text is not None)
        self.plot_widget.setVisible(text is None)

    # -- series ------------------------------------------------------------------------

    def ensure_series(self, key: str, label: str) -> None:
        """Create the curve for ``key`` once; later calls only return."""
        if key in self._series:
            return
        curve = pg.PlotDataItem()  # no name: the legend entry is added once, below
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        self.plot.addItem(curve)
        series = _Series(label, len(self._series), curve)
        self._series[key] = series
        self.legend.addItem(curve, label)
        if self._theme is not None:
            self._style_series(series, self._theme)

    def series_keys(self) -> list[str]:
        return list(self._series)

    def set_data(self, key: str, timestamps: np.ndarray, values: np.ndarray) -> None:
        series = self._series[key]
        series.curve.setData(timestamps, values)
        series.points = len(timestamps)

    def set_envelope(
        self, key: str, timestamps: np.ndarray, minimum: np.ndarray, maximum: np.ndarray
    ) -> None:
        series = self._series[key]
        if series.envelope is None:
            low, high = pg.PlotDataItem(), pg.PlotDataItem()
            band = pg.FillBetweenItem(low, high)
            band.setZValue(-10)
            self.plot.addItem(band)
            series.envelope = _Envelope(low, high, band)
            if self._theme is not None:
                self._style_series(series, self._theme)
        series.envelope.low.setData(timestamps, minimum)
        series.envelope.high.setData(timestamps, maximum)
        series.envelope.band.setVisible(series.curve.isVisible())

    def envelope_data(self, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(timestamps, minimum, maximum) of a shown envelope, else ``None``."""
        series = self._series[key]
        if not series.has_envelope:
            return None
        times, minimum = series.envelope.low.getOriginalDataset()
        _, maximum = series.envelope.high.getOriginalDataset()
        return times, minimum, maximum

    def clear_envelope(self, key: str) -> None:
        series = self._series[key]
        if series.has_envelope:
            series.envelope.band.hide()
            series.envelope.low.setData([], [])
            series.envelope.high.setData([], [])

    def set_series_visible(self, key: str, visible: bool) -> None:
        series = self._series[key]
        if series.curve.isVisible() == visible:
            return
        series.curve.setVisible(visible)
        if series.envelope is not None:
            has_data = series.envelope.low.xData is not None and len(series.envelope.low.xData)
            series.envelope.band.setVisible(visible and bool(has_data))
        if visible:
            self.legend.addItem(series.curve, series.label)
        else:
            self.legend.removeItem(series.curve)

    def visible_series(self) -> list[str]:
        return [key for key, s in self._series.items() if s.curve.isVisible()]

    def point_count(self) -> int:
        """Points on the visible curves: what the operator actually sees."""
        return sum(s.points for s in self._series.values() if s.curve.isVisible())

    def set_time_range(self, start: float, end: float) -> None:
        self.plot.setXRange(start, end, padding=0)

    # -- overlays ----------------------------------------------------------------------

    def add_overlay(self, overlay: ChartOverlay) -> None:
        overlay.attach(self.plot)
        if self._theme is not None:
            overlay.apply_theme(self._theme)
        self._overlays.append(overlay)

    def remove_overlay(self, overlay: ChartOverlay) -> None:
        if overlay in self._overlays:
            self._overlays.remove(overlay)
            overlay.detach(self.plot)

    # -- theme -------------------------------------------------------------------------

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.plot_widget.setBackground(theme.chart_background)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(theme.chart_foreground, width=1, cosmetic=True))
            axis.setTextPen(pg.mkPen(theme.chart_foreground))
            axis.setGrid(int(theme.grid_alpha * 255))
        self.legend.setLabelTextColor(theme.chart_foreground)
        # setLabelTextColor only applies to labels added later: recolour the existing ones.
        for _, label in self.legend.items:
            label.setText(label.text, color=theme.chart_foreground)
        background = QColor(theme.chart_background)
        background.setAlpha(200)
        self.legend.setBrush(pg.mkBrush(background))
        self.crosshair.setPen(
            pg.mkPen(theme.muted, width=1, cosmetic=True, style=Qt.PenStyle.DashLine)
        )
        self.title_label.setStyleSheet(f"color: {theme.text}; font-weight: 600;")
        self.readout_label.setStyleSheet(f"color: {theme.muted};")
        self.placeholder.setStyleSheet(
            f"color: {theme.muted}; background: {theme.chart_background};"
        )
        for series in self._series.values():
            self._style_series(series, theme)
        self.legend.update()  # legend samples read the curve pens when painted
        for overlay in self._overlays:
            overlay.apply_theme(theme)

    def _style_series(self, series: _Series, theme: Theme) -> None:
        colour = theme.series[series.colour_index % len(theme.series)]
        # Width-1 cosmetic pens: wider pens are several times slower to draw.
        series.curve.setPen(pg.mkPen(colour, width=1, cosmetic=True))
        if series.envelope is not None:
            fill = QColor(colour)
            fill.setAlpha(theme.envelope_alpha)
            series.envelope.band.setBrush(pg.mkBrush(fill))
            series.envelope.band.setPen(pg.mkPen(None))

    # -- crosshair ---------------------------------------------------------------------

    def show_latest(self) -> None:
        """Without a crosshair the header shows the newest value of each visible series."""
        if self.crosshair.isVisible():
            return
        parts = []
        for series in self._series.values():
            xs, ys = series.curve.getOriginalDataset()
            if series.curve.isVisible() and xs is not None and len(xs):
                parts.append(f"{series.label} {format_value(float(ys[-1]), self.unit)}")
        self.set_readout("   ".join(parts))

    def set_readout(self, text: str) -> None:
        """Show ``text`` in the header; a narrow chart cuts it, the tooltip keeps it whole."""
        self.readout_label.setText(text)
        self.readout_label.setToolTip(text)

    def readout_at(self, x: float) -> str:
        """The values of every visible series at time ``x`` (nearest point at or before it)."""
        parts = []
        for series in self._series.values():
            if not series.curve.isVisible():
                continue
            xs, ys = series.curve.getOriginalDataset()
            if xs is None or not len(xs):
                continue
            i = int(np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 1))
            parts.append(f"{series.label} {format_value(float(ys[i]), self.unit)}")
        if not parts:
            return ""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(x))
        return f"{stamp}   " + "   ".join(parts)

    def show_readout_at(self, x: float) -> None:
        self.crosshair.setPos(x)
        self.crosshair.show()
        text = self.readout_at(x)
        self.set_readout(text)
        self.readout_changed.emit(text)

    def hide_readout(self) -> None:
        self.crosshair.hide()
        self.show_latest()

    def _on_mouse_moved(self, event: tuple[QPointF]) -> None:
        position = event[0]
        if not self.plot.sceneBoundingRect().contains(position):
            return
        x = self.plot.getViewBox().mapSceneToView(position).x()
        self.show_readout_at(x)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.Leave:
            self.hide_readout()
        return super().eventFilter(watched, event)
