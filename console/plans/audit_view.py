"""The audit log: filter by decision, target and date; export CSV/JSON; verify the chain.

Reading, verifying and exporting run in workers (the log can be long, and it is I/O).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, QThreadPool
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from connectors.audit import AuditEntry, AuditLog
from connectors.audit_export import export_entries, within
from connectors.audit_verify import Verification, verify_log
from console.workers import ErrorNotifier, LatestOnlyRunner

DECISIONS = (
    "proposed",
    "approved",
    "auto_approved",
    "rejected",
    "executed",
    "done",
    "failed",
    "expired",
    "superseded",
)
HEADERS = ("#", "Time (UTC)", "User", "Decision", "Target", "Plan", "Executed", "Result")


def entry_target(entry: AuditEntry) -> str:
    return str(entry.plan.get("target", "")) if isinstance(entry.plan, dict) else ""


def filter_entries(
    entries: list[AuditEntry],
    decision: str | None,
    target: str,
    since: datetime | None,
    until: datetime | None,
) -> list[AuditEntry]:
    return [
        e
        for e in within(entries, since, until)
        if (decision is None or e.decision == decision)
        and (not target or target.lower() in entry_target(e).lower())
    ]


def _short(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if not isinstance(v, dict | list))
    return str(value)


class AuditView(QWidget):
    def __init__(
        self,
        log: AuditLog,
        pool: QThreadPool,
        notifier: ErrorNotifier,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.log = log
        self.notifier = notifier
        self.entries: list[AuditEntry] = []
        self.shown: list[AuditEntry] = []
        self.verification: Verification | None = None
        self.loader = LatestOnlyRunner(pool, "audit load", self)
        self.loader.result.connect(self._on_loaded)
        self.loader.error.connect(lambda m, d: self.notifier.report("Audit log", m, d))
        self.verifier = LatestOnlyRunner(pool, "audit verify", self)
        self.verifier.result.connect(self._on_verified)
        self.verifier.error.connect(lambda m, d: self.notifier.report("Audit log", m, d))
        self.exporter = LatestOnlyRunner(pool, "audit export", self)
        self.exporter.result.connect(lambda n: self.status.setText(f"Exported {n} entries."))
        self.exporter.error.connect(lambda m, d: self.notifier.report("Audit export", m, d))

        self.decision = QComboBox()
        self.decision.addItem("All decisions", None)
        for decision in DECISIONS:
            self.decision.addItem(decision.replace("_", "-"), decision)
        self.target = QLineEdit()
        self.target.setPlaceholderText("target")
        today = QDate.currentDate()
        self.since, self.until = QDateEdit(today.addDays(-7)), QDateEdit(today)
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        refresh, verify = QPushButton("Refresh"), QPushButton("Verify chain")
        export_csv, export_json = QPushButton("Export CSV…"), QPushButton("Export JSON…")
        refresh.clicked.connect(self.refresh)
        verify.clicked.connect(self.verify)
        export_csv.clicked.connect(lambda: self._ask_export("csv"))
        export_json.clicked.connect(lambda: self._ask_export("json"))
        for signal in (self.decision.currentIndexChanged, self.target.textChanged):
            signal.connect(self._apply_filters)
        for edit in (self.since, self.until):
            edit.dateChanged.connect(self._apply_filters)
        # Filters and actions on two rows: on one they made the Plans view too wide.
        filters, actions = QHBoxLayout(), QHBoxLayout()
        for widget in (self.decision, self.target, QLabel("from"), self.since, QLabel("to")):
            filters.addWidget(widget)
        filters.addWidget(self.until)
        filters.addStretch(1)
        for widget in (refresh, verify, export_csv, export_json):
            actions.addWidget(widget)
        actions.addStretch(1)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.status = QLabel("Chain not verified yet.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addLayout(actions)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    def refresh(self) -> None:
        log = self.log
        self.loader.submit(lambda _token: list(log.entries()))

    def verify(self) -> None:
        log = self.log
        self.verifier.submit(lambda _token: verify_log(log))

    def export_to(self, path: Path, fmt: str) -> None:
        entries = list(self.shown)
        self.exporter.submit(lambda _token: export_entries(entries, path, fmt))

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        return all(r.wait(timeout_s) for r in (self.loader, self.verifier, self.exporter))

    def filters(self) -> tuple[str | None, str, datetime | None, datetime | None]:
        def day(edit: QDateEdit) -> datetime:
            d = edit.date()
            return datetime(d.year(), d.month(), d.day(), tzinfo=UTC)

        return (
            self.decision.currentData(),
            self.target.text().strip(),
            day(self.since),
            day(self.until) + timedelta(days=1),
        )

    def _ask_export(self, fmt: str) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export audit log", f"headroom-audit.{fmt}", f"{fmt.upper()} (*.{fmt})"
        )
        if name:
            self.export_to(Path(name), fmt)

    def _on_loaded(self, entries: list[AuditEntry]) -> None:
        self.entries = entries
        self._apply_filters()

    def _apply_filters(self) -> None:
        self.shown = filter_entries(self.entries, *self.filters())
        self.table.setRowCount(len(self.shown))
        for row, entry in enumerate(reversed(self.shown)):  # newest first
            plan = entry.plan if isinstance(entry.plan, dict) else {}
            values = (
                str(entry.seq),
                entry.time[:19].replace("T", " "),
                entry.user,
                entry.decision.replace("_", "-"),
                entry_target(entry),
                str(plan.get("id", ""))[:8],
                _short(entry.executed),
                _short(entry.result),
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))

    def _on_verified(self, verification: Verification) -> None:
        self.verification = verification
        if verification.intact:
            self.status.setText(
                f"Chain intact: {verification.entries} entries, head {verification.head[:16]}…"
            )
            self.status.setStyleSheet("color: #2fbf71")
        else:
            assert verification.broken is not None
            self.status.setText(f"Chain BROKEN at {verification.broken.describe()}")
            self.status.setStyleSheet("color: #e5534b")
