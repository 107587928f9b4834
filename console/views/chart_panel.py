"""The grid of live charts. Which metrics go on which chart is in
:mod:`console.views.chart_specs` (re-exported here)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from PySide6.QtWidgets import QGridLayout, QWidget

from console.live.buffers import LiveBuffers
from console.theme import Theme
from console.views.chart import MetricChart
from console.views.chart_specs import DEFAULT_CHARTS, PERCENT, ChartSpec, SeriesRule
from models.catalogue import split_name

__all__ = ["DEFAULT_CHARTS", "PERCENT", "ChartPanel", "ChartSpec", "SeriesRule"]


SeriesSource = Callable[[str], tuple[np.ndarray, np.ndarray] | None]


class ChartPanel(QWidget):
    def __init__(
        self,
        specs: Iterable[ChartSpec] = DEFAULT_CHARTS,
        columns: int = 2,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.specs = {spec.key: spec for spec in specs}
        self.charts: dict[str, MetricChart] = {}
        self.per_core = False
        self._per_core_keys: dict[str, set[str]] = {}
        layout = QGridLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(6)
        for index, spec in enumerate(self.specs.values()):
            chart = MetricChart(spec.title, spec.unit, spec.y_range)
            self.charts[spec.key] = chart
            layout.addWidget(chart, index // columns, index % columns)
            self._per_core_keys[spec.key] = set()
        rows = (len(self.specs) + columns - 1) // columns
        for row in range(rows):
            layout.setRowStretch(row, 1)

    def metrics_for(self, key: str, available: Iterable[str]) -> list[tuple[str, str, SeriesRule]]:
        """(metric, label, rule) for the metrics of ``available`` that chart ``key`` shows."""
        spec = self.specs[key]
        found = []
        for metric in sorted(available, key=_natural_key):
            match = spec.label_for(metric)
            if match is not None:
                found.append((metric, match[1], match[0]))
        # Legend order follows the spec (1 min, 5 min, 15 min), then the instance order.
        found.sort(key=lambda item: spec.series.index(item[2]))
        return found

    def show_live(self, buffers: LiveBuffers, host: str, start: float, end: float) -> None:
        """Draw the in-memory points of ``host`` between ``start`` and ``end``, all charts."""
        for key in self.charts:
            self.show_live_chart(key, buffers, host, start, end)

    def show_live_chart(
        self, key: str, buffers: LiveBuffers, host: str, start: float, end: float
    ) -> None:
        """Update one chart's curves and time range from the buffers.

        The charts' time axes are deliberately not linked: a linked axis makes every
        chart repaint whenever one moves, and the live view sets all ranges anyway.
        """
        chart = self.charts[key]
        for metric, label, rule in self.metrics_for(key, buffers.metrics(host)):
            self._ensure(chart, key, metric, label, rule)
            buffer = buffers.get(host, metric)
            if buffer is None:
                continue
            times, values = buffer.since(start)
            chart.set_data(metric, times, values)
            chart.clear_envelope(metric)
        chart.set_time_range(start, end)
        chart.show_latest()

    def set_time_range(self, start: float, end: float) -> None:
        for chart in self.charts.values():
            chart.set_time_range(start, end)

    def show_history(self, series: dict[str, object], start: float, end: float) -> None:
        """Draw store query results (mean line, min/max envelope when downsampled)."""
        for key, chart in self.charts.items():
            for metric, label, rule in self.metrics_for(key, series):
                self._ensure(chart, key, metric, label, rule)
                result = series[metric]
                times = np.asarray(result.timestamps, dtype=float)
                chart.set_data(metric, times, np.asarray(result.mean, dtype=float))
                if getattr(result, "downsampled", False):
                    chart.set_envelope(metric, times, result.minimum, result.maximum)
                else:
                    chart.clear_envelope(metric)
            chart.show_latest()
        self.set_time_range(start, end)

    def wanted_metrics(self, available: Iterable[str]) -> list[str]:
        """Every metric of ``available`` that some chart shows (for store queries)."""
        available = list(available)
        return sorted({m for key in self.specs for m, _, _ in self.metrics_for(key, available)})

    def set_per_core(self, enabled: bool) -> None:
        self.per_core = enabled
        for key, chart in self.charts.items():
            for metric in self._per_core_keys[key]:
                chart.set_series_visible(metric, enabled)

    def apply_theme(self, theme: Theme) -> None:
        for chart in self.charts.values():
            chart.apply_theme(theme)

    def point_counts(self) -> dict[str, int]:
        return {key: chart.point_count() for key, chart in self.charts.items()}

    def _ensure(
        self, chart: MetricChart, key: str, metric: str, label: str, rule: SeriesRule
    ) -> None:
        if metric in chart.series_keys():
            return
        chart.ensure_series(metric, label)
        if rule.per_core:
            self._per_core_keys[key].add(metric)
            chart.set_series_visible(metric, self.per_core)


def _natural_key(metric: str) -> tuple[str, int, str]:
    # "cpu.core.percent:10" after ":9", not between ":1" and ":2"
    family, instance = split_name(metric)
    if instance is not None and instance.isdigit():
        return family, int(instance), ""
    return family, -1, instance or ""
