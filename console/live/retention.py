"""Apply the store's retention (settings.retention_days) now and then, off the GUI thread.

The pure job opens its own store connection (SQLite handles stay on one thread);
the scheduler runs it shortly after start and then hourly, one run at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot

from console.workers import CancelToken, ErrorNotifier, LatestOnlyRunner

FIRST_RUN_MS = 30_000  # not during startup: the operator is waiting for charts then
EVERY_MS = 3_600_000


def apply_retention(path: Path, retention_days: int, _token: CancelToken | None = None) -> Any:
    """Delete raw samples older than ``retention_days`` (roll-ups kept at least a year)."""
    from connectors.store import MetricStore, RetentionPolicy

    days = float(retention_days)
    policy = RetentionPolicy(days, max(days, RetentionPolicy().rollup_days))
    with MetricStore(path, retention=policy) as store:
        return store.apply_retention()


class RetentionScheduler(QObject):
    applied = Signal(object)  # RetentionReport

    def __init__(
        self,
        notifier: ErrorNotifier,
        store_path: Callable[[], Path | None],
        retention_days: Callable[[], int],
        pool: QThreadPool,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self.store_path = store_path
        self.retention_days = retention_days
        self.runner = LatestOnlyRunner(pool, "retention", self)
        self.runner.result.connect(self.applied)
        self.runner.error.connect(self._on_error)
        self.timer = QTimer(self)
        self.timer.setInterval(FIRST_RUN_MS)
        self.timer.timeout.connect(self.run_now)

    def start(self) -> None:
        self.timer.start()

    @Slot()
    def run_now(self) -> None:
        self.timer.setInterval(EVERY_MS)
        path = self.store_path()
        if path is None or self.runner.busy:
            return
        days = self.retention_days()
        self.runner.submit(lambda token: apply_retention(path, days, token))

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        self.timer.stop()
        return self.runner.wait(timeout_s)

    @Slot(str, str)
    def _on_error(self, message: str, details: str) -> None:
        self.notifier.report("store", f"retention failed: {message}", details)
