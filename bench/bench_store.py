"""Metric store benchmark: insert rate and a downsampled 24 h query, against naive baselines.

    .venv/bin/python -m bench.bench_store [--runs N]

Goals (issue "Foundation", part 4): at least 200,000 samples/s inserted, and a 24 h
range at 1 s resolution (86,400 points) downsampled to 2,000 points in under 50 ms.
Wall time is what a user waits; CPU time (this process only) is shown beside it
because the machine is shared and wall time swings with other people's jobs.

Baselines: one INSERT and commit per sample (the naive store), ``executemany`` into
the same key layout in one transaction (what the store's multi-row statements
replace), SQL GROUP BY over the raw rows (the store without roll-ups) and fetching all
raw rows into numpy.
"""

from __future__ import annotations

import argparse
import itertools
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import numpy as np

from bench.common import median_seconds, print_table
from connectors.store import MetricStore, StoreWriter
from connectors.store import store as store_module
from connectors.store.downsample import Partials, bucket_width_ms, fold
from models.samples import Sample

T0 = 1_700_000_000.0
DAY_POINTS = 86_400
INSERT_GOAL = 200_000.0  # samples/s
QUERY_GOAL = 0.050  # seconds


def timed(function: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall seconds (bench.common.median_seconds) and median CPU seconds."""
    cpu: list[float] = []

    def measured() -> None:
        start = time.process_time()
        function()
        cpu.append(time.process_time() - start)

    wall = median_seconds(measured, runs=runs, warmup=1)
    return wall, statistics.median(cpu[1:])  # the first is the untimed warm-up


def collector_batch(number: int, size: int = 5000, series: int = 50) -> list[Sample]:
    """What a collector sends: many series, interleaved, one timestamp per round."""
    first = T0 + number * (size // series)
    return [
        Sample(first + i // series, "local", "bench", f"metric.{i % series}", float(i % 97))
        for i in range(size)
    ]


def insert_rows(folder: Path, runs: int) -> list[list[object]]:
    rows = []
    values = np.random.default_rng(0).random(DAY_POINTS)
    with MetricStore(folder / "insert.sqlite") as store:
        counter = itertools.count()

        def arrays() -> None:
            store.write_arrays(
                "local", f"host{next(counter)}", "cpu.percent", T0 + np.arange(DAY_POINTS), values
            )

        wall, cpu = timed(arrays, runs)
        rows.append(
            _insert_row("write_arrays, 86,400 samples / transaction", DAY_POINTS, wall, cpu)
        )

        batches = itertools.count()
        prepared = [collector_batch(n) for n in range(20 * (runs + 1))]

        def samples() -> None:
            for _ in range(20):  # 100,000 samples in 5,000-sample transactions
                store.write(prepared[next(batches)])

        wall, cpu = timed(samples, runs)
        rows.append(
            _insert_row("write(Sample), 50 series, 5,000 / transaction", 100_000, wall, cpu)
        )

    writer_batches = iter([collector_batch(10_000 + n) for n in range(20 * (runs + 1))])

    def through_writer() -> None:
        writer = StoreWriter(folder / "writer.sqlite", batch_size=5000, flush_interval=0.5)
        writer.start()
        for _ in range(20):
            writer.put(next(writer_batches))
        writer.stop(timeout=60)

    wall, cpu = timed(through_writer, runs)
    rows.append(_insert_row("StoreWriter put/stop, 100,000 samples", 100_000, wall, cpu))

    # Baseline: a naive store, one INSERT and one commit per sample.
    naive = sqlite3.connect(folder / "naive.sqlite", isolation_level=None)
    naive.execute("PRAGMA journal_mode = WAL")
    naive.execute("PRAGMA synchronous = NORMAL")
    naive.execute("CREATE TABLE samples (ts REAL, source TEXT, host TEXT, metric TEXT, value REAL)")
    naive_batches = iter([collector_batch(50_000 + n, size=2000) for n in range(runs + 1)])

    def one_by_one() -> None:
        for sample in next(naive_batches):
            naive.execute(
                "INSERT INTO samples VALUES (?, ?, ?, ?, ?)",
                (sample.timestamp, sample.source, sample.host, sample.metric, sample.value),
            )

    wall, cpu = timed(one_by_one, runs)
    rows.append(_insert_row("baseline: 1 INSERT + commit per sample", 2000, wall, cpu))

    # Baseline: the same key layout as the store, rows bound one by one by executemany.
    naive.execute(
        "CREATE TABLE keyed (series_id INTEGER, ts INTEGER, value REAL,"
        " PRIMARY KEY (series_id, ts)) WITHOUT ROWID"
    )
    keyed_series = itertools.count()
    stamps = (T0 * 1000 + np.arange(DAY_POINTS) * 1000).astype(np.int64).tolist()

    def executemany() -> None:
        series_id = next(keyed_series)
        naive.execute("BEGIN")
        naive.executemany(
            "INSERT OR IGNORE INTO keyed VALUES (?, ?, ?)",
            zip(itertools.repeat(series_id), stamps, values.tolist()),
        )
        naive.execute("COMMIT")

    wall, cpu = timed(executemany, runs)
    naive.close()
    rows.append(_insert_row("baseline: executemany, 1 transaction", DAY_POINTS, wall, cpu))
    return rows


def _insert_row(name: str, samples: int, wall: float, cpu: float) -> list[object]:
    rate = samples / wall
    return [
        name,
        samples,
        wall,
        rate,
        samples / cpu,
        f">= {INSERT_GOAL:,.0f}/s",
        _met(rate >= INSERT_GOAL),
    ]


def query_rows(folder: Path, runs: int) -> list[list[object]]:
    path = folder / "query.sqlite"
    rng = np.random.default_rng(1)
    with MetricStore(path) as store:
        # The day being charted, plus two neighbours so the range scan is not the whole table.
        for day in (-1, 0, 1):
            store.write_arrays(
                "local",
                "bench",
                "cpu.percent",
                T0 + day * DAY_POINTS + np.arange(DAY_POINTS),
                rng.normal(40, 10, DAY_POINTS),
            )
        start, end = T0, T0 + DAY_POINTS - 1
        rows = []

        def store_query() -> None:
            result = store.query("bench", "cpu.percent", start, end, max_points=2000)
            assert len(result) <= 2000

        wall, cpu = timed(store_query, runs)
        rows.append(_query_row("MetricStore.query (roll-ups + raw ends)", wall, cpu))

        def raw_sql_buckets() -> None:
            with mock.patch.object(store_module, "RAW_SCAN_LIMIT", 10**9):
                store.query("bench", "cpu.percent", start, end, max_points=2000)

        wall, cpu = timed(raw_sql_buckets, runs)
        rows.append(_query_row("baseline: SQL GROUP BY over raw rows", wall, cpu))

    plain = sqlite3.connect(path)
    (series_id,) = plain.execute("SELECT id FROM series WHERE host = 'bench'").fetchone()

    def fetch_all() -> None:
        fetched = plain.execute(
            "SELECT ts, value, value, value, 1 FROM samples WHERE series_id = ?"
            " AND ts >= ? AND ts <= ? ORDER BY ts",
            (series_id, int(start * 1000), int(end * 1000)),
        ).fetchall()
        width = bucket_width_ms(int(start * 1000), int(end * 1000), 2000)
        assert len(fetched) == DAY_POINTS
        fold(Partials.from_rows(fetched), width)

    wall, cpu = timed(fetch_all, runs)
    plain.close()
    rows.append(_query_row("baseline: fetch 86,400 raw rows + numpy", wall, cpu))
    return rows


def _query_row(name: str, wall: float, cpu: float) -> list[object]:
    return [name, wall * 1000, cpu * 1000, f"< {QUERY_GOAL * 1000:.0f} ms", _met(wall < QUERY_GOAL)]


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="headroom-bench-") as folder:
        print_table(
            f"Store inserts (median of {args.runs} runs)",
            ["case", "samples", "wall s", "samples/s (wall)", "samples/s (CPU)", "goal", "met"],
            insert_rows(Path(folder), args.runs),
        )
        print_table(
            f"24 h at 1 s (86,400 points) to <= 2,000 points (median of {args.runs} runs)",
            ["case", "wall ms", "CPU ms", "goal", "met"],
            query_rows(Path(folder), args.runs),
        )


if __name__ == "__main__":
    main()
