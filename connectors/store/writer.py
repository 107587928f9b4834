"""StoreWriter: a background thread that batches samples into the store.

Collectors call ``put`` and return at once; the thread commits a transaction when
``batch_size`` samples are waiting or ``flush_interval`` seconds have passed since
the first of them. It owns its own MetricStore (and so its own connection).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from connectors.store.store import MetricStore
from models.samples import Sample

log = logging.getLogger(__name__)

_STOP = object()


class StoreWriter:
    """Batching writer thread. Not restartable: create a new one after ``stop``.

    A batch that fails to commit is reported to ``on_error`` (from the writer thread)
    and kept in ``last_error``; its samples are dropped so one bad batch cannot wedge
    collection. ``flush`` still returns once the failed batch has been dealt with.

    Call ``stop`` before the application exits: the thread is a daemon so a forgotten
    writer cannot hang the exit, but then whatever it still had queued is lost.
    """

    def __init__(
        self,
        path: Path,
        batch_size: int = 5000,
        flush_interval: float = 0.5,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        if batch_size < 1 or flush_interval <= 0:
            raise ValueError("batch_size must be >= 1 and flush_interval > 0")
        self.path = Path(path)
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.on_error = on_error
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._state = threading.Condition()
        self._queued = 0  # put() calls so far
        self._done = 0  # put() calls committed (or failed and reported)
        self._flush_requested = False
        self._written = 0
        self._last_error: Exception | None = None
        self._stopped = False
        self._store: MetricStore | None = None
        self._thread = threading.Thread(target=self._run, name="headroom-store-writer", daemon=True)

    @property
    def written(self) -> int:
        """Samples committed so far."""
        with self._state:
            return self._written

    @property
    def last_error(self) -> Exception | None:
        with self._state:
            return self._last_error

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        """Open the store (StoreError here, on the caller's thread) and start the thread."""
        self._store = MetricStore(self.path)
        self._thread.start()

    def put(self, samples: Sequence[Sample]) -> None:
        """Queue samples for writing; never blocks on the database."""
        with self._state:
            if self._stopped:
                raise RuntimeError("StoreWriter.put after stop()")
            self._queued += 1
            self._queue.put(list(samples))

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything queued before this call is committed; TimeoutError if not."""
        with self._state:
            target = self._queued
            if self._done >= target:
                return
            if not self._thread.is_alive():
                raise RuntimeError("StoreWriter is not running; call start() first")
            self._flush_requested = True
        self._queue.put(None)  # wake the thread so it commits without waiting out the interval
        with self._state:
            if not self._state.wait_for(lambda: self._done >= target, timeout):
                raise TimeoutError(f"store writer did not flush within {timeout:g} s")

    def stop(self, timeout: float = 5.0) -> None:
        """Commit what is queued, end the thread and close the store, within ``timeout``."""
        with self._state:
            already = self._stopped
            self._stopped = True
        if not already and self._thread.is_alive():
            self._queue.put(_STOP)
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError(f"store writer did not stop within {timeout:g} s")
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- the thread ------------------------------------------------------------------

    def _run(self) -> None:
        pending: list[Sample] = []
        pending_puts = 0
        deadline: float | None = None
        stopping = False
        while not stopping:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                item = None
            if item is _STOP:
                stopping = True
            elif isinstance(item, list):
                pending.extend(item)
                pending_puts += 1
                if deadline is None:
                    deadline = time.monotonic() + self.flush_interval
            with self._state:
                flush_now = self._flush_requested
                self._flush_requested = False
            due = deadline is not None and time.monotonic() >= deadline
            if pending_puts and (stopping or flush_now or due or len(pending) >= self.batch_size):
                # Drain what is already queued so one flush commits it all together.
                while len(pending) < self.batch_size * 4:
                    try:
                        extra = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if extra is _STOP:
                        stopping = True
                    elif isinstance(extra, list):
                        pending.extend(extra)
                        pending_puts += 1
                self._commit(pending, pending_puts)
                pending, pending_puts, deadline = [], 0, None
            elif flush_now and not pending_puts:
                self._commit([], 0)

    def _commit(self, samples: list[Sample], puts: int) -> None:
        written = 0
        error: Exception | None = None
        try:
            assert self._store is not None
            written = self._store.write(samples) if samples else 0
        except Exception as caught:  # reported, never allowed to kill the thread
            error = caught
            log.warning("store writer dropped %d samples: %s", len(samples), caught)
        with self._state:
            self._written += written
            self._done += puts
            if error is not None:
                self._last_error = error
            self._state.notify_all()
        if error is not None and self.on_error is not None:
            try:
                self.on_error(error)
            except Exception:  # a broken callback must not stop the writing
                log.exception("store writer on_error callback failed")
