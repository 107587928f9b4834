"""The fleet's numbers, columnar and thread-safe, with no Qt: what the fleet table shows.

Poller workers call :meth:`FleetState.ingest` (and ``set_status``) from their
threads; the GUI's model calls :meth:`FleetState.take_changes` a few times a
second and repaints only the rows that changed. Per host it keeps the latest
value of each fleet metric and a ring of ``window_s`` seconds at ``resolution_s``
(float32, NaN where nothing arrived) that feeds the sparkline, the anomaly flag
and the forecast peak. The flag and the peak come from the product's engines
(:mod:`console.fleet.insights`, in a worker), which read completed slots with
:meth:`FleetState.cpu_window` and write back with ``set_anomalies`` / ``set_forecasts``.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from models.samples import Sample

# Fleet metrics: (column name, catalogue family). Net and disk byte rates sum over
# instances (loopback excluded); disk space takes the fullest filesystem.
METRICS = (
    ("cpu", "cpu.percent"),
    ("mem", "mem.used.percent"),
    ("rx", "net.rx.bytes"),
    ("tx", "net.tx.bytes"),
    ("load", "load.1m"),
    ("disk", "disk.used.percent"),
    ("read", "disk.read.bytes"),
    ("write", "disk.write.bytes"),
)
METRIC_INDEX = {family: index for index, (_, family) in enumerate(METRICS)}
SUMMED = {
    METRIC_INDEX[f] for f in ("net.rx.bytes", "net.tx.bytes", "disk.read.bytes", "disk.write.bytes")
}
CPU = 0
SPARK_POINTS = 60


@dataclass
class ConnectionStatus:
    """``state``: connected, connecting, or a SourceError kind (refused, auth failed...)."""

    state: str = "connecting"
    message: str = ""
    retry_at: float = 0.0  # time.monotonic() of the next attempt, 0 when none is planned
    error: Exception | None = None  # the typed SourceError, for dialogs that need its data

    def text(self, now: float | None = None) -> str:
        if self.state in ("connected", "connecting"):
            return self.state
        left = self.retry_at - (time.monotonic() if now is None else now)
        if self.retry_at and left > 0:
            return f"{self.state} · retrying in {math.ceil(left)} s"
        return self.state


@dataclass
class Changes:
    """What happened since the last ``take_changes``: rows added and rows updated."""

    new_rows: int = 0  # rows [old_count, old_count + new_rows) appeared
    dirty: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    # The subset whose status or tags changed too (the others only have new numbers).
    labels: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


class FleetState:
    def __init__(self, window_s: float = 86400.0, resolution_s: float = 10.0) -> None:
        self.resolution_s = resolution_s
        self.slots = max(SPARK_POINTS, int(round(window_s / resolution_s)))
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str], int] = {}
        self._rows_by_connection: dict[str, list[int]] = {}
        self.hosts: list[str] = []
        self.sources: list[str] = []
        self.connections: list[str] = []
        self.tags: list[tuple[str, ...]] = []
        self._connection_tags: dict[str, tuple[str, ...]] = {}
        self.status: dict[str, ConnectionStatus] = {}
        capacity = 16
        self.latest = np.full((capacity, len(METRICS)), np.nan)
        self.updated_at = np.zeros(capacity)
        self.history = np.full((capacity, len(METRICS), self.slots), np.nan, dtype=np.float32)
        self.head = np.full(capacity, -1, dtype=np.int64)  # last absolute slot written per row
        self.anomaly = np.zeros(capacity, dtype=bool)
        self.forecast_peak = np.full(capacity, np.nan)
        # What produced the flag and the peak, for the cells' tooltips ("" when nothing).
        self.anomaly_note: list[str] = []
        self.peak_note: list[str] = []
        self._published = 0  # rows the GUI knows about
        self._dirty: set[int] = set()
        self._dirty_labels: set[int] = set()
        self.samples_ingested = 0

    # -- writers (any thread) -----------------------------------------------------------

    def declare(self, connection: str, host: str, source: str) -> int:
        """Make sure a row exists (e.g. for a host that has never answered)."""
        with self._lock:
            return self._row(connection, host, source)

    def set_connection_tags(self, connection: str, tags: tuple[str, ...]) -> None:
        with self._lock:
            self._connection_tags[connection] = tuple(tags)
            for row in self._rows_by_connection.get(connection, ()):
                self.tags[row] = tuple(tags)
                self._dirty.add(row)
                self._dirty_labels.add(row)

    def set_status(self, connection: str, status: ConnectionStatus) -> None:
        with self._lock:
            self.status[connection] = status
            rows = self._rows_by_connection.get(connection, ())
            self._dirty.update(rows)
            self._dirty_labels.update(rows)

    def ingest(self, connection: str, samples: list[Sample]) -> int:
        """Fold a batch of one connection's samples in; returns how many were fleet metrics."""
        # (row, metric, timestamp) -> value; summed families add up their instances.
        folded: dict[tuple[int, int, float], float] = {}
        with self._lock:
            for sample in samples:
                family, _, instance = sample.metric.partition(":")
                column = METRIC_INDEX.get(family)
                if column is None or instance == "lo" or not math.isfinite(sample.value):
                    continue
                row = self._row(connection, sample.host, sample.source)
                key = (row, column, sample.timestamp)
                previous = folded.get(key)
                if previous is None:
                    folded[key] = sample.value
                elif column in SUMMED:
                    folded[key] = previous + sample.value
                else:
                    folded[key] = max(previous, sample.value)
            for (row, column, timestamp), value in sorted(folded.items(), key=lambda i: i[0][2]):
                self._write(row, column, timestamp, value)
            self.samples_ingested += len(samples)
        return len(folded)

    # -- readers ------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return self._published

    def take_changes(self) -> Changes:
        """Publish new rows and hand over the dirty ones (the GUI thread calls this)."""
        with self._lock:
            new_rows = len(self.hosts) - self._published
            self._published = len(self.hosts)
            taken, self._dirty = self._dirty, set()
            labels, self._dirty_labels = self._dirty_labels, set()
        dirty = np.fromiter(taken, dtype=np.int64, count=len(taken))
        dirty.sort()
        return Changes(new_rows, dirty, np.sort(np.fromiter(labels, np.int64, len(labels))))

    def cpu_window(self, points: int) -> tuple[np.ndarray, np.ndarray]:
        """``(heads, values)``: per row, the last absolute slot written and the ``points``
        CPU slots *before* it, oldest first (a copy, NaN where missing).

        The head slot itself is left out: it is still being overwritten by this
        interval's polls, and a streaming detector cannot take a value back.
        """
        with self._lock:
            count = len(self.hosts)
            rows = np.arange(count, dtype=np.int64)
            heads = self.head[:count].copy()
            values = self._recent(rows, CPU, points + 1)[:, :-1] if count else np.empty((0, points))
        return heads, values

    def set_anomalies(self, rows: np.ndarray, flags: np.ndarray, notes: list[str]) -> None:
        """Results of the anomaly detectors (any thread); changed rows are repainted."""
        self._set_results("anomaly", rows, flags, self.anomaly_note, notes)

    def set_forecasts(self, rows: np.ndarray, peaks: np.ndarray, notes: list[str]) -> None:
        """Results of the forecasts (any thread); changed rows are repainted."""
        self._set_results("forecast_peak", rows, peaks, self.peak_note, notes)

    def _set_results(
        self,
        name: str,
        rows: np.ndarray,
        values: np.ndarray,
        note_list: list[str],
        notes: list[str],
    ) -> None:
        with self._lock:
            column = getattr(self, name)  # looked up under the lock: _grow replaces arrays
            for row, value, note in zip(rows.tolist(), values.tolist(), notes, strict=True):
                if note_list[row] != note or not _same(column[row].item(), value):
                    column[row] = value
                    note_list[row] = note
                    self._dirty.add(row)

    def sparkline(self, row: int, points: int = SPARK_POINTS) -> np.ndarray:
        """The last ``points`` CPU slots of ``row``, oldest first (NaN where missing)."""
        return self._recent(np.array([row]), CPU, points)[0]

    def status_of(self, row: int) -> ConnectionStatus:
        return self.status.get(self.connections[row]) or ConnectionStatus()

    def rows_of(self, connection: str) -> list[int]:
        with self._lock:
            return list(self._rows_by_connection.get(connection, ()))

    def memory_bytes(self) -> int:
        arrays = (self.latest, self.updated_at, self.history, self.head, self.anomaly)
        return sum(a.nbytes for a in arrays) + self.forecast_peak.nbytes

    # -- internals (lock held) ----------------------------------------------------------

    def _row(self, connection: str, host: str, source: str) -> int:
        key = (connection, host)
        row = self._rows.get(key)
        if row is not None:
            return row
        row = len(self.hosts)
        if row >= len(self.head):
            self._grow(2 * len(self.head))
        self._rows[key] = row
        self._rows_by_connection.setdefault(connection, []).append(row)
        self.hosts.append(host)
        self.sources.append(source)
        self.connections.append(connection)
        self.tags.append(self._connection_tags.get(connection, ()))
        self.anomaly_note.append("")
        self.peak_note.append("")
        return row

    def _grow(self, capacity: int) -> None:
        def grown(array: np.ndarray, fill: object) -> np.ndarray:
            bigger = np.full((capacity, *array.shape[1:]), fill, dtype=array.dtype)
            bigger[: len(array)] = array
            return bigger

        self.latest = grown(self.latest, np.nan)
        self.updated_at = grown(self.updated_at, 0.0)
        self.history = grown(self.history, np.nan)
        self.head = grown(self.head, -1)
        self.anomaly = grown(self.anomaly, False)
        self.forecast_peak = grown(self.forecast_peak, np.nan)

    def _write(self, row: int, column: int, timestamp: float, value: float) -> None:
        slot = int(timestamp // self.resolution_s)
        head = int(self.head[row])
        if slot > head:
            # Slots skipped since the last write are gaps, not old values.
            gap = min(slot - max(head, slot - self.slots), self.slots)
            cleared = (np.arange(slot - gap + 1, slot + 1)) % self.slots
            self.history[row, :, cleared] = np.nan
            self.head[row] = slot
        elif slot <= head - self.slots:
            return  # older than the window
        self.history[row, column, slot % self.slots] = value
        if slot >= head:
            self.latest[row, column] = value
            self.updated_at[row] = timestamp
        self._dirty.add(row)

    def _recent(self, rows: np.ndarray, column: int, points: int) -> np.ndarray:
        heads = self.head[rows]
        offsets = np.arange(points - 1, -1, -1)
        slots = (heads[:, None] - offsets[None, :]) % self.slots
        values = self.history[rows[:, None], column, slots].astype(np.float64)
        values[heads < 0] = np.nan
        return values


def _same(old: object, new: object) -> bool:
    """Equal, counting NaN as equal to NaN (an unknown peak that stays unknown)."""
    return old == new or (old != old and new != new)
