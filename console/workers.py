"""Running work off the GUI thread, and reporting its failures in one place.

A :class:`Task` is a plain callable handed to ``QThreadPool.start`` (not a
``QRunnable`` subclass: PySide keeps those referenced from the pool forever, and
with them every job's data). It owns a small :class:`TaskSignals` object whose
signals are delivered, queued, on the GUI thread. The job is a plain function ``job(token) -> result`` that checks
``token.cancelled`` between steps; it never touches a widget. Exceptions become
the ``failed`` signal with a one-line message: no traceback reaches the operator
(the traceback goes to the log for developers).
"""

from __future__ import annotations

import itertools
import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class CancelToken:
    """Cooperative cancellation: the job polls ``cancelled`` between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class TaskSignals(QObject):
    # Each carries the task id so a receiver can drop results of superseded tasks.
    succeeded = Signal(int, object)  # id, the job's result
    failed = Signal(int, str, str)  # id, one-line message, details for the "more" view
    finished = Signal(int)  # id; always, after succeeded/failed/cancelled


def one_line(error: BaseException) -> str:
    """What an operator sees: the exception's message, never a traceback."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


_task_ids = itertools.count(1)


def _finished(_token: CancelToken) -> None:
    raise RuntimeError("this task has already run")


class Task:
    """``pool.start(task)`` runs ``job(token)`` on a pool thread; see the module docstring."""

    def __init__(self, job: Callable[[CancelToken], Any], name: str = "task") -> None:
        self.id = next(_task_ids)
        self.job = job
        self.name = name
        self.token = CancelToken()
        self.signals = TaskSignals()  # created on the GUI thread, so slots there are queued
        self.done = threading.Event()

    def __call__(self) -> None:
        self.run()

    def run(self) -> None:
        try:
            result = self.job(self.token)
        except Exception as error:  # reported, never raised into Qt's thread pool
            log.debug("%s failed", self.name, exc_info=True)
            if not self.token.cancelled:
                details = "".join(traceback.format_exception_only(type(error), error)).strip()
                self.signals.failed.emit(self.id, one_line(error), f"{self.name}: {details}")
        else:
            if not self.token.cancelled:
                self.signals.succeeded.emit(self.id, result)
        finally:
            self.job = _finished  # owners keep tasks around: don't keep the job's data too
            self.done.set()
            self.signals.finished.emit(self.id)


class LatestOnlyRunner(QObject):
    """Runs one kind of request at a time: a newer request supersedes the older one.

    The older job may still be running when the new one starts (cancellation is
    cooperative); its result is dropped because it is no longer the current task.
    Results arrive through ``result`` / ``error`` on this object's (GUI) thread.
    """

    result = Signal(object)
    error = Signal(str, str)

    def __init__(self, pool: QThreadPool, name: str = "query", parent: QObject | None = None):
        super().__init__(parent)
        self.pool = pool
        self.name = name
        self.current: Task | None = None
        self._running: dict[int, Task] = {}

    def submit(self, job: Callable[[CancelToken], Any]) -> Task:
        self.cancel()
        task = Task(job, self.name)
        task.signals.succeeded.connect(self._on_succeeded)
        task.signals.failed.connect(self._on_failed)
        task.signals.finished.connect(self._on_finished)
        self.current = task
        self._running[task.id] = task
        self.pool.start(task)
        return task

    def cancel(self) -> None:
        if self.current is not None:
            self.current.token.cancel()
        self.current = None

    def wait(self, timeout_s: float = 5.0) -> bool:
        """Cancel and wait (bounded) for every started job; True if all finished."""
        self.cancel()
        tasks = list(self._running.values())
        for task in tasks:
            task.token.cancel()
        return all(task.done.wait(timeout_s) for task in tasks)

    @property
    def busy(self) -> bool:
        return any(not task.done.is_set() for task in self._running.values())

    def _is_current(self, task_id: int) -> bool:
        return self.current is not None and self.current.id == task_id

    @Slot(int, object)
    def _on_succeeded(self, task_id: int, value: object) -> None:
        if self._is_current(task_id):
            self.result.emit(value)

    @Slot(int, str, str)
    def _on_failed(self, task_id: int, message: str, details: str) -> None:
        if self._is_current(task_id):
            self.error.emit(message, details)

    @Slot(int)
    def _on_finished(self, task_id: int) -> None:
        self._running.pop(task_id, None)
        if self._is_current(task_id):
            self.current = None


class ErrorNotifier(QObject):
    """The one place worker errors go; views listen to ``reported`` on the GUI thread.

    ``report`` is safe to call from any thread: the signal is queued to the
    notifier's own (GUI) thread.
    """

    reported = Signal(str, str, str)  # source, one-line message, details

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.history: list[tuple[str, str, str]] = []
        self.reported.connect(self._remember)

    def report(self, source: str, message: str, details: str = "") -> None:
        log.warning("%s: %s", source, message)
        self.reported.emit(source, message, details or message)

    def report_exception(self, source: str, error: BaseException) -> None:
        details = "".join(traceback.format_exception_only(type(error), error)).strip()
        self.report(source, one_line(error), details)

    def _remember(self, source: str, message: str, details: str) -> None:
        self.history = [*self.history[-49:], (source, message, details)]
