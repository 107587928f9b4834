"""A plan's steps, the reasoning behind each (rule by rule) and its cost impact."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.planning import Plan


def make_table(headers: tuple[str, ...], wrap: bool = False) -> QTableWidget:
    """A read-only table; with ``wrap`` the last column's text wraps onto more lines."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    if wrap:
        table.setWordWrap(True)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def fill_table(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)  # the whole text, however narrow the column
            table.setItem(row, column, item)


def cost_text(plan: Plan) -> str:
    cost, confidence = plan.proposal.cost, plan.proposal.confidence
    late = len(plan.proposal.late)
    return (
        f"<b>{plan.target}</b> · {plan.state.value.replace('_', '-')} · "
        f"model {plan.proposal.forecast_model}<br>"
        f"Cost over {cost.horizon_hours:.1f} h: <b>${cost.plan_total:,.2f}</b>, "
        f"peak +${cost.peak_hourly_increase:,.2f}/h<br>"
        f"vs today's size ${cost.keep_current_total:,.2f}: "
        f"<b>{cost.change_vs_current:+,.2f}</b> · vs static peak of "
        f"{cost.static_peak_units} units ${cost.static_peak_total:,.2f}: "
        f"{cost.change_vs_static_peak:+,.2f}<br>"
        f"{confidence.describe().capitalize()}"
        + (f"<br><b>{late} interval(s) cannot be served in time</b>" if late else "")
        + (
            "<br><b>Scale-in held:</b> the driving metric has an open incident (see Why)"
            if plan.proposal.anomaly_hold
            else ""
        )
    )


class PlanDetail(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: Plan | None = None
        self.summary = QLabel("Select a plan to see its steps, reasoning and cost.")
        self.summary.setWordWrap(False)  # explicit lines: a wrapped label gets squeezed
        self.steps = make_table(("When", "Units", "Change $/h", "$ to horizon", "Serves"))
        # The reasoning is what an operator reads: wrapped, never elided.
        self.trace = make_table(("Rule", "Units", "Why"), wrap=True)
        self.steps.itemSelectionChanged.connect(self._show_trace)
        split = QSplitter()
        split.addWidget(self.steps)
        split.addWidget(self.trace)
        split.setSizes([380, 520])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)

    def show_plan(self, plan: Plan | None) -> None:
        self.plan = plan
        if plan is None:
            self.summary.setText("No plan selected.")
            fill_table(self.steps, [])
            fill_table(self.trace, [])
            return
        self.summary.setText(cost_text(plan))
        fill_table(
            self.steps,
            [
                (
                    f"{s.at:%a %H:%M}",
                    f"{s.from_units} → {s.to_units}",
                    f"{s.hourly_change:+.2f}",
                    f"{s.horizon_change:+.2f}",
                    f"{s.serves:%H:%M}",
                )
                for s in plan.proposal.steps
            ],
        )
        if plan.proposal.steps:
            self.steps.selectRow(0)
        else:
            fill_table(self.trace, [])

    def _show_trace(self) -> None:
        rows = {index.row() for index in self.steps.selectedIndexes()}
        if self.plan is None or not rows:
            return
        step = self.plan.proposal.steps[min(rows)]
        fill_table(
            self.trace,
            [(str(t.rule), f"{t.value:.2f}", t.note) for t in step.trace.steps],
        )
