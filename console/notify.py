"""Tell the operator something happened: a desktop notification, else the status bar.

Optionally also posts to the configured chat webhook (set in Plans ▸ Notifications…;
the URL stays in the keyring, or in memory for the session without one),
in a worker, so a slow webhook never blocks the GUI. A webhook failure is reported
once through the window's notifier; there is no retry loop.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtWidgets import QApplication, QStatusBar, QStyle, QSystemTrayIcon, QWidget

from connectors.webhook import post_webhook, webhook_url
from console.workers import ErrorNotifier, Task


class Notifications(QObject):
    """``notify(title, message)``: tray balloon when there is a tray, else the status bar."""

    shown = Signal(str, str)  # title, message (tests and the Plans tab listen)

    def __init__(
        self,
        pool: QThreadPool,
        notifier: ErrorNotifier,
        status_bar: QStatusBar | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.pool = pool
        self.notifier = notifier
        self.status_bar = status_bar
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self)
            icon = parent.windowIcon() if parent is not None else None
            if icon is None or icon.isNull():  # a tray entry without an icon is not shown
                icon = QApplication.style().standardIcon(
                    QStyle.StandardPixmap.SP_MessageBoxInformation
                )
            self.tray.setIcon(icon)
            self.tray.show()
        self._tasks: dict[int, Task] = {}

    def notify(self, title: str, message: str) -> None:
        if self.tray is not None:
            self.tray.showMessage(title, message, QSystemTrayIcon.MessageIcon.Information, 8000)
        elif self.status_bar is not None:
            self.status_bar.showMessage(f"{title}: {message}", 15_000)
        self.shown.emit(title, message)
        self._post(f"Headroom: {title}: {message}")

    def _post(self, text: str) -> None:
        def job(_token: object) -> int | None:
            url = webhook_url()  # read in the worker: keyring backends may block
            return None if url is None else post_webhook(url, text)

        task = Task(job, "webhook")
        task.signals.failed.connect(
            lambda _i, message, _d: self.notifier.report("Webhook", message)
        )
        task.signals.finished.connect(lambda task_id: self._tasks.pop(task_id, None))
        self._tasks[task.id] = task
        self.pool.start(task)

    def wait(self, timeout_s: float = 5.0) -> bool:
        return all(task.done.wait(timeout_s) for task in list(self._tasks.values()))
