"""Runs the fleet's anomaly detectors and forecasts (``insight_worker``) off the GUI thread.

A timer on the GUI thread starts, at a low rate, a job on a one-thread
``QThreadPool``: the job copies the CPU windows it needs out of
:class:`FleetState` (a few ms under its lock), hands them to one long-lived child
process, waits for the results (cancellable) and publishes them with
``FleetState.set_anomalies`` / ``set_forecasts``; the table repaints the rows that
changed at its next refresh. The maths runs in a process rather than in the
worker thread because the GUI thread needs the GIL for every cell it paints, and
a busy Python thread made each of those calls wait (p99 stalls of 0.5 s).

Cost is bounded for a large fleet: anomaly scoring every ``anomaly_interval_s``
(three of the ring's slots: a few new slots per host per cycle); forecasts every
``forecast_interval_s`` for at most ``forecast_batch`` hosts, those with the oldest
forecast first, so with 1,000 hosts each peak is renewed every ~5 min. No process
is started before the fleet has a host.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
import weakref
from functools import partial
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot

from console.fleet import insight_worker
from console.fleet.fleet_state import FleetState
from console.fleet.insight_worker import (
    BOOTSTRAP_POINTS,
    FORECAST_HISTORY_POINTS,
    MIN_FORECAST_POINTS,
    Results,
)
from console.workers import CancelToken, Task

log = logging.getLogger(__name__)

ANOMALY_SLOTS_PER_CYCLE = 3  # scoring 3 new slots costs about what scoring 1 does
FORECAST_INTERVAL_S = 30.0
STOP_WAIT_S = 1.0  # the child is terminated if it has not left by then
FORECAST_BATCH = 100  # hosts per forecast cycle (~1 s of CPU in the child)
POLL_S = 0.1  # how often a waiting job checks for cancellation


class ChildDied(RuntimeError):
    def __init__(self, exitcode: int | None) -> None:
        self.exitcode = exitcode
        super().__init__(f"the fleet insights process ended (exit code {exitcode})")


class _Child:
    """One long-lived ``spawn`` process running :func:`insight_worker.child_main`.

    A plain process and pipe (not a ProcessPoolExecutor) so that stopping can
    terminate it mid-cycle and no management thread outlives the fleet.
    """

    def __init__(self) -> None:
        # spawn: safe from a process that already runs Qt and poller threads.
        context = multiprocessing.get_context("spawn")
        self.connection, child_end = context.Pipe()
        self.process = context.Process(
            target=insight_worker.child_main,
            args=(child_end,),
            name="headroom-fleet-insights",
            daemon=True,  # never outlives the console
        )
        self.process.start()
        child_end.close()
        self.sequence = 0

    def call(self, token: CancelToken, job: str, *args: object) -> Results | None:
        """Run ``job`` in the child and wait for it; None if cancelled meanwhile."""
        self.sequence += 1
        self.connection.send((self.sequence, job, args))
        while True:
            while not self.connection.poll(POLL_S):
                if token.cancelled:
                    return None  # its late reply is skipped by the next call
                if not self.process.is_alive():
                    raise ChildDied(self.process.exitcode)
            sequence, reply = self.connection.recv()
            if sequence != self.sequence:
                continue  # the reply to a cancelled call
            if isinstance(reply, Exception):
                raise reply
            return reply  # type: ignore[no-any-return]

    def close(self) -> None:
        self.connection.close()  # the child's recv() ends: it leaves at once when idle
        self.process.join(STOP_WAIT_S)
        if self.process.is_alive():
            self.process.terminate()  # mid-cycle: its detectors are not worth waiting for
            self.process.join(STOP_WAIT_S)


def _run_job(insights: weakref.ref[FleetInsights], kind: str, token: CancelToken) -> object:
    target = insights()
    if target is None:
        return kind, 0.0  # the fleet is gone
    job = target._anomaly_job if kind == "anomaly" else target._forecast_job
    return job(token)


class FleetInsights(QObject):
    finished = Signal(str, float)  # "anomaly" or "forecast", CPU seconds the cycle cost
    failed = Signal(str)  # one-line message

    def __init__(
        self,
        state: FleetState,
        anomaly_interval_s: float | None = None,
        forecast_interval_s: float = FORECAST_INTERVAL_S,
        forecast_batch: int = FORECAST_BATCH,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.forecast_batch = forecast_batch
        # A new slot completes every resolution_s; a detector update has a fixed cost per
        # host, so each cycle takes a few slots at once (a flag is at most 40 s late).
        self.intervals = {
            "anomaly": anomaly_interval_s or state.resolution_s * ANOMALY_SLOTS_PER_CYCLE,
            "forecast": forecast_interval_s,
        }
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.tasks: dict[str, Task] = {}
        self.due = dict.fromkeys(self.intervals, 0.0)
        self.costs: dict[str, list[float]] = {kind: [] for kind in self.intervals}
        self.job_threads: set[int] = set()  # threads the jobs ran on (for tests)
        self.worker_pids: set[int] = set()  # processes the maths ran in (for tests)
        self._forecast_at: dict[int, float] = {}  # row -> when its peak was last computed
        self._child: _Child | None = None
        self._child_lock = threading.Lock()
        self.timer = QTimer(self)
        self.timer.setInterval(int(1000 * min(self.intervals.values())))
        self.timer.timeout.connect(self.tick)

    # -- control (GUI thread) -----------------------------------------------------------

    def start(self) -> None:
        self.timer.start()

    def tick(self) -> None:
        now = time.monotonic()
        for kind, due in self.due.items():
            if now >= due:
                self.run_now(kind)

    def run_now(self, kind: str) -> bool:
        """Start ``kind``'s job now unless one is still running; True if started."""
        running = self.tasks.get(kind)
        if running is not None and not running.done.is_set():
            return False
        self.due[kind] = time.monotonic() + self.intervals[kind]
        # Through a weak reference: PySide keeps some runnables alive after they ran,
        # and a strong one would keep this object and the whole fleet state with them.
        task = Task(partial(_run_job, weakref.ref(self), kind), f"fleet {kind}")
        task.signals.succeeded.connect(self._succeeded)
        task.signals.failed.connect(self._failed)
        self.tasks[kind] = task
        self.pool.start(task)
        return True

    @property
    def busy(self) -> bool:
        return any(not task.done.is_set() for task in self.tasks.values())

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop the timer, cancel running jobs, wait for them (bounded), end the child."""
        self.timer.stop()
        for task in self.tasks.values():
            task.token.cancel()
        done = all(task.done.wait(timeout_s) for task in self.tasks.values())
        with self._child_lock:
            child, self._child = self._child, None
        if child is not None:
            child.close()
        return done

    # -- jobs (worker thread) -----------------------------------------------------------

    def _anomaly_job(self, token: CancelToken) -> tuple[str, float]:
        self.job_threads.add(threading.get_ident())
        heads, values = self.state.cpu_window(BOOTSTRAP_POINTS)
        if not (heads >= 0).any():
            return "anomaly", 0.0  # no remote host yet: no process to start
        results = self._in_child(token, "anomaly", self.state.resolution_s, heads, values)
        if results is None:
            return "anomaly", 0.0
        if results.rows:
            flags = np.asarray(results.values) > 0
            self.state.set_anomalies(np.asarray(results.rows), flags, results.notes)
        return "anomaly", results.cpu_s

    def _forecast_job(self, token: CancelToken) -> tuple[str, float]:
        self.job_threads.add(threading.get_ident())
        heads, values = self.state.cpu_window(FORECAST_HISTORY_POINTS)
        history = np.isfinite(values).sum(axis=1)
        candidates = np.flatnonzero(heads >= 0).tolist()
        ready = [r for r in candidates if history[r] >= MIN_FORECAST_POINTS]
        ready.sort(key=lambda r: self._forecast_at.get(r, 0.0))  # the stalest first
        waiting = [r for r in candidates if history[r] < MIN_FORECAST_POINTS]
        rows = ready[: self.forecast_batch] + waiting
        if not rows:
            return "forecast", 0.0
        # Only the rows forecast this cycle cross the pipe.
        results = self._in_child(
            token, "forecast", self.state.resolution_s, heads[rows], values[rows], rows
        )
        if results is None:
            return "forecast", 0.0
        now = time.monotonic()
        for row in results.rows:
            self._forecast_at[row] = now
        self.state.set_forecasts(
            np.asarray(results.rows), np.asarray(results.values, dtype=float), results.notes
        )
        return "forecast", results.cpu_s

    def _in_child(self, token: CancelToken, job: str, *args: Any) -> Results | None:
        with self._child_lock:
            if self._child is None:
                self._child = _Child()
            child = self._child
        try:
            results = child.call(token, job, *args)
        except (ChildDied, OSError, EOFError) as error:
            # Killed, out of memory, or stopped under us: the next cycle starts a new one,
            # whose detectors begin again from the ring's history.
            with self._child_lock:
                if self._child is child:
                    self._child = None
            if isinstance(error, ChildDied):
                raise
            child.process.join(STOP_WAIT_S)  # a broken pipe: say what happened, not errno
            raise ChildDied(child.process.exitcode) from error
        if results is not None:
            self.worker_pids.add(results.pid)
        return results

    # -- results (GUI thread) -----------------------------------------------------------

    @Slot(int, object)
    def _succeeded(self, _task_id: int, result: object) -> None:
        kind, cost = result  # type: ignore[misc]
        self.costs[kind] = [*self.costs[kind][-99:], cost]
        self.finished.emit(kind, cost)

    @Slot(int, str, str)
    def _failed(self, _task_id: int, message: str, details: str) -> None:
        log.warning("fleet insights: %s", details)
        self.failed.emit(message)
