"""The What-if chart: demand, the predictive forecast and each policy's capacity as steps.

Every replay figure is per interval (a fleet size holds for the whole interval), so all
curves are drawn as steps spanning ``[t, t + step)``. Capacity is in demand units
(serving units x unit capacity) so it reads against the demand line directly; where a
policy's capacity is below the demand the gap is shaded in the policy's colour.

The predictive policy's forecast is drawn where it was aimed: each decision forecast the
interval its new units would first serve (``lead`` = warm-up intervals later), so its
mean (dotted) and the bound the plan covered (dashed, same colour) sit on that interval
and read against the demand that then came.

Built on :class:`~console.views.chart.MetricChart`: its curves, theme, legend and
crosshair readout; the shading is a :class:`ShortfallOverlay`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from console.replay.jobs import POLICY_LABELS, ReplayOutcome
from console.theme import Theme
from console.views.chart import MetricChart
from models.anomaly.base import epoch_seconds
from models.simulation import POLICY_NAMES, PolicyResult

DEMAND_KEY = "demand"
FORECAST_KEY = "forecast"  # the predictive policy's forecast mean
BOUND_KEY = "forecast_bound"  # the demand its plan covered (upper bound + headroom)
FORECAST_STYLES = {FORECAST_KEY: Qt.PenStyle.DotLine, BOUND_KEY: Qt.PenStyle.DashLine}
SHORTFALL_ALPHA = 110  # 0-255: visible on both themes without hiding the lines under it
# Weeks of 30-minute steps make a dense picture: open on the most recent days, in detail.
DEFAULT_VIEW = pd.Timedelta(days=4)


def step_points(edges: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Corner points of a step line: ``values[i]`` from ``edges[i]`` to ``edges[i + 1]``."""
    return np.repeat(edges, 2)[1:-1], np.repeat(np.asarray(values, dtype=float), 2)


def colour_index(key: str) -> int:
    """Fixed colours: demand first, then the policies in engine order, whatever is run."""
    return (DEMAND_KEY, *POLICY_NAMES).index(key)


