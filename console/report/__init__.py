"""Offline analysis reports (``headroom analyze``): pure Python, no Qt, so they run headless.

Public API::

    analyze_series(name, series, horizon, candidates=FAST_CANDIDATES) -> SeriesAnalysis
        # horizon: pd.Timedelta or a number of steps; model failures become .problems
    exhaustion_applies(column, values) -> (bool, reason)   # the time-to-exhaustion rule
    render_report(ReportHeader(...), [SeriesAnalysis, ...]) -> str   # one HTML document
    render_chart(ChartSpec(history_times, history_values, forecast_times, forecast_mean,
                           bands=[Band(level, lower, upper)], spans=[Span(start, end, sev)],
                           value_label=..., ...), width=960, height=300) -> str   # <svg>
"""

from __future__ import annotations

from console.report.analysis import (
    ModelScore,
    SeriesAnalysis,
    analyze_series,
    exhaustion_applies,
)
from console.report.html import ReportHeader, chart_spec, render_report
from console.report.svg import Band, ChartSpec, Span, render_chart

__all__ = [
    "Band",
    "ChartSpec",
    "ModelScore",
    "ReportHeader",
    "SeriesAnalysis",
    "Span",
    "analyze_series",
    "chart_spec",
    "exhaustion_applies",
    "render_chart",
    "render_report",
]
