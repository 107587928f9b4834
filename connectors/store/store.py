"""MetricStore: samples in, downsampled ranges out, with retention.

One MetricStore owns one sqlite3 connection. Its methods may be called from any
thread (a lock serialises them); for parallel reading and writing use one MetricStore
per thread — WAL mode lets readers proceed while a writer commits.
"""

from __future__ import annotations

import heapq
import itertools
import math
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from operator import attrgetter
from pathlib import Path

import numpy as np

from connectors.paths import default_store_path
from connectors.store import schema
from connectors.store.bulk import insert_rows
from connectors.store.downsample import Partials, bucket_width_ms, fold
from connectors.store.errors import StoreError, from_sqlite
from connectors.store.values import QueryResult, RetentionPolicy, RetentionReport, SeriesKey
from models.samples import Sample

MINUTE_MS = schema.MINUTE_MS
DAY_MS = 86_400_000
# Above this many raw rows a query reads 1-minute roll-ups instead: SQLite aggregates
# about a million rows a second here, and an interactive chart wants answers in ~20 ms.
RAW_SCAN_LIMIT = 20_000
_RAW_HORIZON_KEY = "raw_horizon_ms"


def to_ms(seconds: float) -> int:
    return int(round(seconds * 1000.0))


def _minute_floor(ms: int) -> int:
    return ms - ms % MINUTE_MS  # Python's % is a floor modulo: right for negatives too


def _minute_ceil(ms: int) -> int:
    return -_minute_floor(-ms)


