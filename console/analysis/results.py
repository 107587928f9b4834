"""Result tables of the Analysis workspace: seasonality, model scoreboard, exhaustion.

Small read-only tables (a handful of rows), so ``QTableWidget`` is enough; each
``show_*`` replaces the content wholesale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from console.analysis.jobs import BacktestOutcome, ForecastOutcome, describe_period

SCOREBOARD_COLUMNS = (
    ("mase", "MASE", "{:.3f}"),
    ("smape", "sMAPE %", "{:.1f}"),
    ("wape", "WAPE %", "{:.1f}"),
    ("rmse", "RMSE", "{:,.4g}"),
    ("coverage_80", "Cover 80", "{:.0%}"),
    ("coverage_95", "Cover 95", "{:.0%}"),
    ("directional", "Direction", "{:.0%}"),
    ("origins", "Origins", "{:,.0f}"),
    ("refits", "Refits", "{:,.0f}"),
)


class ResultTable(QTableWidget):
    def __init__(self, headers: Sequence[str]) -> None:
        super().__init__(0, len(headers))
        self.setHorizontalHeaderLabels(list(headers))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(22)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)

    def set_rows(self, rows: Sequence[Sequence[str]], numeric: Sequence[int] | None = None) -> None:
        """Replace the content; ``numeric`` columns (default: all but the first) align right."""
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if (c in numeric) if numeric is not None else c >= 1:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.setItem(r, c, item)

    def cell_text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text() if item is not None else ""


class ScoreboardTable(ResultTable):
    def __init__(self) -> None:
        super().__init__(["Model", *(label for _, label, _ in SCOREBOARD_COLUMNS), "Chosen"])

    def show_backtest(self, outcome: BacktestOutcome) -> None:
        self._show(outcome.scoreboard)

    def show_forecast_scores(self, outcome: ForecastOutcome) -> None:
        """Before any backtest: the fit-time MASE of each auto candidate."""
        if not outcome.scores:
            self.setRowCount(0)
            return
        frame = pd.DataFrame({"mase": outcome.scores}).sort_values("mase")
        frame.index.name = "model"
        chosen = outcome.forecast.model.removeprefix("auto:")
        frame["chosen"] = ["✓ forecasts" if name == chosen else "" for name in frame.index]
        self._show(frame)

    def _show(self, frame: pd.DataFrame) -> None:
        rows = []
        for model, row in frame.iterrows():
            cells = [str(model)]
            for key, _, fmt in SCOREBOARD_COLUMNS:
                value = row.get(key, float("nan"))
                cells.append(_format(value, fmt))
            cells.append(str(row.get("chosen", "") or ""))
            rows.append(cells)
        self.set_rows(rows, numeric=range(1, len(SCOREBOARD_COLUMNS) + 1))


class SeasonalityTable(ResultTable):
    def __init__(self) -> None:
        super().__init__(["Period", "Steps", "Autocorrelation", "Confirmed", "Used by model"])

    def show_forecast(self, outcome: ForecastOutcome) -> None:
        seasonality = outcome.seasonality
        rows = []
        for period, score in sorted(seasonality.scores.items()):
            rows.append(
                [
                    describe_period(period, outcome.step_seconds),
                    f"{period:,}",
                    f"{score:.2f}",
                    "yes" if period in seasonality.periods else "no",
                    "yes" if period == outcome.season else "",
                ]
            )
        if not rows:
            rows.append(["none tested (series shorter than two days)", "", "", "", ""])
        self.set_rows(rows, numeric=(1, 2))


class ExhaustionTable(ResultTable):
    def __init__(self) -> None:
        super().__init__(
            ["Threshold", "Mean forecast crosses", "Likely (≥10 %) by", "P(crossed by horizon)"]
        )

    def show_forecast(self, outcome: ForecastOutcome) -> None:
        if outcome.capacity is None:
            self.set_rows([["not a bounded series: set a capacity to see exhaustion", "", "", ""]])
            return
        rows = []
        for exhaustion in outcome.exhaustion:
            rows.append(
                [
                    f"{exhaustion.threshold:,.4g}",
                    _when(exhaustion.first_time_mean_crosses),
                    _when(exhaustion.earliest_likely_time),
                    f"{exhaustion.probability_by_horizon_end:.0%}",
                ]
            )
        self.set_rows(rows)


def _when(stamp: pd.Timestamp | None) -> str:
    return "not within the horizon" if stamp is None else stamp.strftime("%Y-%m-%d %H:%M UTC")


def _format(value: object, fmt: str) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return "–" if not math.isfinite(number) else fmt.format(number)
