"""Add or edit one connection; "Test" connects once in a worker and shows the typed error.

The password field is never saved with the connection: on Test or Save it goes
to the keyring (or this session's memory when there is none) through
:mod:`console.fleet.secrets`, and the field is cleared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThreadPool, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from connectors.errors import SourceError
from console.fleet.connections import KINDS, Connection, ConnectionError_
from console.fleet.secrets import store_secret
from console.workers import CancelToken, Task

PLACEHOLDERS = {
    "ssh": ("host[:port] or ~/.ssh/config alias", "login user (optional)", ""),
    "prometheus": ("http://prometheus:9090", "basic-auth user (optional)", "job=node"),
    "aws": ("eu-west-1/asg/NAME or eu-west-1/instance/ID", "AWS profile (optional)", ""),
}


def test_connection(
    connection: Connection, open_collector: Callable[[Connection], Any], token: CancelToken
) -> tuple[str, str]:
    """Connect and collect once: ``("connected", summary)`` or ``(error kind, message)``."""
    collector = None
    try:
        collector = open_collector(connection)
        samples = collector.collect()
    except SourceError as error:  # typed: the kind is the status the manager shows
        return error.kind, str(error)
    finally:
        close = getattr(collector, "close", None)
        if close is not None:
            close()
    hosts = sorted({sample.host for sample in samples})
    shown = ", ".join(hosts[:3]) + (" …" if len(hosts) > 3 else "")
    return "connected", f"connected: {len(samples)} samples from {len(hosts)} host(s) {shown}"


class ConnectionDialog(QDialog):
    tested = Signal(str, str)  # status ("connected" or an error kind), message

    def __init__(
        self,
        open_collector: Callable[[Connection], Any],
        pool: QThreadPool,
        connection: Connection | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit connection" if connection else "Add connection")
        self.open_collector = open_collector
        self.pool = pool
        self.original = connection
        self.result_connection: Connection | None = None
        self.task: Task | None = None
        self.secret_persistent = True

        self.name_edit = QLineEdit()
        self.kind_combo = QComboBox()
        self.kind_combo.addItems(list(KINDS))
        self.address_edit = QLineEdit()
        self.user_edit = QLineEdit()
        self.options_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("kept in the system keyring, never in files")
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText("comma separated")
        self.group_edit = QLineEdit()
        self.custom_edit = QPlainTextEdit()
        self.custom_edit.setPlaceholderText(
            "one per line: NAME=COMMAND, e.g. queue.length=redis-cli llen jobs\n"
            "NAME:counter=COMMAND for a growing count (stored per second)"
        )
        self.custom_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.test_button = QPushButton("Test")
        self.test_button.clicked.connect(self.run_test)

        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Kind", self.kind_combo)
        form.addRow("Address", self.address_edit)
        form.addRow("User / profile", self.user_edit)
        form.addRow("Password", self.password_edit)
        form.addRow("Options", self.options_edit)
        form.addRow("Tags", self.tags_edit)
        form.addRow("Group", self.group_edit)
        form.addRow("Custom metrics", self.custom_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        self.kind_combo.currentTextChanged.connect(self._kind_changed)
        if connection is not None:
            self._fill(connection)
        self._kind_changed(self.kind_combo.currentText())

    # -- reading the form ---------------------------------------------------------------

    def connection(self) -> Connection:
        tags = tuple(t.strip() for t in self.tags_edit.text().split(",") if t.strip())
        return Connection(
            self.name_edit.text().strip(),
            self.kind_combo.currentText(),
            self.address_edit.text().strip(),
            user=self.user_edit.text().strip(),
            options=self.options_edit.text().strip(),
            tags=tags,
            group=self.group_edit.text().strip(),
            custom=tuple(
                line.strip() for line in self.custom_edit.toPlainText().splitlines() if line.strip()
            ),  # fmt: skip
        ).validate()

    def _store_password(self, connection: Connection) -> None:
        secret = self.password_edit.text()
        if secret and connection.kind != "aws":
            self.secret_persistent = store_secret(connection, secret)
            self.password_edit.clear()  # the widget must not hold it longer than needed
            if not self.secret_persistent:
                self.status_label.setText(
                    "No system keyring: the password is kept in memory for this session only."
                )

    # -- actions ------------------------------------------------------------------------

    def run_test(self) -> Task | None:
        try:
            connection = self.connection()
            self._store_password(connection)
        except (ConnectionError_, SourceError, ValueError) as error:
            self._show("invalid", str(error))
            return None
        self.test_button.setEnabled(False)
        self.status_label.setText(f"Testing {connection.name}…")
        task = Task(
            lambda token: test_connection(connection, self.open_collector, token), "test connection"
        )
        task.signals.succeeded.connect(lambda _id, outcome: self._show(*outcome))
        task.signals.failed.connect(lambda _id, message, _details: self._show("error", message))
        task.signals.finished.connect(lambda _id: self.test_button.setEnabled(True))
        self.task = task
        self.pool.start(task)
        return task

    def save(self) -> None:
        try:
            connection = self.connection()
            self._store_password(connection)
        except (ConnectionError_, SourceError, ValueError) as error:
            self._show("invalid", str(error))
            return
        self.result_connection = connection
        self.accept()

    def wait_for_test(self, timeout_s: float = 10.0) -> bool:
        return self.task is None or self.task.done.wait(timeout_s)

    # -- display ------------------------------------------------------------------------

    def _show(self, status: str, message: str) -> None:
        self.status_label.setText(f"{status}: {message}" if status != "connected" else message)
        self.tested.emit(status, message)

    def _fill(self, connection: Connection) -> None:
        self.name_edit.setText(connection.name)
        self.kind_combo.setCurrentText(connection.kind)
        self.address_edit.setText(connection.address)
        self.user_edit.setText(connection.user)
        self.options_edit.setText(connection.options)
        self.tags_edit.setText(", ".join(connection.tags))
        self.group_edit.setText(connection.group)
        self.custom_edit.setPlainText("\n".join(connection.custom))

    def _kind_changed(self, kind: str) -> None:
        address, user, options = PLACEHOLDERS.get(kind, ("", "", ""))
        self.address_edit.setPlaceholderText(address)
        self.user_edit.setPlaceholderText(user)
        self.options_edit.setPlaceholderText(options)
        self.password_edit.setEnabled(kind != "aws")
        self.custom_edit.setEnabled(kind == "ssh")  # a command needs a shell on the host
