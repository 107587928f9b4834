"""Plans as a table: one row per plan, newest first, coloured by state."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from models.planning import Plan, PlanState

# Short headings, explained in their tooltips: the list shares a 1280-px window with the chart.
COLUMNS = ("Target", "State", "Starts", "Steps", "Δ cost", "Conf.")
COLUMN_TIPS = (
    "The scalable target the plan is for",
    "Where the plan is in its lifecycle (hover a row for when it was proposed and the last "
    "decision)",
    "When the first step is due (an undecided plan expires then)",
    "Scaling actions in the plan",
    "Cost over the plan's horizon against keeping today's capacity",
    "The forecast's confidence, 0 to 1 (band width and backtest accuracy)",
)
STATE_COLOURS = {
    PlanState.PROPOSED: "#e8a33d",
    PlanState.APPROVED: "#4e9be6",
    PlanState.AUTO_APPROVED: "#4e9be6",
    PlanState.EXECUTING: "#b38cf2",
    PlanState.DONE: "#2fbf71",
    PlanState.FAILED: "#e5534b",
    PlanState.REJECTED: "#8b949e",
    PlanState.EXPIRED: "#8b949e",
    PlanState.SUPERSEDED: "#8b949e",
}
AnyIndex = QModelIndex | QPersistentModelIndex


def state_label(state: PlanState) -> str:
    return state.value.replace("_", "-")


class PlanListModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.plans: list[Plan] = []

    def set_plans(self, plans: list[Plan]) -> None:
        self.beginResetModel()
        self.plans = sorted(plans, key=lambda p: p.proposal.created_at, reverse=True)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.plans)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMN_TIPS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        plan = self.plans[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(plan, index.column())
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1:
            return QColor(STATE_COLOURS[plan.state])
        if role == Qt.ItemDataRole.ToolTipRole:
            proposed = f"Proposed {plan.proposal.created_at:%a %d %b %H:%M}"
            if not plan.history:
                return proposed
            last = plan.history[-1]
            return f"{proposed}\n{state_label(last.after)} by {last.actor}: {last.reason or '-'}"
        return None

    def _text(self, plan: Plan, column: int) -> str:
        proposal = plan.proposal
        first = proposal.first_step_at
        change = proposal.cost.change_vs_current
        return (
            plan.target,
            state_label(plan.state),
            "-" if first is None else f"{first:%a %H:%M}",
            str(len(proposal.steps)),
            f"{'+' if change >= 0 else '-'}${abs(change):,.2f}",
            f"{proposal.confidence.value:.2f}",
        )[column]


class PlanListView(QTableView):
    def __init__(self, model: PlanListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setAlternatingRowColors(True)

    def selected_plans(self) -> list[Plan]:
        model: PlanListModel = self.model()  # type: ignore[assignment]
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        return [model.plans[row] for row in rows]