class ShortfallOverlay:
    """Shaded area between each policy's capacity and the demand above it."""

    def __init__(self) -> None:
        self._plot: pg.PlotItem | None = None
        self._fills: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem, pg.FillBetweenItem]] = {}
        self._theme: Theme | None = None
        for name in POLICY_NAMES:
            low, high = pg.PlotDataItem(), pg.PlotDataItem()
            fill = pg.FillBetweenItem(low, high)
            fill.setZValue(-5)  # under the lines
            fill.setPen(pg.mkPen(None))
            self._fills[name] = (low, high, fill)

    def attach(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        for _, _, fill in self._fills.values():
            plot.addItem(fill, ignoreBounds=True)

    def detach(self, plot: pg.PlotItem) -> None:
        for _, _, fill in self._fills.values():
            plot.removeItem(fill)
        self._plot = None

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        for name, (_, _, fill) in self._fills.items():
            colour = QColor(theme.series[colour_index(name) % len(theme.series)])
            colour.setAlpha(SHORTFALL_ALPHA)
            fill.setBrush(pg.mkBrush(colour))

    def set_shortfall(
        self, name: str, edges: np.ndarray, capacity: np.ndarray, demand: np.ndarray
    ) -> None:
        low, high, fill = self._fills[name]
        top = np.maximum(np.nan_to_num(demand, nan=0.0), capacity)
        low.setData(*step_points(edges, capacity))
        high.setData(*step_points(edges, top))
        fill.setVisible(True)

    def hide(self, name: str) -> None:
        low, high, fill = self._fills[name]
        fill.setVisible(False)
        low.setData([], [])
        high.setData([], [])

    def shaded(self, name: str) -> bool:
        return self._fills[name][2].isVisible()


EMPTY_TEXT = "Run a replay to see the demand, the forecast and each policy's capacity."


class ReplayChart(MetricChart):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("What-if replay", "", parent=parent)
        self.shortfall = ShortfallOverlay()
        self.add_overlay(self.shortfall)
        # Create every curve once, in a fixed order, so each policy keeps its colour.
        self.ensure_series(DEMAND_KEY, "Demand")
        for name in POLICY_NAMES:
            self.ensure_series(name, f"{POLICY_LABELS[name]} capacity")
        self.ensure_series(FORECAST_KEY, "Forecast")
        self.ensure_series(BOUND_KEY, "Planned-on bound")
        # Both forecast lines share a colour of their own; the pen style tells them apart.
        self._series[BOUND_KEY].colour_index = self._series[FORECAST_KEY].colour_index
        self._curve(DEMAND_KEY).setZValue(10)  # the reference every capacity is read against
        self.plot.getViewBox().setAutoVisible(y=True)  # y fits the days in view
        # Six series make a long readout: when it overflows, lose its end, not the demand.
        self.readout_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._edges = np.empty(0)
        self.clear()

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        for key, style in FORECAST_STYLES.items():
            pen = pg.mkPen(self._curve(key).opts["pen"])
            pen.setStyle(style)
            self._curve(key).setPen(pen)
        self.legend.update()

    def clear(self) -> None:
        for key in (DEMAND_KEY, *POLICY_NAMES, *FORECAST_STYLES):
            self.set_data(key, np.empty(0), np.empty(0))
            self.set_series_visible(key, key == DEMAND_KEY)
        for name in POLICY_NAMES:
            self.shortfall.hide(name)
        self.readout_label.setText("")
        self._edges = np.empty(0)
        self.set_placeholder(EMPTY_TEXT)

    def show_outcome(self, outcome: ReplayOutcome) -> None:
        """Draw the replayed window: demand and every policy that was run."""
        report = outcome.report
        first = next(iter(report.policies.values()))
        starts = epoch_seconds(report.timestamps())
        edges = np.append(starts, starts[-1] + report.step.total_seconds())
        self.title_label.setText(f"{outcome.column} · {outcome.source}")
        self.set_placeholder(None)
        self.set_data(DEMAND_KEY, *step_points(edges, first.demand))
        for name in POLICY_NAMES:
            result = report.policies.get(name)
            self.set_series_visible(name, result is not None)
            if result is None:
                self.set_data(name, np.empty(0), np.empty(0))
                self.shortfall.hide(name)
                continue
            capacity = result.serving * result.unit_capacity
            self.set_data(name, *step_points(edges, capacity))
            self.shortfall.set_shortfall(name, edges, capacity, result.demand)
        self._show_forecast(report.policies.get("predictive"), starts, report.step)
        self._edges = edges
        self.show_recent()
        self.show_latest()

    def _show_forecast(
        self, result: PolicyResult | None, starts: np.ndarray, step: pd.Timedelta
    ) -> None:
        forecast = None if result is None else result.forecast
        shown = forecast is not None and forecast.decisions > 0
        for key in FORECAST_STYLES:
            self.set_series_visible(key, shown)
            if not shown:
                self.set_data(key, np.empty(0), np.empty(0))
        if not shown:
            return
        # Decision i aimed at interval i + lead: draw each value on the interval it was for,
        # and leave out the last decisions' aims past the replayed window.
        seconds = step.total_seconds()
        n = len(starts) - forecast.lead
        aimed = starts[forecast.lead :]
        edges = np.append(aimed, aimed[-1] + seconds) if len(aimed) else aimed
        for key, values in ((FORECAST_KEY, forecast.mean), (BOUND_KEY, forecast.bound)):
            if n > 0:
                self.set_data(key, *step_points(edges, values[:n]))
            else:
                self.set_data(key, np.empty(0), np.empty(0))

    def show_recent(self, span: pd.Timedelta = DEFAULT_VIEW) -> None:
        """The last ``span`` of the replay (all of it when shorter), y fitted to it."""
        if not len(self._edges):
            return
        end = float(self._edges[-1])
        start = max(float(self._edges[0]), end - span.total_seconds())
        self.plot.enableAutoRange(axis="y")
        self.set_time_range(start, end)

    def show_all(self) -> None:
        if len(self._edges):
            self.plot.enableAutoRange(axis="y")
            self.set_time_range(float(self._edges[0]), float(self._edges[-1]))

    def curve_data(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """The points a curve draws (for tests and exports)."""
        xs, ys = self._curve(key).getOriginalDataset()
        return (np.empty(0), np.empty(0)) if xs is None else (xs, ys)

    def _curve(self, key: str) -> pg.PlotDataItem:
        return self._series[key].curve
