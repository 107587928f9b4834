"""The fleet table's Qt model over :class:`FleetState`, repainted in batches from a timer.

No work happens per sample on the GUI thread: workers fold samples into the
columnar state, and a timer (at most ``MAX_REFRESH_HZ``) inserts new rows and
emits one ``dataChanged`` per contiguous run of changed rows. Sorting, filtering
and grouping are done here with numpy (the model presents rows in display
order) rather than by a QSortFilterProxyModel, whose resort of 1,000 rows costs
~20,000 Python ``data()`` calls — 0.6 s of frozen GUI per refresh.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from console.fleet.fleet_state import FleetState

Index = QModelIndex | QPersistentModelIndex

COLUMNS = (
    "Host",
    "Group",
    "Source",
    "Status",
    "CPU %",
    "Mem %",
    "Net rx",
    "Net tx",
    "CPU (10 min)",
    "Anomaly",
    "Peak 1 h",
)
(HOST, GROUP, SOURCE, STATUS, CPU, MEM, RX, TX, SPARK, ANOMALY, PEAK) = range(len(COLUMNS))
VALUE_COLUMN = {CPU: 0, MEM: 1, RX: 2, TX: 3}
GROUP_BY = ("none", "source", "tag")
SPARK_ROLE = Qt.ItemDataRole.UserRole + 3
HOST_ROLE = Qt.ItemDataRole.UserRole + 4
SPARK_KEY_ROLE = Qt.ItemDataRole.UserRole + 5
MAX_REFRESH_HZ = 4.0
BAD = QColor("#d9534f")
WARN = QColor("#e0a030")


def human_rate(value: float) -> str:
    if not math.isfinite(value):
        return ""
    for unit in ("B/s", "kB/s", "MB/s", "GB/s"):
        if abs(value) < 1000 or unit == "GB/s":
            return f"{value:,.0f} {unit}" if unit == "B/s" else f"{value:,.1f} {unit}"
        value /= 1000
    return ""  # not reached


_ANSWERED_ROLES = frozenset(
    int(role)
    for role in (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.TextAlignmentRole,
        SPARK_ROLE,
        SPARK_KEY_ROLE,
        HOST_ROLE,
    )
)


class FleetModel(QAbstractTableModel):
    refreshed = Signal(int)  # rows repainted in this batch

    def __init__(
        self, state: FleetState, refresh_hz: float = 2.0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.group_by = "none"
        self.sort_column = -1
        self.sort_order = Qt.SortOrder.AscendingOrder
        self.filter_text = ""
        self.batches = 0  # refresh passes that changed something, for tests and benchmarks
        self._known = 0  # state rows taken into account so far
        self._order = np.empty(0, dtype=np.int64)
        self._order_list: list[int] = []  # the same as a list: cheaper to index from data()
        self.timer = QTimer(self)
        self.timer.setInterval(int(1000 / min(refresh_hz, MAX_REFRESH_HZ)))
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    @property
    def order(self) -> np.ndarray:
        """Display row -> state row."""
        return self._order

    @order.setter
    def order(self, value: np.ndarray) -> None:
        self._order = value
        self._order_list = value.tolist()

    # -- batching -----------------------------------------------------------------------

    def refresh(self) -> int:
        """Show what the workers folded in since last time; returns rows repainted."""
        changes = self.state.take_changes()
        if changes.new_rows:
            first = self._known
            self._known += changes.new_rows
            added = np.arange(first, self._known, dtype=np.int64)
            added = added[self._accepts(added)]
            if added.size:
                start = len(self.order)
                self.beginInsertRows(QModelIndex(), start, start + added.size - 1)
                self.order = np.concatenate((self.order, added))
                self.endInsertRows()
        dirty = changes.dirty[changes.dirty < self._known]
        # Countdowns ("retrying in 4 s") move without new data.
        soon = time.monotonic() - 1.5
        waiting = [r for r in range(self._known) if self.state.status_of(r).retry_at > soon]
        if waiting:
            dirty = np.union1d(dirty, np.asarray(waiting, dtype=np.int64))
        if self.filter_text and dirty.size and self._membership_changed():
            self._reset()
            return self._finish(dirty.size)
        # Names never change: resort on them only when rows arrived; values and statuses move.
        keys_moved = self.sort_column not in (HOST, GROUP, SOURCE) or changes.new_rows
        if self.sort_column >= 0 and dirty.size and keys_moved:
            self._resort()
        if dirty.size:
            self._emit_changed(dirty)
        return self._finish(int(dirty.size))

    def _finish(self, count: int) -> int:
        if count:
            self.batches += 1
            self.refreshed.emit(count)
        return count

    def _emit_changed(self, state_rows: np.ndarray) -> None:
        position = np.full(self._known, -1, dtype=np.int64)
        position[self.order] = np.arange(len(self.order))
        rows = np.unique(position[state_rows])
        rows = rows[rows >= 0]
        if not rows.size:
            return
        last = len(COLUMNS) - 1
        # One signal per contiguous run of display rows, not one per cell.
        breaks = np.flatnonzero(np.diff(rows) > 1)
        starts = np.concatenate(([rows[0]], rows[breaks + 1]))
        ends = np.concatenate((rows[breaks], [rows[-1]]))
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            self.dataChanged.emit(self.index(start, 0), self.index(end, last))

    # -- sorting, filtering, grouping ---------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sort_column = column
        self.sort_order = order
        self._resort()

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip().lower()
        self._reset()

    def set_group_by(self, mode: str) -> None:
        if mode not in GROUP_BY:
            raise ValueError(f"group by one of {GROUP_BY}, got {mode!r}")
        self.group_by = mode
        self._resort()
        if len(self.order):
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.order) - 1, GROUP))

    def _haystack(self, row: int) -> str:
        state = self.state
        status = state.status_of(row).state
        parts = (state.hosts[row], state.sources[row], state.connections[row], status)
        return " ".join(parts + state.tags[row]).lower()

    def _accepts(self, rows: np.ndarray) -> np.ndarray:
        if not self.filter_text:
            return np.ones(len(rows), dtype=bool)
        needle = self.filter_text
        return np.fromiter((needle in self._haystack(int(r)) for r in rows), bool, len(rows))

    def _membership_changed(self) -> bool:
        return len(self.order) != int(self._accepts(np.arange(self._known)).sum())

    def _reset(self) -> None:
        self.beginResetModel()
        rows = np.arange(self._known, dtype=np.int64)
        self.order = rows[self._accepts(rows)]
        self._sorted_order()
        self.endResetModel()

    def _resort(self) -> None:
        old = self.order
        self._sorted_order()
        if np.array_equal(old, self.order):
            return
        self.layoutAboutToBeChanged.emit()
        position = np.full(self._known, -1, dtype=np.int64)
        position[self.order] = np.arange(len(self.order))
        persistent = self.persistentIndexList()
        moved = []
        for index in persistent:
            new_row = int(position[old[index.row()]]) if index.row() < len(old) else -1
            moved.append(self.index(new_row, index.column()) if new_row >= 0 else QModelIndex())
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _sorted_order(self) -> None:
        rows = self.order
        if not len(rows):
            return
        keys: list[np.ndarray] = []
        if self.sort_column >= 0:
            key = self._key(self.sort_column, rows)
            keys.append(-key if self.sort_order == Qt.SortOrder.DescendingOrder else key)
        if self.group_by != "none":
            keys.append(self._rank([self.group_of(int(r)) for r in rows]))
        if not keys:
            self.order = np.sort(rows)
            return
        self.order = rows[np.lexsort(keys)]  # the last key is the primary one: the group

    def _key(self, column: int, rows: np.ndarray) -> np.ndarray:
        state = self.state
        if column in VALUE_COLUMN:
            values = state.latest[rows, VALUE_COLUMN[column]]
        elif column == PEAK:
            values = state.forecast_peak[rows]
        elif column == ANOMALY:
            values = state.anomaly[rows].astype(np.float64)
        elif column == SPARK:
            values = state.latest[rows, 0]
        else:
            return self._rank([(self._display(int(r), column) or "").lower() for r in rows])
        return np.where(np.isfinite(values), values, -1.0)

    @staticmethod
    def _rank(texts: list[str]) -> np.ndarray:
        _, inverse = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
        return inverse.astype(np.float64)

    def host_at(self, row: int) -> str:
        return self.state.hosts[int(self.order[row])]

    def visible_hosts(self) -> list[str]:
        return [self.state.hosts[int(r)] for r in self.order]

    # -- Qt model API -------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def group_of(self, row: int) -> str:
        """``row`` is a state row."""
        if self.group_by == "source":
            return self.state.sources[row]
        if self.group_by == "tag":
            tags = self.state.tags[row]
            return tags[0] if tags else "(untagged)"
        return ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        # Painting asks ~8 roles per cell; most get None, so answer those first.
        if role not in _ANSWERED_ROLES or not index.isValid():
            return None
        position = index.row()
        if position >= len(self._order_list):
            return None
        row, column = self._order_list[position], index.column()
        state = self.state
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SPARK_ROLE and column == SPARK:
            return state.sparkline(row)
        if role == SPARK_KEY_ROLE and column == SPARK:
            return (row, int(state.head[row]))  # changes only when a new slot is written
        if role == HOST_ROLE:
            return state.hosts[row]
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == STATUS and state.status_of(row).state not in ("connected", "connecting"):
                return BAD
            if column == ANOMALY and state.anomaly[row]:
                return WARN
        if role == Qt.ItemDataRole.ToolTipRole and column in (HOST, STATUS):
            status = state.status_of(row)
            return (
                f"{state.hosts[row]} via {state.connections[row]}: {status.message or status.state}"
            )
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (CPU, MEM, RX, TX, PEAK):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, row: int, column: int) -> str | None:
        """``row`` is a state row."""
        state = self.state
        if column == HOST:
            return state.hosts[row]
        if column == GROUP:
            return self.group_of(row) or state.connections[row]
        if column == SOURCE:
            return state.sources[row]
        if column == STATUS:
            return state.status_of(row).text()
        if column in (CPU, MEM):
            value = state.latest[row, VALUE_COLUMN[column]]
            return f"{value:.1f}" if math.isfinite(value) else ""
        if column in (RX, TX):
            return human_rate(float(state.latest[row, VALUE_COLUMN[column]]))
        if column == ANOMALY:
            return "⚠ anomaly" if state.anomaly[row] else ""
        if column == PEAK:
            value = state.forecast_peak[row]
            return f"{value:.0f} %" if math.isfinite(value) else ""
        return None
