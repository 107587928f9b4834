"""Switching theme recolours everything on a chart, legend labels included."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

from console.theme import DARK, LIGHT
from console.views.chart import MetricChart


def test_theme_switch_recolours_existing_legend_labels(qtbot) -> None:
    chart = MetricChart("CPU", "%", (0, 100))
    qtbot.addWidget(chart)
    chart.apply_theme(DARK)
    chart.ensure_series("total", "Total")
    chart.set_data("total", np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    chart.apply_theme(LIGHT)
    labels = [label for _, label in chart.legend.items]
    assert labels, "the legend lists the series"
    light = QColor(LIGHT.chart_foreground).name()[1:]  # "rrggbb"
    dark = QColor(DARK.chart_foreground).name()[1:]
    for label in labels:
        html = label.item.toHtml().lower()
        assert light in html and dark not in html
