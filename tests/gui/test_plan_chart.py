"""The Plans chart says when the band's upper bound was lifted by the calibrations."""

from __future__ import annotations

import pandas as pd

from console.plans.plan_chart import RAISED_NOTE, PlanChart
from models.planning.adaptive import AdaptiveMargin
from tests.planning.builders import make_forecast


def title(chart: PlanChart) -> str:
    return chart.plot_widget.getPlotItem().titleLabel.text


def test_the_title_says_when_the_upper_bound_was_raised(qtbot) -> None:
    chart = PlanChart()
    qtbot.addWidget(chart)
    start = pd.Timestamp("2026-03-02 12:00", tz="UTC")
    history = pd.DataFrame(
        {"demand": [400.0, 420.0, 410.0], "capacity": [5.0, 5.0, 5.0]},
        index=pd.date_range(start - pd.Timedelta(minutes=15), periods=3, freq="5min"),
    )
    plain = make_forecast([500.0] * 6, start=start)
    chart.show_plan(history, plain, None, per_unit=100.0, now=start, title="demo")
    assert title(chart) == "demo"
    assert chart.has_band()

    margin = AdaptiveMargin(95)
    margin.record(actual=900.0, bound=500.0)
    chart.show_plan(history, margin.widen(plain, 95), None, per_unit=100.0, now=start, title="demo")
    assert title(chart) == "demo" + RAISED_NOTE

    chart.show_plan(history, plain, None, per_unit=100.0, now=start, title="demo")  # next plan
    assert title(chart) == "demo"
