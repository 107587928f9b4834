"""Notifications… : the chat webhook (Slack's incoming-webhook format) that plan events go to.

The URL is a secret (anyone holding it can post): it goes only to the keyring — or, on
a machine without one, to memory for this session, which the dialog says — and once
saved it is shown masked. Reading, saving, clearing and the test post all run in
workers (keyring backends and HTTP can block); their errors are shown in the dialog.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

from connectors.webhook import (
    WebhookError,
    check_webhook_url,
    masked_webhook_url,
    post_webhook,
    store_webhook_url,
    url_in_keyring,
    webhook_url,
)
from console.workers import CancelToken, Task

TEST_TEXT = "Headroom: test message — plan notifications will arrive here."
# Every message the dialog can show, in one place.
MESSAGES = {
    "none": "No webhook configured: notifications go to the desktop only.",
    "saved": "Saved in the system keyring: {url}",
    "session": (
        "Saved for this session only: {url}. This machine has no keyring, so the URL is "
        "kept in memory and must be entered again after a restart."
    ),
    "stored": "In the keyring: {url}",
    "stored_session": "In memory for this session (no keyring): {url}",
    "cleared": "Webhook removed: notifications go to the desktop only.",
    "sent": "Test message delivered (HTTP {status}).",
    "sending": "Sending a test message…",
}


class NotificationsDialog(QDialog):
    def __init__(self, pool: QThreadPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Notifications")
        self.pool = pool
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://hooks.slack.com/services/…")
        self.url.setEchoMode(QLineEdit.EchoMode.Password)  # a secret, even while typed
        self.url.setMinimumWidth(420)
        self.current = QLabel(MESSAGES["none"])
        self.current.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(80)
        self.busy.hide()
        self.save_button = QPushButton("Save")
        self.test_button = QPushButton("Send test message")
        self.clear_button = QPushButton("Clear")
        buttons = QHBoxLayout()
        for button in (self.save_button, self.test_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addWidget(self.busy)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(
            QLabel(
                "Plans that need approval, are auto-approved, fail or expire unrun are also "
                "posted to a chat webhook (Slack's incoming-webhook format)."
            )
        )
        form.addRow("Webhook URL", self.url)
        form.addRow("", self.current)
        form.addRow(buttons)
        form.addRow(self.status)
        form.addRow(close)
        self.save_button.clicked.connect(self.save)
        self.test_button.clicked.connect(self.send_test)
        self.clear_button.clicked.connect(self.clear)
        self._tasks: dict[int, Task] = {}
        self._done: dict[int, Callable[[object], None]] = {}
        self.refresh()

    def refresh(self) -> None:
        """Show what is saved now (read in a worker), and forget the last result."""
        self.status.clear()
        self.url.clear()
        self._run(_read_current, self._show_current)

    # -- actions -------------------------------------------------------------------------

    def save(self) -> None:
        try:
            url = check_webhook_url(self.url.text())
        except WebhookError as error:
            self._error(str(error))
            return

        def job(_token: CancelToken) -> tuple[bool, str]:
            return store_webhook_url(url), masked_webhook_url(url)

        self._run(job, self._on_saved)

    def send_test(self) -> None:
        """Post a test message to the URL being typed, else to the saved one."""
        typed = self.url.text().strip()
        try:
            url = check_webhook_url(typed) if typed else None
        except WebhookError as error:
            self._error(str(error))
            return

        def job(_token: CancelToken) -> int:
            target = url or webhook_url()
            if target is None:
                raise WebhookError("?", "no webhook URL is configured yet")
            return post_webhook(target, TEST_TEXT)

        self.status.setText(MESSAGES["sending"])
        self._run(job, lambda status: self._ok(MESSAGES["sent"].format(status=status)))

    def clear(self) -> None:
        def job(_token: CancelToken) -> bool:
            return store_webhook_url(None)

        self._run(job, self._on_cleared)

    def wait(self, timeout_s: float = 5.0) -> bool:
        """Wait (bounded) for the dialog's workers; True if all finished."""
        return all(task.done.wait(timeout_s) for task in list(self._tasks.values()))

    # -- results (GUI thread) ------------------------------------------------------------

    def _show_current(self, current: tuple[str | None, bool]) -> None:
        masked, persistent = current
        if masked is None:
            self.current.setText(MESSAGES["none"])
        else:
            key = "stored" if persistent else "stored_session"
            self.current.setText(MESSAGES[key].format(url=masked))

    def _on_saved(self, saved: tuple[bool, str]) -> None:
        persistent, masked = saved
        self.url.clear()  # the secret leaves the screen once it is stored
        self._show_current((masked, persistent))
        if persistent:
            self._ok(MESSAGES["saved"].format(url=masked))
        else:
            self._warn(MESSAGES["session"].format(url=masked))

    def _on_cleared(self, _persistent: bool) -> None:
        self.url.clear()
        self._show_current((None, True))
        self._ok(MESSAGES["cleared"])

    def _ok(self, text: str) -> None:
        self.status.setStyleSheet("color: #2fbf71")
        self.status.setText(text)

    def _warn(self, text: str) -> None:
        self.status.setStyleSheet("color: #e8a33d")
        self.status.setText(text)

    def _error(self, text: str) -> None:
        self.status.setStyleSheet("color: #e5534b")
        self.status.setText(text)

    # -- workers -------------------------------------------------------------------------

    def _run(self, job: Callable[[CancelToken], object], done: Callable[[object], None]) -> None:
        task = Task(job, "notifications")
        # Bound methods: Qt drops the connections if the dialog is gone before the worker.
        task.signals.succeeded.connect(self._on_succeeded)
        task.signals.failed.connect(self._on_failed)
        task.signals.finished.connect(self._on_finished)
        self._tasks[task.id] = task
        self._done[task.id] = done
        self._set_busy(True)
        self.pool.start(task)

    def _on_succeeded(self, task_id: int, result: object) -> None:
        done = self._done.get(task_id)
        if done is not None:
            done(result)

    def _on_failed(self, _task_id: int, message: str, _details: str) -> None:
        self._error(message)

    def _on_finished(self, task_id: int) -> None:
        self._tasks.pop(task_id, None)
        self._done.pop(task_id, None)
        self._set_busy(bool(self._tasks))

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        for button in (self.save_button, self.test_button, self.clear_button):
            button.setEnabled(not busy)


def _read_current(_token: CancelToken) -> tuple[str | None, bool]:
    """The saved URL, masked, and whether it is in the keyring (worker thread)."""
    url = webhook_url()
    if url is None:
        return None, True
    return masked_webhook_url(url), url_in_keyring(url)
