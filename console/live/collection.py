"""The collection thread: calls a collector every interval, off the GUI thread.

The worker lives in its own ``QThread`` with its own timer. Each batch goes
straight to the store writer from that thread (the writer batches on its own
thread) and to the GUI through a queued signal, so the GUI thread only ever
appends to ring buffers.
"""

from __future__ import annotations

import logging
import time
import traceback
import weakref
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from console.workers import one_line
from models.samples import Sample

log = logging.getLogger(__name__)


class Collector(Protocol):
    host: str

    def collect(self, now: float | None = None) -> list[Sample]: ...


SampleSink = Callable[[list[Sample]], None]


class CollectionWorker(QObject):
    batch = Signal(list)  # list[Sample], queued to the GUI thread
    failed = Signal(str, str)  # one-line message, details
    collected = Signal(float)  # seconds one collect() took, for diagnostics

    def __init__(self, collector: Collector, interval_s: float, sink: SampleSink | None) -> None:
        super().__init__()
        self.collector = collector
        self.interval_s = interval_s
        self.sink = sink
        self.timer: QTimer | None = None
        self._failing = False

    @Slot()
    def start(self) -> None:
        # Created here so the timer belongs to (and fires in) the collection thread.
        self.timer = QTimer(self)
        self.timer.setInterval(max(10, int(self.interval_s * 1000)))
        self.timer.timeout.connect(self.collect_once)
        self.timer.start()
        self.collect_once()

    @Slot()
    def stop(self) -> None:
        if self.timer is not None:
            self.timer.stop()
        self.thread().quit()

    @Slot()
    def collect_once(self) -> None:
        started = time.perf_counter()
        try:
            samples = self.collector.collect()
            if samples and self.sink is not None:
                self.sink(samples)
        except Exception as error:  # reported once per failure streak, never raised
            if not self._failing:
                details = "".join(traceback.format_exception_only(type(error), error)).strip()
                self.failed.emit(f"collection failed: {one_line(error)}", details)
            self._failing = True
            log.debug("collect() failed", exc_info=True)
            return
        self._failing = False
        self.collected.emit(time.perf_counter() - started)
        if samples:
            self.batch.emit(samples)


class CollectionThread(QObject):
    """Owns the thread and the worker; ``stop`` is bounded and safe to call twice."""

    _stop_requested = Signal()
    # Every instance, so tests can fail a test that leaves a collection thread running.
    instances: weakref.WeakSet[CollectionThread] = weakref.WeakSet()

    def __init__(
        self,
        collector: Collector,
        interval_s: float,
        sink: SampleSink | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("headroom-collection")
        self.worker = CollectionWorker(collector, interval_s, sink)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.start)
        self._stop_requested.connect(self.worker.stop)  # queued: runs in the worker thread
        self.batch = self.worker.batch
        self.failed = self.worker.failed
        CollectionThread.instances.add(self)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop collecting; True if the thread ended within ``timeout_s``."""
        if not self.thread.isRunning():
            return True
        self._stop_requested.emit()
        return self.thread.wait(int(timeout_s * 1000))

    @property
    def running(self) -> bool:
        return self.thread.isRunning()
