"""The fleet table's Qt model over :class:`FleetState`, repainted in batches from a timer.

No work happens per sample on the GUI thread: workers fold samples into the
columnar state, and a timer (at most ``MAX_REFRESH_HZ``) inserts new rows and
emits one ``dataChanged`` per contiguous run of changed rows (a single span when
the runs are many). Sorting, filtering and grouping are done here with numpy (the
model presents rows in display order) rather than by a QSortFilterProxyModel,
whose resort of 1,000 rows costs ~20,000 Python ``data()`` calls.

Painting is what the GUI thread pays for: calls from C++ into Python (each takes
the GIL back from the poller threads) and text layout. So a row's strings, colours
and tooltips are formatted once per change (``_cells``), only for the rows the
view asks for; the fleet's delegates read them in one call per cell (``cell_at``,
see :mod:`console.fleet.cell_delegate`), ``multiData`` answers every role at once
for any other delegate, and ``index`` is answered without Qt's ``rowCount`` /
``columnCount`` round trips.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
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
RESORT_INTERVAL_S = 2.0  # a table sorted by a live value re-orders at most this often
MAX_RUNS = 16  # beyond this many changed runs, one span is cheaper than many signals
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


DISPLAY = int(Qt.ItemDataRole.DisplayRole)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
Cells = list[dict[int, object]]  # per column: role -> value


class FleetModel(QAbstractTableModel):
    refreshed = Signal(int)  # rows repainted in this batch

    def __init__(
        self,
        state: FleetState,
        refresh_hz: float = 2.0,
        parent: QObject | None = None,
        resort_interval_s: float = RESORT_INTERVAL_S,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.resort_interval_s = resort_interval_s
        self._sorted_at = 0.0
        self.group_by = "none"
        self.sort_column = -1
        self.sort_order = Qt.SortOrder.AscendingOrder
        self.filter_text = ""
        self.batches = 0  # refresh passes that changed something, for tests and benchmarks
        self._known = 0  # state rows taken into account so far
        self._order = np.empty(0, dtype=np.int64)
        self._order_list: list[int] = []  # the same as a list: cheaper to index from data()
        self._cells: dict[int, Cells] = {}  # state row -> formatted cells, until it changes
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
        waiting = [
            row
            for name, status in list(self.state.status.items())
            if status.retry_at > soon
            for row in self.state.rows_of(name)
            if row < self._known
        ]
        labels = changes.labels[changes.labels < self._known]
        if waiting:
            moving = np.asarray(waiting, dtype=np.int64)
            dirty = np.union1d(dirty, moving)
            labels = np.union1d(labels, moving)
        self._forget(dirty)
        if self.filter_text and dirty.size and self._membership_changed():
            self._reset()
            return self._finish(dirty.size)
        # Names never change: resort on them only when rows arrived; values and statuses
        # move, but re-ordering the whole table twice a second helps nobody read it.
        now = time.monotonic()
        keys_moved = changes.new_rows or (
            self.sort_column not in (HOST, GROUP, SOURCE)
            and now - self._sorted_at >= self.resort_interval_s
        )
        if self.sort_column >= 0 and dirty.size and keys_moved:
            self._sorted_at = now
            self._resort()
        if dirty.size:
            # Rows whose status or tags did not change only need their number columns
            # repainted: the view then redraws a narrower strip of the screen.
            self._emit_changed(np.setdiff1d(dirty, labels, assume_unique=True), CPU)
            self._emit_changed(labels, 0)
        return self._finish(int(dirty.size))

    def _finish(self, count: int) -> int:
        if count:
            self.batches += 1
            self.refreshed.emit(count)
        return count

    def _forget(self, state_rows: np.ndarray) -> None:
        """Drop the formatted cells of rows that changed (re-made when next painted)."""
        if len(state_rows) >= len(self._cells):
            self._cells.clear()  # the usual case with a busy fleet: cheaper than popping
        else:
            for row in state_rows.tolist():
                self._cells.pop(row, None)

    def _emit_changed(self, state_rows: np.ndarray, first_column: int) -> None:
        if not state_rows.size:
            return
        position = np.full(self._known, -1, dtype=np.int64)
        position[self.order] = np.arange(len(self.order))
        rows = np.unique(position[state_rows])
        rows = rows[rows >= 0]
        if not rows.size:
            return
        last = len(COLUMNS) - 1
        # One signal per contiguous run of display rows, not one per cell; when the runs
        # are many (a sorted fleet changes everywhere), one span: the view repaints only
        # what is on screen anyway, and each signal costs the GUI thread.
        breaks = np.flatnonzero(np.diff(rows) > 1)
        if breaks.size >= MAX_RUNS:
            breaks = breaks[:0]
        starts = np.concatenate(([rows[0]], rows[breaks + 1]))
        ends = np.concatenate((rows[breaks], [rows[-1]]))
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            self.dataChanged.emit(
                self.createIndex(start, first_column), self.createIndex(end, last)
            )

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
        self._cells.clear()  # the Group column shows the new grouping
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

    def index(  # Qt API; answered here so Qt does not ask rowCount and columnCount first
        self,
        row: int,
        column: int,
        parent: Index = QModelIndex(),  # noqa: B008
    ) -> QModelIndex:
        rows = len(self._order_list)
        if 0 <= row < rows and 0 <= column < len(COLUMNS) and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan) -> None:  # noqa: N802, N803 - Qt API
        """Every role the delegate asks for, in one call from C++ (painting's hot path)."""
        position = index.row()
        if position < 0 or position >= len(self._order_list):
            return
        cell = self._row_cells(self._order_list[position])[index.column()]
        for role_data in roleDataSpan:
            role_data.setData(cell.get(role_data.role()))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        position = index.row()
        if position >= len(self._order_list):
            return None
        row, column = self._order_list[position], index.column()
        if role == SPARK_ROLE and column == SPARK:
            return self.state.sparkline(row)
        if role == SPARK_KEY_ROLE and column == SPARK:
            return self.spark_key(row)
        if role == HOST_ROLE:
            return self.state.hosts[row]
        return self._row_cells(row)[column].get(int(role))

    def cell_at(self, position: int, column: int) -> dict[int, object]:
        """The formatted cell at display ``position`` (roles -> values), for the delegates."""
        return self._row_cells(self._order_list[position])[column]

    def spark_key(self, row: int) -> tuple[int, int]:
        """``row`` is a state row; the key changes only when a new slot is written."""
        return (row, int(self.state.head[row]))

    def spark_at(self, position: int) -> tuple[tuple[int, int], Callable[[], np.ndarray]]:
        """The sparkline key and a way to get its values, for the delegate to call directly
        (``index.data`` would be two more round trips through C++ per painted row)."""
        row = self._order_list[position]
        return self.spark_key(row), lambda: self.state.sparkline(row)

    def _row_cells(self, row: int) -> Cells:
        cells = self._cells.get(row)
        if cells is None:
            cells = self._cells[row] = self._format_row(row)
        return cells

    def _format_row(self, row: int) -> Cells:
        """Every cell of state row ``row``: strings, colours, alignment and tooltips."""
        state = self.state
        status = state.status_of(row)
        cells: Cells = [{DISPLAY: self._display(row, column)} for column in range(len(COLUMNS))]
        for column in (CPU, MEM, RX, TX, PEAK):
            cells[column][ALIGNMENT] = RIGHT
        where = f"{state.hosts[row]} via {state.connections[row]}: {status.message or status.state}"
        cells[HOST][TOOLTIP] = cells[STATUS][TOOLTIP] = where
        if status.state not in ("connected", "connecting"):
            cells[STATUS][FOREGROUND] = BAD
        if state.anomaly[row]:
            cells[ANOMALY][FOREGROUND] = WARN
        if state.anomaly_note[row]:
            cells[ANOMALY][TOOLTIP] = state.anomaly_note[row]
        if state.peak_note[row]:
            cells[PEAK][TOOLTIP] = state.peak_note[row]
        for cell in cells:
            if cell[DISPLAY] is None:
                del cell[DISPLAY]
        return cells

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