class MetricStore:
    """The embedded metric store (see :mod:`connectors.store.schema` for the layout).

    Timestamps are kept to the millisecond. NaN values are not stored (a gap is a
    missing sample); a second write of the same (series, millisecond) replaces the first.
    """

    def __init__(
        self,
        path: Path | None = None,
        retention: RetentionPolicy = RetentionPolicy(),  # noqa: B008 - frozen, shared safely
        readonly: bool = False,
    ) -> None:
        self.path = Path(path if path is not None else default_store_path()).absolute()
        self.retention = retention
        self.readonly = readonly
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = schema.connect(self.path, readonly)
        self._series_ids: dict[SeriesKey, int] = {}

    # -- plumbing --------------------------------------------------------------------

    def __enter__(self) -> MetricStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    @property
    def closed(self) -> bool:
        return self._connection is None

    @contextmanager
    def _use(self, doing: str, write: bool = False) -> Iterator[sqlite3.Connection]:
        """The connection under the lock, inside one transaction; errors become StoreError.

        Reads get a transaction too: a query runs several SELECTs (roll-ups, raw ends),
        and only a single snapshot keeps them consistent while a writer commits.
        """
        with self._lock:
            connection = self._connection
            if connection is None:
                raise StoreError(self.path, "the store is closed", "Open it again")
            if write and self.readonly:
                raise StoreError(self.path, "is open read-only", "Open it read-write")
            try:
                connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield connection
                connection.execute("COMMIT")
            except sqlite3.Error as error:
                self._roll_back(connection)
                raise from_sqlite(self.path, error, doing) from None
            except BaseException:
                self._roll_back(connection)
                raise

    def _roll_back(self, connection: sqlite3.Connection) -> None:
        schema.rollback_quietly(connection)
        # Series created in the rolled-back transaction no longer exist.
        self._series_ids.clear()

    def _series_id(self, connection: sqlite3.Connection, key: SeriesKey) -> int:
        found = self._series_ids.get(key)
        if found is not None:
            return found
        connection.execute(
            "INSERT OR IGNORE INTO series (source, host, metric) VALUES (?, ?, ?)",
            (key.source, key.host, key.metric),
        )
        row = connection.execute(
            "SELECT id FROM series WHERE source = ? AND host = ? AND metric = ?",
            (key.source, key.host, key.metric),
        ).fetchone()
        self._series_ids[key] = int(row[0])
        return int(row[0])

    def _raw_horizon(self, connection: sqlite3.Connection) -> int:
        row = connection.execute(
            "SELECT value FROM meta WHERE key = ?", (_RAW_HORIZON_KEY,)
        ).fetchone()
        return int(row[0]) if row else -(2**62)

    # -- writing ---------------------------------------------------------------------

    def write(self, samples: Iterable[Sample]) -> int:
        """Store samples in one transaction; returns how many were stored (NaNs skipped)."""
        batch = samples if isinstance(samples, list | tuple) else list(samples)
        if not batch:
            return 0
        # attrgetter over the whole batch runs in C: far cheaper than a Python loop.
        names = list(map(attrgetter("source", "host", "metric"), batch))
        stamps = np.fromiter(map(attrgetter("timestamp"), batch), np.float64, len(batch))
        values = np.fromiter(map(attrgetter("value"), batch), np.float64, len(batch))
        positions = {name: i for i, name in enumerate(dict.fromkeys(names))}
        index = np.fromiter(map(positions.__getitem__, names), np.int64, len(batch))
        with self._use("writing samples", write=True) as connection:
            ids = np.array(
                [self._series_id(connection, SeriesKey(*name)) for name in positions],
                dtype=np.int64,
            )
            return self._insert(connection, ids[index], stamps, values)

    def write_arrays(
        self,
        source: str,
        host: str,
        metric: str,
        timestamps: np.ndarray,
        values: np.ndarray,
    ) -> int:
        """Store one series from arrays (seconds, values) in one transaction."""
        stamps = np.asarray(timestamps, dtype=np.float64).ravel()
        numbers = np.asarray(values, dtype=np.float64).ravel()
        if stamps.shape != numbers.shape:
            raise ValueError(f"{len(stamps)} timestamps but {len(numbers)} values")
        if not len(stamps):
            return 0
        with self._use("writing samples", write=True) as connection:
            series_id = self._series_id(connection, SeriesKey(source, host, metric))
            return self._insert(connection, np.full(len(stamps), series_id), stamps, numbers)

    def _insert(
        self,
        connection: sqlite3.Connection,
        series_ids: np.ndarray,
        seconds: np.ndarray,
        values: np.ndarray,
    ) -> int:
        keep = ~np.isnan(values) & np.isfinite(seconds)
        ids = series_ids[keep].astype(np.int64)
        ts = np.rint(seconds[keep] * 1000.0).astype(np.int64)
        numbers = values[keep]
        # Key order turns B-tree inserts into appends; stable, so a repeat keeps its
        # place after the earlier one and "the last write wins" still holds.
        order = np.lexsort((ts, ids))
        ids, ts, numbers = ids[order], ts[order], numbers[order]
        if not len(ts):
            return 0
        horizon = self._raw_horizon(connection)
        late = ts < horizon
        if late.any():
            # Older than what retention already rolled up: fold into the roll-ups only.
            self._merge_late(connection, ids[late], ts[late], numbers[late])
            ids, ts, numbers = ids[~late], ts[~late], numbers[~late]
        if not len(ts):
            return int(keep.sum())
        columns = [ids.tolist(), ts.tolist(), numbers.tolist()]
        inserted = insert_rows(
            connection, "INSERT OR IGNORE INTO samples (series_id, ts, value) VALUES", columns
        )
        if inserted == len(ts):
            # The usual case, all new: merge this batch's per-minute aggregates.
            self._merge_rollups(connection, ids, ts, numbers)
        else:
            # Some replace earlier samples (or repeat within the batch; the last wins):
            # store them, then recompute the touched minutes from the raw rows.
            insert_rows(
                connection, "INSERT OR REPLACE INTO samples (series_id, ts, value) VALUES", columns
            )
            self._recompute_rollups(connection, ids, ts)
        return int(keep.sum())

    def _merge_rollups(
        self,
        connection: sqlite3.Connection,
        ids: np.ndarray,
        ts: np.ndarray,
        values: np.ndarray,
    ) -> None:
        if not len(ts):
            return
        minutes = ts - ts % MINUTE_MS
        order = np.lexsort((minutes, ids))
        ids, minutes, values = ids[order], minutes[order], values[order]
        starts = np.flatnonzero(np.r_[True, (ids[1:] != ids[:-1]) | (minutes[1:] != minutes[:-1])])
        counts = np.diff(np.r_[starts, len(ids)])
        columns = [
            ids[starts].tolist(),
            minutes[starts].tolist(),
            np.minimum.reduceat(values, starts).tolist(),
            np.maximum.reduceat(values, starts).tolist(),
            np.add.reduceat(values, starts).tolist(),
            counts.tolist(),
        ]
        insert_rows(
            connection,
            "INSERT INTO rollup_1m (series_id, ts, minimum, maximum, total, count) VALUES",
            columns,
            "ON CONFLICT (series_id, ts) DO UPDATE SET"
            " minimum = min(minimum, excluded.minimum),"
            " maximum = max(maximum, excluded.maximum),"
            " total = total + excluded.total,"
            " count = count + excluded.count",
        )

    def _recompute_rollups(
        self, connection: sqlite3.Connection, ids: np.ndarray, ts: np.ndarray
    ) -> None:
        for series_id in np.unique(ids).tolist():
            mine = ts[ids == series_id]
            low, high = _minute_floor(int(mine.min())), _minute_floor(int(mine.max())) + MINUTE_MS
            connection.execute(
                "INSERT OR REPLACE INTO rollup_1m"
                " (series_id, ts, minimum, maximum, total, count)"
                f" SELECT series_id, {schema.MINUTE_FLOOR_SQL} AS minute,"
                " MIN(value), MAX(value), SUM(value), COUNT(*)"
                " FROM samples WHERE series_id = ? AND ts >= ? AND ts < ?"
                " GROUP BY minute",
                (series_id, low, high),
            )

    def _merge_late(
        self,
        connection: sqlite3.Connection,
        ids: np.ndarray,
        ts: np.ndarray,
        values: np.ndarray,
    ) -> None:
        # Their minutes' raw rows are gone, so a repeat cannot be told from a new sample;
        # merging is the best that can be done and late data is rare.
        self._merge_rollups(connection, ids, ts, values)

    # -- reading ---------------------------------------------------------------------

    def series(self, host: str | None = None, metric: str | None = None) -> list[SeriesKey]:
        with self._use("listing series") as connection:
            rows = connection.execute(
                "SELECT source, host, metric FROM series"
                " WHERE (?1 IS NULL OR host = ?1) AND (?2 IS NULL OR metric = ?2)"
                " ORDER BY host, metric, source",
                (host, metric),
            ).fetchall()
        return [SeriesKey(*row) for row in rows]

    def hosts(self) -> list[str]:
        with self._use("listing hosts") as connection:
            rows = connection.execute("SELECT DISTINCT host FROM series ORDER BY host").fetchall()
        return [row[0] for row in rows]

    def _ids(
        self,
        connection: sqlite3.Connection,
        host: str | None,
        metric: str | None,
        source: str | None = None,
    ) -> list[int]:
        rows = connection.execute(
            "SELECT id FROM series WHERE (?1 IS NULL OR host = ?1)"
            " AND (?2 IS NULL OR metric = ?2) AND (?3 IS NULL OR source = ?3) ORDER BY id",
            (host, metric, source),
        ).fetchall()
        return [row[0] for row in rows]

    def query(
        self,
        host: str,
        metric: str,
        start: float,
        end: float,
        max_points: int = 2000,
        source: str | None = None,
    ) -> QueryResult:
        """Samples of ``metric`` on ``host`` with ``start <= t <= end``, at most ``max_points``.

        Raw samples when they fit; otherwise min/max/mean buckets. Long ranges (more than
        RAW_SCAN_LIMIT raw samples) and ranges older than the raw retention are answered
        from the 1-minute roll-ups, with raw samples for the partial minutes at the ends,
        so every bucket is exact over the samples inside ``[start, end]``. With
        ``source=None`` all sources of that host and metric are merged.
        """
        if max_points < 2:
            raise ValueError(f"max_points must be at least 2, got {max_points}")
        start_ms, end_ms = to_ms(start), to_ms(end)
        with self._use("querying") as connection:
            ids = self._ids(connection, host, metric, source)
            if not ids or end_ms < start_ms:
                return _result(Partials.from_rows([]), downsampled=False, width_ms=0)
            in_ids = f"series_id IN ({','.join(map(str, ids))})"
            horizon = self._raw_horizon(connection)
            # Raw samples in the range, from the roll-ups: cheap, and capped so a year-long
            # range does not pay for an exact count (every roll-up row holds >= 1 sample).
            estimate = connection.execute(
                f"SELECT coalesce(sum(count), 0) FROM (SELECT count FROM rollup_1m"
                f" WHERE {in_ids} AND ts >= ? AND ts <= ? LIMIT ?)",
                (_minute_floor(start_ms), end_ms, RAW_SCAN_LIMIT + 1),
            ).fetchone()[0]
            if start_ms >= horizon and estimate <= RAW_SCAN_LIMIT:
                return self._query_raw(connection, in_ids, start_ms, end_ms, max_points)
            return self._query_rollups(connection, in_ids, start_ms, end_ms, max_points, horizon)

    def _query_raw(
        self,
        connection: sqlite3.Connection,
        in_ids: str,
        start_ms: int,
        end_ms: int,
        max_points: int,
    ) -> QueryResult:
        where = f"{in_ids} AND ts >= ? AND ts <= ?"
        count = connection.execute(
            f"SELECT count(*) FROM samples WHERE {where}", (start_ms, end_ms)
        ).fetchone()[0]
        if count <= max_points:
            rows = connection.execute(
                f"SELECT ts, value, value, value, 1 FROM samples WHERE {where} ORDER BY ts",
                (start_ms, end_ms),
            ).fetchall()
            return _result(Partials.from_rows(rows), downsampled=False, width_ms=0)
        width = bucket_width_ms(start_ms, end_ms, max_points)
        origin = start_ms - start_ms % width
        # Offsets from an aligned origin are non-negative, so SQL's truncating division
        # is a floor and buckets match fold()'s epoch-aligned grid.
        rows = connection.execute(
            f"SELECT ?1 + ((ts - ?1) / ?2) * ?2 AS bucket, MIN(value), MAX(value),"
            f" SUM(value), COUNT(*) FROM samples WHERE {in_ids} AND ts >= ?3 AND ts <= ?4"
            " GROUP BY bucket ORDER BY bucket",
            (origin, width, start_ms, end_ms),
        ).fetchall()
        return _result(Partials.from_rows(rows), downsampled=True, width_ms=width)

    def _query_rollups(
        self,
        connection: sqlite3.Connection,
        in_ids: str,
        start_ms: int,
        end_ms: int,
        max_points: int,
        horizon: int,
    ) -> QueryResult:
        width = bucket_width_ms(start_ms, end_ms, max_points, multiple_ms=MINUTE_MS)
        origin = start_ms - start_ms % width
        full_low, full_high = _minute_ceil(start_ms), _minute_floor(end_ms + 1)
        parts = []
        if full_low < full_high:
            parts.append(
                connection.execute(
                    f"SELECT ?1 + ((ts - ?1) / ?2) * ?2 AS bucket, MIN(minimum), MAX(maximum),"
                    f" SUM(total), SUM(count) FROM rollup_1m WHERE {in_ids}"
                    " AND ts >= ?3 AND ts < ?4 GROUP BY bucket",
                    (origin, width, full_low, full_high),
                ).fetchall()
            )
        # The partial minutes at both ends come from raw samples while those exist.
        edges = [(start_ms, min(full_low, end_ms + 1))]
        if full_high >= full_low:
            edges.append((full_high, end_ms + 1))
        for low, high in edges:
            if low >= high:
                continue
            if _minute_floor(low) >= horizon:
                sql = (
                    f"SELECT ts, value, value, value, 1 FROM samples WHERE {in_ids}"
                    " AND ts >= ? AND ts < ?"
                )
            else:  # raw already retired: the whole minute's roll-up is the best left
                sql = (
                    f"SELECT ts, minimum, maximum, total, count FROM rollup_1m WHERE {in_ids}"
                    " AND ts >= ? AND ts < ?"
                )
                low, high = _minute_floor(low), _minute_floor(low) + MINUTE_MS
            parts.append(connection.execute(sql, (low, high)).fetchall())
        folded = fold(Partials.concat([Partials.from_rows(rows) for rows in parts]), width)
        return _result(folded, downsampled=True, width_ms=width)

    def iter_samples(
        self,
        metric: str | None = None,
        host: str | None = None,
        start: float | None = None,
        end: float | None = None,
        batch_size: int = 10_000,
    ) -> Iterator[list[Sample]]:
        """Raw samples (not roll-ups) in time order, in lists of up to ``batch_size``.

        Each series is read in key order and the series are merged lazily, so memory
        stays bounded by the batch size whatever the range. Each batch is a fresh read.
        """
        low = to_ms(start) if start is not None else -(2**62)
        high = to_ms(end) if end is not None else 2**62
        with self._use("listing series") as connection:
            keys = {
                row[0]: SeriesKey(*row[1:])
                for row in connection.execute(
                    "SELECT id, source, host, metric FROM series"
                    " WHERE (?1 IS NULL OR host = ?1) AND (?2 IS NULL OR metric = ?2)",
                    (host, metric),
                )
            }
        streams = [
            self._series_stream(series_id, key, low, high, batch_size)
            for series_id, key in sorted(keys.items())
        ]
        merged = heapq.merge(*streams, key=lambda sample: sample.timestamp)
        while batch := list(itertools.islice(merged, batch_size)):
            yield batch

    def _series_stream(
        self, series_id: int, key: SeriesKey, low: int, high: int, batch_size: int
    ) -> Iterator[Sample]:
        # Keyset pagination: every page is a short, independent read, so no cursor or
        # read transaction stays open between the batches a caller consumes.
        after = low - 1
        while True:
            with self._use("reading samples") as connection:
                rows = connection.execute(
                    "SELECT ts, value FROM samples WHERE series_id = ? AND ts > ? AND ts <= ?"
                    " ORDER BY ts LIMIT ?",
                    (series_id, after, high, batch_size),
                ).fetchall()
            for ts, value in rows:
                yield Sample(ts / 1000.0, key.source, key.host, key.metric, value)
            if len(rows) < batch_size:
                return
            after = rows[-1][0]

    def count_samples(
        self,
        metric: str | None = None,
        host: str | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> int:
        """How many raw samples match (roll-ups not counted)."""
        low = to_ms(start) if start is not None else -(2**62)
        high = to_ms(end) if end is not None else 2**62
        with self._use("counting samples") as connection:
            ids = self._ids(connection, host, metric)
            if not ids:
                return 0
            return int(
                connection.execute(
                    f"SELECT count(*) FROM samples WHERE series_id IN ({','.join(map(str, ids))})"
                    " AND ts >= ? AND ts <= ?",
                    (low, high),
                ).fetchone()[0]
            )

    # -- housekeeping ----------------------------------------------------------------

    def apply_retention(self, now: float | None = None) -> RetentionReport:
        """Delete raw samples older than ``raw_days`` and roll-ups older than ``rollup_days``.

        Roll-ups are kept current on every write, so the raw minutes deleted here are
        already summarised; the cut is on a minute boundary so no minute is left half
        raw. One transaction.
        """
        now_ms = to_ms(time.time() if now is None else now)
        raw_cut = _minute_floor(now_ms - math.ceil(self.retention.raw_days * DAY_MS))
        rollup_cut = _minute_floor(now_ms - math.ceil(self.retention.rollup_days * DAY_MS))
        with self._use("applying retention", write=True) as connection:
            raw_cut = max(raw_cut, self._raw_horizon(connection))  # never moves back
            raw_deleted = rollups_deleted = 0
            for (series_id,) in connection.execute("SELECT id FROM series").fetchall():
                raw_deleted += connection.execute(
                    "DELETE FROM samples WHERE series_id = ? AND ts < ?", (series_id, raw_cut)
                ).rowcount
                rollups_deleted += connection.execute(
                    "DELETE FROM rollup_1m WHERE series_id = ? AND ts < ?",
                    (series_id, rollup_cut),
                ).rowcount
            connection.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (_RAW_HORIZON_KEY, raw_cut),
            )
        return RetentionReport(raw_deleted, rollups_deleted, raw_cut / 1000.0, rollup_cut / 1000.0)

    def size_bytes(self) -> int:
        """Bytes on disk: the database and its -wal and -shm files."""
        total = 0
        for suffix in ("", "-wal", "-shm"):
            with suppress(FileNotFoundError):
                total += Path(f"{self.path}{suffix}").stat().st_size
        return total


def _result(parts: Partials, downsampled: bool, width_ms: int) -> QueryResult:
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = parts.total / parts.count
    return QueryResult(
        timestamps=parts.ts / 1000.0,
        mean=mean if downsampled else parts.total.copy(),
        minimum=parts.minimum,
        maximum=parts.maximum,
        count=parts.count,
        downsampled=downsampled,
        bucket_seconds=width_ms / 1000.0,
    )
