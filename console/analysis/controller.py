"""Runs the Analysis workspace's jobs, one at a time, off the GUI thread.

A new run cancels the one in flight (:class:`~console.workers.LatestOnlyRunner`):
its result and progress are dropped even if it keeps computing for a moment
(cancellation is cooperative). The state is ``"idle"`` or ``"running"``; views only
listen to the signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from console.workers import CancelToken, LatestOnlyRunner

IDLE = "idle"
RUNNING = "running"

Job = Callable[[CancelToken, Callable[[int, int], None]], Any]


class _ProgressRelay(QObject):
    # Lives on the GUI thread; an emit from the worker thread is queued here.
    progressed = Signal(int, int, int)  # run number, done, total


class AnalysisController(QObject):
    state_changed = Signal(str)
    progress = Signal(int, int)  # done, total of the current run
    finished = Signal(str, object)  # kind ("load", "forecast"...), outcome
    failed = Signal(str, str)  # kind, one-line message
    cancelled = Signal(str)  # kind

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = LatestOnlyRunner(pool or QThreadPool.globalInstance(), "analysis", self)
        self.runner.result.connect(self._on_result)
        self.runner.error.connect(self._on_error)
        self.relay = _ProgressRelay(self)
        self.relay.progressed.connect(self._on_progress)
        self.state = IDLE
        self.kind: str | None = None
        self._run = 0

    def start(self, kind: str, job: Job) -> int:
        """Run ``job(token, progress)``; a run already going is cancelled first."""
        if self.state == RUNNING and self.kind is not None:
            self.cancelled.emit(self.kind)
        self._run += 1
        run, relay = self._run, self.relay
        self.kind = kind
        self.runner.submit(lambda token: job(token, lambda d, t: relay.progressed.emit(run, d, t)))
        self._set_state(RUNNING)
        return run

    @Slot()
    def cancel(self) -> None:
        if self.state != RUNNING:
            return
        kind = self.kind or ""
        self.runner.cancel()
        self._run += 1  # late progress of the cancelled run no longer matches
        self.kind = None
        self._set_state(IDLE)
        self.cancelled.emit(kind)

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        self.cancel()
        return self.runner.wait(timeout_s)

    @property
    def busy(self) -> bool:
        """True while any job (even a cancelled one winding down) is still computing."""
        return self.runner.busy

    @Slot(int, int, int)
    def _on_progress(self, run: int, done: int, total: int) -> None:
        if run == self._run and self.state == RUNNING:
            self.progress.emit(done, total)

    @Slot(object)
    def _on_result(self, outcome: object) -> None:
        kind = self.kind or ""
        self.kind = None
        self._set_state(IDLE)
        if outcome is None:  # the job noticed the cancel itself
            self.cancelled.emit(kind)
        else:
            self.finished.emit(kind, outcome)

    @Slot(str, str)
    def _on_error(self, message: str, _details: str) -> None:
        kind = self.kind or ""
        self.kind = None
        self._set_state(IDLE)
        self.failed.emit(kind, message)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
