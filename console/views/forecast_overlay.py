"""Chart overlays for the forecasting and anomaly engine: forecast bands and anomaly marks.

Both implement :class:`console.views.chart.ChartOverlay`. Plot items are created once
and updated with ``setData`` / ``setRegion``; a new forecast or incident list never
recreates what is already on the plot (region items are pooled and reused).
Timestamps are seconds since the Unix epoch, like every chart's x axis. This module
imports pyqtgraph: import it only once the charts exist (they are built after the
first paint).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from console.theme import Theme
from console.views.anomaly_panel import MarkedIncident, severity_colour
from models.anomaly import Incident

FORECAST_Z = -5  # under the data curves, over the grid
REGION_Z = -30  # anomaly regions sit behind everything else


def forecast_colour(theme: Theme) -> str:
    # Violet is not used by the first data series of any chart, so the band never
    # looks like a measured curve.
    return theme.series[4]


@dataclass
class _Band:
    # PlotCurveItems, not PlotDataItems: the charts clip data items to the visible range,
    # and a band set while it was off-screen (just past "now") would keep an empty fill.
    low: pg.PlotCurveItem
    high: pg.PlotCurveItem
    fill: pg.FillBetweenItem


class ForecastBandOverlay:
    """Mean forecast (dashed) and one shaded band per interval level (80 %, 95 %...)."""

    def __init__(self, levels: Sequence[int] = (80, 95)) -> None:
        self.mean_curve = pg.PlotDataItem()
        self.mean_curve.setZValue(FORECAST_Z + 1)
        self._bands: dict[int, _Band] = {}
        self._plot: pg.PlotItem | None = None
        self._theme: Theme | None = None
        for level in levels:
            self._band(level)
        self.clear()

    # -- ChartOverlay ----------------------------------------------------------------

    def attach(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        plot.addItem(self.mean_curve)
        for band in self._bands.values():
            self._add_band(plot, band)

    def detach(self, plot: pg.PlotItem) -> None:
        plot.removeItem(self.mean_curve)
        for band in self._bands.values():
            for item in (band.fill, band.low, band.high):
                plot.removeItem(item)
        self._plot = None

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        colour = forecast_colour(theme)
        self.mean_curve.setPen(pg.mkPen(colour, width=1, cosmetic=True, style=Qt.PenStyle.DashLine))
        # The narrowest band is the most opaque: the eye reads "likely" before "possible".
        for rank, level in enumerate(sorted(self._bands)):
            fill = QColor(colour)
            fill.setAlpha(max(30, 110 - 45 * rank))
            band = self._bands[level]
            band.fill.setBrush(pg.mkBrush(fill))
            band.fill.setPen(pg.mkPen(None))

    # -- data --------------------------------------------------------------------------

    def set_forecast(
        self,
        timestamps: np.ndarray,
        mean: np.ndarray,
        lower: Mapping[int, np.ndarray],
        upper: Mapping[int, np.ndarray],
    ) -> None:
        """Show a forecast; ``timestamps`` in epoch seconds, one bound pair per level."""
        times = np.asarray(timestamps, dtype=float)
        self.mean_curve.setData(times, np.asarray(mean, dtype=float))
        self.mean_curve.show()
        for level in lower:
            self._band(level)
        for level, band in self._bands.items():
            if level in lower and level in upper:
                band.low.setData(times, np.asarray(lower[level], dtype=float))
                band.high.setData(times, np.asarray(upper[level], dtype=float))
                band.fill.show()
            else:
                band.low.setData([], [])
                band.high.setData([], [])
                band.fill.hide()

    def clear(self) -> None:
        self.mean_curve.setData([], [])
        self.mean_curve.hide()
        for band in self._bands.values():
            band.low.setData([], [])
            band.high.setData([], [])
            band.fill.hide()

    @property
    def has_forecast(self) -> bool:
        return self.mean_curve.isVisible() and self.point_count() > 0

    def point_count(self) -> int:
        xs, _ = self.mean_curve.getOriginalDataset()
        return 0 if xs is None else len(xs)

    def levels(self) -> tuple[int, ...]:
        """The levels whose band is shown now."""
        return tuple(sorted(level for level, band in self._bands.items() if band.fill.isVisible()))

    def band(self, level: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(timestamps, lower, upper) of a shown band, else ``None``."""
        band = self._bands.get(level)
        if band is None or not band.fill.isVisible():
            return None
        times, low = band.low.getData()
        _, high = band.high.getData()
        return np.asarray(times), np.asarray(low), np.asarray(high)

    def fill_bounds(self, level: int) -> tuple[float, float, float, float] | None:
        """(x, y, width, height) of the shaded area actually built for ``level``: what
        the operator sees, as opposed to the data the band holds."""
        band = self._bands.get(level)
        if band is None or not band.fill.isVisible():
            return None
        rect = band.fill.boundingRect()
        return rect.x(), rect.y(), rect.width(), rect.height()

    def end_time(self) -> float | None:
        xs, _ = self.mean_curve.getOriginalDataset()
        return float(xs[-1]) if xs is not None and len(xs) else None

    def _band(self, level: int) -> _Band:
        band = self._bands.get(level)
        if band is None:
            low, high = pg.PlotCurveItem(), pg.PlotCurveItem()
            fill = pg.FillBetweenItem(low, high)
            # Wider levels lower in z so the narrow band paints over them.
            fill.setZValue(FORECAST_Z - level / 100)
            band = self._bands[level] = _Band(low, high, fill)
            if self._plot is not None:
                self._add_band(self._plot, band)
            if self._theme is not None:
                self.apply_theme(self._theme)
        return band

    @staticmethod
    def _add_band(plot: pg.PlotItem, band: _Band) -> None:
        # The bound curves only feed the fill; they are never drawn themselves.
        for curve in (band.low, band.high):
            curve.setPen(pg.mkPen(None))
            plot.addItem(curve)
        plot.addItem(band.fill)


