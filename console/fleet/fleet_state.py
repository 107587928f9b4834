"""The fleet's numbers, columnar and thread-safe, with no Qt: what the fleet table shows.

Poller workers call :meth:`FleetState.ingest` (and ``set_status``) from their
threads; the GUI's model calls :meth:`FleetState.take_changes` a few times a
second and repaints only the rows that changed. Per host it keeps the latest
value of each fleet metric and a ring of ``window_s`` seconds at ``resolution_s``
(float32, NaN where nothing arrived) that feeds the sparkline, the anomaly flag
and the forecast peak.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
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
ANALYSIS_POINTS = 60  # the anomaly flag and forecast look at this many recent slots
FORECAST_AHEAD_S = 3600.0
ANOMALY_Z = 4.0


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
        self._published = 0  # rows the GUI knows about
        self._dirty: set[int] = set()
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

    def set_status(self, connection: str, status: ConnectionStatus) -> None:
        with self._lock:
            self.status[connection] = status
            self._dirty.update(self._rows_by_connection.get(connection, ()))

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

    def analyse_all(self) -> None:
        """Recompute anomaly flags and forecast peaks of every row (a background thread
        calls this every few seconds, so the GUI thread never pays for it)."""
        with self._lock:
            count = len(self.hosts)
        rows = np.arange(count, dtype=np.int64)
        if rows.size:
            self._analyse(rows)

    def take_changes(self, analyse: bool = False) -> Changes:
        """Publish new rows and hand over the dirty ones (the GUI thread calls this).

        The lock is held only to swap the dirty set: workers keep ingesting while
        the analysis runs (a value written meanwhile is simply seen next time).
        """
        with self._lock:
            new_rows = len(self.hosts) - self._published
            self._published = len(self.hosts)
            taken, self._dirty = self._dirty, set()
        dirty = np.fromiter(taken, dtype=np.int64, count=len(taken))
        dirty.sort()
        if analyse and dirty.size:
            self._analyse(dirty)
        return Changes(new_rows, dirty)

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

    def _analyse(self, rows: np.ndarray) -> None:
        """Anomaly flag (robust z of the latest CPU slot) and forecast peak (linear trend)."""
        recent = self._recent(rows, CPU, ANALYSIS_POINTS)
        enough = np.sum(np.isfinite(recent), axis=1) >= 10
        # Rows with too little data are all-NaN slices: masked below, so silence numpy.
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            past = recent[:, :-1]
            median = np.nanmedian(np.where(enough[:, None], past, 0.0), axis=1)
            mad = np.nanmedian(np.abs(past - median[:, None]), axis=1) * 1.4826
            spread = np.maximum(mad, 1.0)  # a flat 0.1 % wobble is not an anomaly
            z = np.abs(recent[:, -1] - median) / spread
            self.anomaly[rows] = enough & np.isfinite(z) & (z > ANOMALY_Z)
            x = np.arange(ANALYSIS_POINTS, dtype=np.float64)[None, :]
            valid = np.isfinite(recent)
            xs = np.where(valid, x, np.nan)
            x_mean = np.nanmean(xs, axis=1, keepdims=True)
            y_mean = np.nanmean(recent, axis=1, keepdims=True)
            slope = np.nansum((xs - x_mean) * (recent - y_mean), axis=1) / np.nansum(
                (xs - x_mean) ** 2, axis=1
            )
            ahead = (ANALYSIS_POINTS - 1 - x_mean[:, 0]) + FORECAST_AHEAD_S / self.resolution_s
            end = y_mean[:, 0] + slope * ahead
            peak = np.clip(np.fmax(np.nanmax(recent, axis=1), end), 0.0, 100.0)
            self.forecast_peak[rows] = np.where(enough, peak, np.nan)
