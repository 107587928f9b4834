"""The anomaly panel: current and past incidents, newest first, with what to do about each.

The table model is shared with the Analysis workspace. No pyqtgraph here (the main
window builds this panel before the charts exist); severity colours and marker
positions live here so the chart overlays can share them. Activating a row (click or
Enter) emits :class:`AnomalySelection`, which the live workspace turns into "show
this host, this chart, this time range, highlighted".
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.theme import Theme
from models.anomaly import Incident, Pattern, Severity
from models.anomaly.actions import format_duration, subject

Index = QModelIndex | QPersistentModelIndex

# Per theme: readable on that background and ordered low -> high by how alarming they look.
SEVERITY_COLOURS: dict[str, dict[Severity, str]] = {
    "dark": {Severity.LOW: "#e3d35b", Severity.MEDIUM: "#f5a742", Severity.HIGH: "#ff6b6b"},
    "light": {Severity.LOW: "#a68a00", Severity.MEDIUM: "#d9730d", Severity.HIGH: "#c62828"},
}
MAX_RECORDS = 500  # the panel is a recent history, not an archive
SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}


@dataclass(frozen=True)
class AnomalyRecord:
    host: str
    incident: Incident
    current: bool  # still going on at the latest data

    @property
    def metric(self) -> str:
        return self.incident.metrics[0] if self.incident.metrics else ""


@dataclass(frozen=True)
class AnomalySelection:
    """What the operator asked to see: one metric of one host over a time span."""

    host: str
    metric: str
    start: float
    end: float
    incident: Incident


def severity_colour(severity: Severity, theme_name: str) -> str:
    return SEVERITY_COLOURS.get(theme_name, SEVERITY_COLOURS["light"])[Severity(severity)]


@dataclass(frozen=True)
class MarkedIncident:
    """An incident with where to put its marker: (time, value) of its most extreme point."""

    incident: Incident
    x: float
    y: float


def mark_incidents(
    incidents: Sequence[Incident], timestamps: np.ndarray, values: np.ndarray
) -> list[MarkedIncident]:
    """Marker positions: the highest point of a rise, the lowest of a dip."""
    times = np.asarray(timestamps, dtype=float)
    data = np.asarray(values, dtype=float)
    marked = []
    for incident in incidents:
        first = int(np.searchsorted(times, incident.start, side="left"))
        stop = int(np.searchsorted(times, incident.end, side="right"))
        window = data[first:stop]
        if not len(window) or not np.isfinite(window).any():
            continue
        pick = np.nanargmin if incident.pattern is Pattern.DIP else np.nanargmax
        row = first + int(pick(window))
        marked.append(MarkedIncident(incident, float(times[row]), float(data[row])))
    return marked


COLUMNS = ("Severity", "Pattern", "Host", "Metrics", "Start", "Duration", "Recommended action")


def _metrics_text(metrics: tuple[str, ...]) -> str:
    names = [_readable(m) for m in metrics]
    return ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")


def _readable(metric: str) -> str:
    readable = subject(metric)
    # Unknown metrics (file columns) read better as their own name.
    return metric if readable.startswith("The metric ") else readable


class AnomalyTableModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None, show_host: bool = True) -> None:
        super().__init__(parent)
        self._records: list[AnomalyRecord] = []
        self.theme_name = "light"
        self.show_host = show_host

    # -- Qt model API ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        record = self._records[index.row()]
        incident = record.incident
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return incident.action if column == 6 else self._text(record, column)
        if role == Qt.ItemDataRole.UserRole:
            return record
        if column == 0 and role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(severity_colour(incident.severity, self.theme_name)))
        if column == 0 and role == Qt.ItemDataRole.DecorationRole:
            return QColor(severity_colour(incident.severity, self.theme_name))
        if role == Qt.ItemDataRole.FontRole and (column == 0 or record.current):
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _text(self, record: AnomalyRecord, column: int) -> str:
        incident = record.incident
        if column == 0:
            return incident.severity.value.upper() + (" · now" if record.current else "")
        if column == 1:
            return incident.pattern.value
        if column == 2:
            return record.host
        if column == 3:
            return _metrics_text(incident.metrics)
        if column == 4:
            return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(incident.start))
        if column == 5:
            return format_duration(incident.duration_seconds)
        return incident.action

    # -- records -----------------------------------------------------------------------

    def records(self) -> list[AnomalyRecord]:
        return list(self._records)

    def record(self, row: int) -> AnomalyRecord:
        return self._records[row]

    def set_records(self, records: list[AnomalyRecord]) -> None:
        self.beginResetModel()
        self._records = sorted(records, key=lambda r: r.incident.start, reverse=True)[:MAX_RECORDS]
        self.endResetModel()

    def merge(self, host: str, incidents: list[Incident], latest: float | None) -> None:
        """Fold a new detection pass for ``host`` into the history.

        A pass re-detects the whole recent window, so an incident that overlaps a
        known one for the same host and lead metric is the same incident (its end or
        severity may have grown), unless one is a trend and the other is not: a spike
        during a days-long leak is news of its own. Anything else is new. Known
        incidents of that host that are not seen again stay as past ones, no longer
        current.
        """
        records = [replace(r, current=False) if r.host == host else r for r in self._records]
        for incident in incidents:
            current = latest is not None and incident.end >= latest
            fresh = AnomalyRecord(host, incident, current)
            for i, known in enumerate(records):
                if known.host == host and known.metric == fresh.metric and _same(known, fresh):
                    records[i] = _combine(known, fresh)
                    break
            else:
                records.append(fresh)
        self.set_records(records)

    def set_theme_name(self, name: str) -> None:
        self.theme_name = name
        if self._records:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._records) - 1, 0))


def _same(a: AnomalyRecord, b: AnomalyRecord) -> bool:
    """Overlapping in time, and both trends or both not."""
    overlap = a.incident.start <= b.incident.end and b.incident.start <= a.incident.end
    both_or_neither = (a.incident.pattern is Pattern.TREND) == (b.incident.pattern is Pattern.TREND)
    return overlap and both_or_neither


def _combine(known: AnomalyRecord, fresh: AnomalyRecord) -> AnomalyRecord:
    start = min(known.incident.start, fresh.incident.start)
    stronger = fresh.incident
    if SEVERITY_RANK[known.incident.severity] > SEVERITY_RANK[fresh.incident.severity]:
        stronger = replace(fresh.incident, severity=known.incident.severity)
    return AnomalyRecord(fresh.host, replace(stronger, start=start), fresh.current)


class AnomalyTable(QTableView):
    """The table with sensible widths: short columns fit, the action takes the rest."""

    def __init__(self, model: AnomalyTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(22)
        header = self.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        if not model.show_host:
            self.setColumnHidden(2, True)


class AnomalyPanel(QWidget):
    """Dockable list of anomalies; ``activated`` says which one to show on the charts."""

    activated = Signal(object)  # AnomalySelection
    current_count_changed = Signal(int)  # incidents still going on, after each update

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = AnomalyTableModel(self)
        self.table = AnomalyTable(self.model)
        self.current_only = QCheckBox("Current only")
        self.current_only.setToolTip("Hide incidents that have ended")
        self.current_only.toggled.connect(self._apply_filter)
        self.summary = QLabel("No anomalies detected yet")
        self.summary.setObjectName("anomalySummary")
        # A narrow dock must stay possible (it shares the side with the host list).
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setObjectName("anomalyDetail")

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.summary, 1)
        top.addWidget(self.current_only)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)

        self.table.clicked.connect(self._on_activated)
        self.table.activated.connect(self._on_activated)
        self.model.modelReset.connect(self._on_reset)

    def merge(self, host: str, incidents: list[Incident], latest: float | None) -> None:
        self.model.merge(host, incidents, latest)

    def select_row(self, row: int) -> None:
        """Select and activate a row, as a click would."""
        index = self.model.index(row, 0)
        self.table.setCurrentIndex(index)
        self._on_activated(index)

    def apply_theme(self, theme: Theme) -> None:
        self.model.set_theme_name(theme.name)
        self.summary.setStyleSheet(f"color: {theme.muted};")

    def _on_activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        record = self.model.record(index.row())
        incident = record.incident
        self.detail.setText(f"<b>{incident.pattern.value.capitalize()}</b> — {incident.action}")
        self.activated.emit(
            AnomalySelection(record.host, record.metric, incident.start, incident.end, incident)
        )

    def _on_reset(self) -> None:
        records = self.model.records()
        current = sum(r.current for r in records)
        if not records:
            self.summary.setText("No anomalies detected yet")
        else:
            self.summary.setText(f"{current} current · {len(records) - current} past")
        self._apply_filter()
        self.current_count_changed.emit(current)

    def _apply_filter(self) -> None:
        only_current = self.current_only.isChecked()
        for row, record in enumerate(self.model.records()):
            self.table.setRowHidden(row, only_current and not record.current)
