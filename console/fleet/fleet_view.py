"""The Fleet tab: a filter box, a group-by combo and the hosts table (model/view, no per-row widgets)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.fleet.cell_delegate import CellDelegate
from console.fleet.fleet_model import (
    ANOMALY,
    CPU,
    GROUP,
    GROUP_BY,
    HOST,
    HOST_ROLE,
    MEM,
    RX,
    SOURCE,
    SPARK,
    STATUS,
    TX,
    FleetModel,
)
from console.fleet.sparkline_delegate import SparklineDelegate


class FleetView(QWidget):
    host_selected = Signal(str)

    def __init__(self, model: FleetModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter hosts, sources, tags, status…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(model.set_filter)
        self.group_combo = QComboBox()
        for mode in GROUP_BY:
            self.group_combo.addItem("No grouping" if mode == "none" else f"Group by {mode}", mode)
        self.group_combo.currentIndexChanged.connect(
            lambda _: model.set_group_by(self.group_combo.currentData())
        )
        self.count_label = QLabel()
        self.connections_button = QPushButton("Connections…")
        self.connections_button.setToolTip("Add or edit SSH hosts and Prometheus servers")
        self.empty_hint = QLabel(
            "No remote hosts yet. Add SSH hosts or a Prometheus server with "
            "<b>Connections…</b> (also under View). This machine is on the Live tab."
        )
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)

        self.table = QTableView()
        self.table.setModel(model)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        # Fixed row heights: the view never measures 1,000 rows to lay them out.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setDefaultSectionSize(88)
        self.table.setColumnWidth(HOST, 170)
        self.table.setColumnWidth(STATUS, 170)  # "refused · retrying in 12 s" fits
        # Room for "100.0", "806.4 MB/s" and "medium": the whole row fits a 1280-px window.
        widths = {GROUP: 80, SOURCE: 80, CPU: 64, MEM: 64, RX: 86, TX: 86, ANOMALY: 74}
        for column, width in widths.items():
            self.table.setColumnWidth(column, width)
        self.table.setColumnWidth(SPARK, 120)
        self.cells = CellDelegate(self.table)  # cached text layouts: painting is the hot path
        self.table.setItemDelegate(self.cells)
        self.delegate = SparklineDelegate(self.table)
        self.table.setItemDelegateForColumn(SPARK, self.delegate)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.doubleClicked.connect(self._emit_host)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._emit_host(current)
        )

        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.group_combo)
        bar.addWidget(self.count_label)
        bar.addWidget(self.connections_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.table, 1)
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(self._update_count)
        self._update_count()

    def set_filter(self, text: str) -> None:
        self.filter_edit.setText(text)

    def set_group_by(self, mode: str) -> None:
        self.group_combo.setCurrentIndex(GROUP_BY.index(mode))

    def visible_hosts(self) -> list[str]:
        """Hosts in display order (after filter, sort and grouping)."""
        return self.model.visible_hosts()

    def _emit_host(self, index: QModelIndex) -> None:
        if index.isValid():
            self.host_selected.emit(index.data(HOST_ROLE))

    def _update_count(self, *_: object) -> None:
        shown, total = self.model.rowCount(), self.model.state.row_count
        self.count_label.setText(
            f"{shown} of {total} hosts" if shown != total else f"{total} hosts"
        )
        self.empty_hint.setVisible(total == 0)
