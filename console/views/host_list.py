"""The host list: which machines the console shows. Only this machine for now;
the model already carries source and state so remote hosts slot in later."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QListView, QVBoxLayout, QWidget

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class HostEntry:
    name: str
    source: str = "local"
    state: str = "live"  # "live", "stale", "unreachable"...


class HostListModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hosts: list[HostEntry] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._hosts)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        host = self._hosts[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return host.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{host.name} — source: {host.source}, {host.state}"
        if role == Qt.ItemDataRole.UserRole:
            return host
        return None

    def upsert(self, entry: HostEntry) -> int:
        """Add or update a host; returns its row."""
        for row, existing in enumerate(self._hosts):
            if existing.name == entry.name and existing.source == entry.source:
                if existing != entry:
                    self._hosts[row] = entry
                    self.dataChanged.emit(self.index(row), self.index(row))
                return row
        row = len(self._hosts)
        self.beginInsertRows(QModelIndex(), row, row)
        self._hosts.append(entry)
        self.endInsertRows()
        return row

    def hosts(self) -> list[HostEntry]:
        return list(self._hosts)


class HostListView(QWidget):
    host_selected = Signal(str)

    def __init__(self, model: HostListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.list = QListView()
        self.list.setModel(model)
        self.list.setUniformItemSizes(True)
        self.list.selectionModel().currentChanged.connect(self._on_current_changed)
        model.rowsInserted.connect(self._select_first_if_none)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.addWidget(self.list)

    def current_host(self) -> str | None:
        index = self.list.currentIndex()
        return index.data() if index.isValid() else None

    def _select_first_if_none(self) -> None:
        if not self.list.currentIndex().isValid() and self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(0))

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.host_selected.emit(current.data())
