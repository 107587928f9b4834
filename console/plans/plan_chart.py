"""A plan's chart: demand history, forecast 80/95 % band, planned and current capacity.

Capacity is drawn in demand units (units x what one unit serves) so it can be read
against demand: where the demand or its band rises above the planned step line, the
plan leaves that interval short. Items are created once and updated with setData.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from console import theme as themes
from console.views.axes import UnitAxisItem
from models.anomaly.base import epoch_seconds
from models.forecast import Forecast
from models.planning import CapacityPlan
from models.planning.adaptive import ADAPTIVE_FACTOR
from models.planning.hourly import HOURLY_RAISE

DEMAND, FORECAST, PLANNED, CURRENT = "#4e9be6", "#b38cf2", "#2fbf71", "#e8a33d"
# When the planner's calibrations lifted the upper bound, the band is no longer
# symmetric about the mean: the title says so (the legend is anchored to the view box
# and re-laying it out while a chart is being replaced crashes pyqtgraph).
RAISED_NOTE = " · band raised (see Why)"
HISTORY_SHOWN = pd.Timedelta(hours=30)  # yesterday at this hour, and the plan readable beside it


def _band_colour(alpha: int) -> QColor:
    colour = QColor(FORECAST)
    colour.setAlpha(alpha)
    return colour


class PlanChart(QWidget):
    def __init__(self, unit: str = "req/s", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        theme = themes.resolve("system")
        self.value_axis = UnitAxisItem(unit)
        self.plot_widget = pg.PlotWidget(
            background=theme.chart_background,
            axisItems={"bottom": pg.DateAxisItem(utcOffset=0), "left": self.value_axis},
        )
        plot = self.plot_widget.getPlotItem()
        self.legend = plot.addLegend(offset=(10, 5))
        # Invisible (not absent) pens: a PlotDataItem without a pen hides its curve, and
        # FillBetweenItem fills between the curves.
        hidden = pg.mkPen((0, 0, 0, 0))
        self.band_low = {level: plot.plot(pen=hidden) for level in (95, 80)}
        self.band_high = {level: plot.plot(pen=hidden) for level in (95, 80)}
        self.bands = {
            level: pg.FillBetweenItem(
                self.band_low[level], self.band_high[level], brush=_band_colour(alpha)
            )
            for level, alpha in ((95, 45), (80, 90))
        }
        for band in self.bands.values():
            plot.addItem(band)
        self.demand = plot.plot(pen=pg.mkPen(DEMAND, width=1), name="demand")
        self.forecast = plot.plot(
            pen=pg.mkPen(FORECAST, width=1, style=pg.QtCore.Qt.PenStyle.DashLine),
            name="forecast (band 80/95 %)",
        )
        self.current = plot.plot(pen=pg.mkPen(CURRENT, width=1), stepMode="center", name="capacity")
        self.planned = plot.plot(
            pen=pg.mkPen(PLANNED, width=2), stepMode="center", name="planned capacity"
        )
        self.now_line = pg.InfiniteLine(angle=90)
        plot.addItem(self.now_line)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)
        self.apply_theme(theme)

    def apply_theme(self, theme: themes.Theme) -> None:
        plot = self.plot_widget.getPlotItem()
        self.plot_widget.setBackground(theme.chart_background)
        plot.showGrid(x=True, y=True, alpha=theme.grid_alpha)
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(theme.chart_foreground, width=1))
            axis.setTextPen(pg.mkPen(theme.chart_foreground))
        plot.titleLabel.setText(plot.titleLabel.text, color=theme.chart_foreground)
        self.legend.setLabelTextColor(theme.chart_foreground)
        for _, label in self.legend.items:
            label.setText(label.text, color=theme.chart_foreground)
        self.now_line.setPen(pg.mkPen(theme.muted, width=1))

    def show_plan(
        self,
        history: pd.DataFrame,
        forecast: Forecast | None,
        proposal: CapacityPlan | None,
        per_unit: float,
        now: pd.Timestamp,
        title: str = "",
        unit: str | None = None,
    ) -> None:
        """Draw one target's state; ``history`` has ``demand`` and ``capacity`` columns."""
        if unit is not None and unit != self.value_axis.unit:
            self.value_axis.unit = unit  # targets differ: requests/s, instance-%, ...
            self.value_axis.picture = None  # ticks are cached: redraw them
            self.value_axis.update()
        raised = forecast is not None and (
            HOURLY_RAISE in forecast.details or ADAPTIVE_FACTOR in forecast.details
        )
        plot = self.plot_widget.getPlotItem()
        plot.setTitle(
            title + (RAISED_NOTE if raised else ""), color=plot.titleLabel.opts.get("color")
        )
        shown = history[history.index >= history.index[-1] - HISTORY_SHOWN]
        x = epoch_seconds(shown.index)
        self.demand.setData(x, shown["demand"].to_numpy(float))
        if len(shown):
            step = shown.index.to_series().diff().median()
            edges = epoch_seconds(shown.index.append(pd.DatetimeIndex([shown.index[-1] + step])))
            self.current.setData(edges, shown["capacity"].to_numpy(float) * per_unit)
        self.now_line.setValue(now.timestamp())
        if forecast is not None and forecast.horizon:
            fx = epoch_seconds(forecast.timestamps)
            self.forecast.setData(fx, np.asarray(forecast.mean, float))
            for level in self.bands:
                if level in forecast.upper:
                    self.band_low[level].setData(fx, np.asarray(forecast.lower[level], float))
                    self.band_high[level].setData(fx, np.asarray(forecast.upper[level], float))
        else:
            self.forecast.setData([], [])
            for level in self.bands:
                self.band_low[level].setData([], [])
                self.band_high[level].setData([], [])
        if proposal is not None and proposal.capacity:
            stamps = proposal.timestamps
            edges = epoch_seconds(stamps.append(pd.DatetimeIndex([stamps[-1] + proposal.interval])))
            self.planned.setData(edges, np.asarray(proposal.capacity, float) * per_unit)
        else:
            self.planned.setData([], [])
        self._frame(x, forecast, proposal)
        self._fit_y(shown, forecast, proposal, per_unit)

    def _frame(
        self, x: np.ndarray, forecast: Forecast | None, proposal: CapacityPlan | None
    ) -> None:
        # An explicit x range: fill items report bounds from the origin before their
        # curves have data, which would otherwise zoom out to 1970.
        ends = [x[-1]] if len(x) else []
        if forecast is not None and forecast.horizon:
            ends.append(epoch_seconds(forecast.timestamps)[-1])
        if proposal is not None and proposal.capacity:
            ends.append((proposal.timestamps[-1] + proposal.interval).timestamp())
        if len(x) and ends:
            plot = self.plot_widget.getPlotItem()
            plot.setXRange(float(x[0]), float(max(ends)), padding=0.01)

    def _fit_y(
        self,
        shown: pd.DataFrame,
        forecast: Forecast | None,
        proposal: CapacityPlan | None,
        per_unit: float,
    ) -> None:
        # Room above the highest line for the legend; zero at the bottom so sizes compare.
        tops = [float(shown["demand"].max()), float(shown["capacity"].max()) * per_unit]
        if forecast is not None and forecast.horizon and 95 in forecast.upper:
            tops.append(float(np.max(forecast.upper[95])))
        if proposal is not None and proposal.capacity:
            tops.append(max(proposal.capacity) * per_unit)
        top = max(t for t in tops if np.isfinite(t))
        self.plot_widget.getPlotItem().setYRange(0, top * 1.25, padding=0)

    def has_band(self) -> bool:
        x, _ = self.band_high[95].getData()
        return x is not None and len(x) > 0

    def has_plan_line(self) -> bool:
        x, _ = self.planned.getData()
        return x is not None and len(x) > 0 and self.planned.opts["stepMode"] == "center"
