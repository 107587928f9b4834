"""One live session: collector thread + ring buffers + store writer, wired together.

The GUI owns a session; views read ``buffers`` and listen to ``samples_added``.
Failures (collector, store) go to the shared :class:`~console.workers.ErrorNotifier`
and never stop the rest: without a store the console still shows live data.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from console.live.buffers import LiveBuffers
from console.live.collection import CollectionThread, Collector
from console.workers import ErrorNotifier, one_line
from models.samples import Sample

log = logging.getLogger(__name__)

MEMORY_SECONDS = 3600  # how much history the ring buffers hold; longer windows query the store
RATE_WINDOW_S = 10.0


def store_files_size(path: Path) -> int:
    """Bytes on disk for a store, including SQLite's side files when there are any."""
    total = 0
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            total += candidate.stat().st_size
        except OSError:
            continue
    return total


def make_local_collector() -> Collector:
    from connectors.local import LocalCollector  # psutil import kept off the startup path

    return LocalCollector()


class LiveSession(QObject):
    samples_added = Signal(int)  # how many samples the last batch held
    store_changed = Signal(str)  # path of the store now written to

    def __init__(
        self,
        notifier: ErrorNotifier,
        interval_s: float = 1.0,
        store_path: Path | None = None,
        collector: Collector | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self.interval_s = interval_s
        self.store_path = store_path
        self.collector = collector
        capacity = int(MEMORY_SECONDS / max(interval_s, 0.05)) + 16
        self.buffers = LiveBuffers(capacity)
        self.collection: CollectionThread | None = None
        self.writer: Any = None
        self._recent: deque[tuple[float, int]] = deque()
        self._closed = False

    @property
    def host(self) -> str:
        return getattr(self.collector, "host", "") or ""

    def start(self) -> None:
        if self._closed or self.collection is not None:
            return  # stopped before a deferred start ran, or already started
        if self.collector is None:
            try:
                self.collector = make_local_collector()
            except Exception as error:
                self.notifier.report_exception("collector", error)
                return
        if self.store_path is not None:
            self._start_writer(self.store_path)
        self.collection = CollectionThread(self.collector, self.interval_s, self._persist, self)
        self.collection.batch.connect(self._on_batch)
        self.collection.failed.connect(self._on_collection_failed)
        self.collection.start()

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop collection, then flush and stop the writer; True if both ended in time."""
        self._closed = True
        ok = True
        if self.collection is not None:
            ok = self.collection.stop(timeout_s)
            if not ok:
                self.notifier.report("collector", "collection thread did not stop in time")
        ok = self._stop_writer(timeout_s) and ok
        return ok

    def switch_store(self, path: Path) -> None:
        """Write to another store from now on (File > Open store)."""
        self._stop_writer(5.0)
        self.store_path = path
        self._start_writer(path)

    def samples_per_second(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        while self._recent and self._recent[0][0] < now - RATE_WINDOW_S:
            self._recent.popleft()
        if not self._recent:
            return 0.0
        span = max(now - self._recent[0][0], self.interval_s)
        return sum(count for _, count in self._recent) / span

    def store_size_bytes(self) -> int | None:
        return store_files_size(self.store_path) if self.store_path is not None else None

    # -- internals ---------------------------------------------------------------------

    @Slot(list)
    def _on_batch(self, samples: list[Sample]) -> None:
        count = self.buffers.add(samples)
        self._recent.append((time.monotonic(), count))
        self.samples_added.emit(count)

    @Slot(str, str)
    def _on_collection_failed(self, message: str, details: str) -> None:
        self.notifier.report("collector", message, details)

    def _persist(self, samples: list[Sample]) -> None:
        # Runs on the collection thread; StoreWriter.put only queues.
        writer = self.writer
        if writer is not None:
            writer.put(samples)

    def _start_writer(self, path: Path) -> None:
        try:
            from connectors.store import StoreWriter

            path.parent.mkdir(parents=True, exist_ok=True)
            writer = StoreWriter(path, on_error=self._writer_error)
            writer.start()
        except Exception as error:
            self.writer = None
            self.notifier.report("store", f"cannot write to store {path}: {one_line(error)}")
            return
        self.writer = writer
        self.store_changed.emit(str(path))

    def _stop_writer(self, timeout_s: float) -> bool:
        writer, self.writer = self.writer, None
        if writer is None:
            return True
        try:
            writer.stop(timeout_s)
        except Exception as error:
            self.notifier.report_exception("store", error)
            return False
        return True

    def _writer_error(self, *args: object) -> None:
        # Called on the writer's thread; the notifier queues to the GUI thread.
        error = next((a for a in args if isinstance(a, BaseException)), None)
        message = one_line(error) if error else " ".join(str(a) for a in args)
        self.notifier.report("store", f"store write failed: {message}")