class AnomalyOverlay:
    """A shaded region per incident, a marker at its extreme point, and one highlight."""

    def __init__(self) -> None:
        self.markers = pg.ScatterPlotItem(size=9, symbol="o")
        self.markers.setZValue(20)
        self.highlight = pg.LinearRegionItem(movable=False)
        self.highlight.setZValue(REGION_Z + 1)
        self.highlight.hide()
        self._regions: list[pg.LinearRegionItem] = []  # pooled: reused, never recreated
        self._marked: list[MarkedIncident] = []
        self._highlighted: Incident | None = None
        self._plot: pg.PlotItem | None = None
        self._theme_name = "light"

    # -- ChartOverlay ----------------------------------------------------------------

    def attach(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        plot.addItem(self.markers)
        plot.addItem(self.highlight, ignoreBounds=True)
        for region in self._regions:
            plot.addItem(region, ignoreBounds=True)

    def detach(self, plot: pg.PlotItem) -> None:
        for item in (self.markers, self.highlight, *self._regions):
            plot.removeItem(item)
        self._plot = None

    def apply_theme(self, theme: Theme) -> None:
        self._theme_name = theme.name
        self._restyle()

    # -- data --------------------------------------------------------------------------

    def set_incidents(self, marked: Sequence[MarkedIncident]) -> None:
        self._marked = list(marked)
        while len(self._regions) < len(self._marked):
            region = pg.LinearRegionItem(movable=False)
            region.setZValue(REGION_Z)
            self._regions.append(region)
            if self._plot is not None:
                self._plot.addItem(region, ignoreBounds=True)
        for index, region in enumerate(self._regions):
            if index < len(self._marked):
                incident = self._marked[index].incident
                region.setRegion(_span(incident))
                region.show()
            else:
                region.hide()
        self._restyle()

    def clear(self) -> None:
        self.set_incidents([])
        self.set_highlight(None)

    def incidents(self) -> list[Incident]:
        return [m.incident for m in self._marked]

    def marker_points(self) -> list[tuple[float, float]]:
        return [(m.x, m.y) for m in self._marked]

    def visible_regions(self) -> list[tuple[float, float]]:
        return [tuple(r.getRegion()) for r in self._regions if r.isVisible()]

    def set_highlight(self, incident: Incident | None) -> None:
        """Emphasise one incident (the one picked in the anomaly list); ``None`` removes it."""
        self._highlighted = incident
        if incident is None:
            self.highlight.hide()
            return
        self.highlight.setRegion(_span(incident))
        self.highlight.show()
        self._restyle()

    @property
    def highlighted(self) -> Incident | None:
        return self._highlighted

    def _restyle(self) -> None:
        spots = []
        for index, marked in enumerate(self._marked):
            colour = severity_colour(marked.incident.severity, self._theme_name)
            spots.append(
                {
                    "pos": (marked.x, marked.y),
                    "brush": pg.mkBrush(colour),
                    "pen": pg.mkPen("#000000" if self._theme_name == "light" else "#ffffff"),
                }
            )
            fill = QColor(colour)
            fill.setAlpha(45)
            region = self._regions[index]
            region.setBrush(pg.mkBrush(fill))
            for line in region.lines:
                line.setPen(pg.mkPen(None))
        self.markers.setData(spots)
        if self._highlighted is not None:
            colour = severity_colour(self._highlighted.severity, self._theme_name)
            fill = QColor(colour)
            fill.setAlpha(90)
            self.highlight.setBrush(pg.mkBrush(fill))
            for line in self.highlight.lines:
                line.setPen(pg.mkPen(colour, width=1, cosmetic=True))


def _span(incident: Incident) -> tuple[float, float]:
    # A one-row incident has no width: give it a sliver so the region is visible.
    end = incident.end if incident.end > incident.start else incident.start + 1.0
    return incident.start, end
