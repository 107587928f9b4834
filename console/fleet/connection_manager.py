"""The Connections panel: every connection with its live status; add, edit, test, remove, import.

Changes are saved at once (``connections.json``, no secrets) and handed to the
poller. The status column reads the poller's per-connection status, so what
the fleet table shows and what this list shows never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThreadPool, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from connectors.errors import SourceError
from console.fleet.connection_dialog import ConnectionDialog
from console.fleet.connections import (
    Connection,
    ConnectionBook,
    ConnectionError_,
    import_ssh_config,
    save_book,
)
from console.fleet.fleet_state import ConnectionStatus, FleetState
from console.fleet.secrets import forget_secret

HEADERS = ("Name", "Kind", "Address", "Group", "Tags", "Status")


class ConnectionManager(QWidget):
    changed = Signal(list)  # the connections, after every edit

    def __init__(
        self,
        book: ConnectionBook,
        state: FleetState,
        open_collector: Callable[[Connection], Any],
        pool: QThreadPool,
        path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.book = book
        self.state = state
        self.open_collector = open_collector
        self.pool = pool
        self.path = path
        self.dialog: ConnectionDialog | None = None
        self.test_status: dict[str, str] = {}
        self.model = QStandardItemModel(0, len(HEADERS), self)
        self.model.setHorizontalHeaderLabels(list(HEADERS))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _: self.edit_selected())

        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for label, slot in (
            ("Add…", self.add),
            ("Edit…", self.edit_selected),
            ("Test", self.test_selected),
            ("Remove", self.remove_selected),
            ("Import ~/.ssh/config", self.import_ssh),
        ):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, s=slot: s())
            buttons.addWidget(button)
            self.buttons[label] = button
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.timer = QTimer(self)  # countdowns ("retrying in 4 s") tick without new events
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.refresh_status)
        self.timer.start()
        self.reload()

    # -- listing ------------------------------------------------------------------------

    def reload(self) -> None:
        self.model.setRowCount(0)
        for connection in self.book.connections:
            cells = (
                connection.name,
                connection.kind,
                connection.address + (f" ({connection.user})" if connection.user else ""),
                connection.group,
                ", ".join(connection.tags),
                "",
            )
            self.model.appendRow([QStandardItem(text) for text in cells])
        self.refresh_status()

    def status_text(self, name: str) -> str:
        status = self.state.status.get(name)
        if status is None:
            return self.test_status.get(name, "not polled yet")
        return status.text()

    def refresh_status(self) -> None:
        for row in range(self.model.rowCount()):
            name = self.model.item(row, 0).text()
            item = self.model.item(row, len(HEADERS) - 1)
            text = self.status_text(name)
            if item.text() != text:
                item.setText(text)

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.item(rows[0].row(), 0).text() if rows else None

    def select(self, name: str) -> None:
        for row in range(self.model.rowCount()):
            if self.model.item(row, 0).text() == name:
                self.table.selectRow(row)

    # -- actions ------------------------------------------------------------------------

    def add(self) -> ConnectionDialog:
        return self._open_dialog(None)

    def edit_selected(self) -> ConnectionDialog | None:
        name = self.selected_name()
        connection = self.book.get(name) if name else None
        return self._open_dialog(connection) if connection else None

    def test_selected(self) -> ConnectionDialog | None:
        """Open the selected connection's dialog and press its Test button."""
        dialog = self.edit_selected()
        if dialog is not None:
            dialog.run_test()
        return dialog

    def remove_selected(self) -> bool:
        name = self.selected_name()
        connection = self.book.get(name) if name else None
        if connection is None:
            return False
        forget_secret(connection)
        self.book.remove(connection.name)
        self._commit()
        return True

    def import_ssh(self, path: Path | None = None) -> list[str]:
        try:
            found = import_ssh_config(path)
        except SourceError as error:
            QMessageBox.warning(self, "Import ~/.ssh/config", str(error))
            return []
        added = [c.name for c in found if self.book.get(c.name) is None]
        for connection in found:
            if connection.name in added:
                self.book.put(connection)
        if added:
            self._commit()
        return added

    def put(self, connection: Connection, replacing: str | None = None) -> None:
        self.book.put(connection, replacing)
        self._commit()

    # -- internals ----------------------------------------------------------------------

    def _open_dialog(self, connection: Connection | None) -> ConnectionDialog:
        dialog = ConnectionDialog(self.open_collector, self.pool, connection, self)
        dialog.tested.connect(lambda status, _m, d=dialog: self._tested(d, status))
        dialog.accepted.connect(lambda d=dialog, old=connection: self._saved(d, old))
        self.dialog = dialog
        dialog.open()  # window-modal, non-blocking: the fleet keeps updating behind it
        return dialog

    def _tested(self, dialog: ConnectionDialog, status: str) -> None:
        name = dialog.name_edit.text().strip()
        self.test_status[name] = status
        if name not in self.state.status:
            self.refresh_status()

    def _saved(self, dialog: ConnectionDialog, old: Connection | None) -> None:
        connection = dialog.result_connection
        if connection is None:
            return
        try:
            self.put(connection, old.name if old else None)
        except ConnectionError_ as error:
            QMessageBox.warning(self, "Connection", str(error))
            return
        if old is not None and old.name != connection.name:
            self.state.set_status(old.name, ConnectionStatus("removed"))

    def _commit(self) -> None:
        save_book(self.book, self.path)
        self.reload()
        self.changed.emit(list(self.book.connections))
