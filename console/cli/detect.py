"""``headroom detect IN --out OUT.csv``: anomaly scores and incidents for one metric series.

Input: any metric file ``connectors.files.read_metric_file`` reads (CSV, Parquet,
JSON, JSON Lines; wide or long). With several value columns, ``--column`` picks one;
without it the command refuses (exit 2) and lists the columns, rather than guess.

Output CSV, one row per input row in time order (the reader sorts by time; rows with
a missing value are kept, scored 0), columns::

    timestamp      ISO-8601 UTC, e.g. 2014-07-01T00:00:00.000Z
    value          the input value (empty when missing)
    anomaly_score  in [0, 1], the combined detector's onset score: it peaks when the
                   series becomes more unusual than anything in its recent past (0.5 =
                   as unusual as the worst of the past week) and decays while an
                   incident goes on, so one incident gives one high score (NAB-style)
    is_anomaly     true inside an incident, else false
    severity       low / medium / high for rows inside an incident, else empty
    pattern        spike / dip / level shift / trend / flatline, else empty

Incidents (``is_anomaly``) are cut from the larger of that score and the sustained
strength of the deviation: they open at 0.6 and close below 0.45, and incidents
less than 12 rows apart are merged; rows inside an incident can therefore carry a
low ``anomaly_score`` after its onset. Each incident is also printed on
stdout, one line with its recommended action. Bad input: one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli.errors import EXIT_OK
from console.cli.safe_io import atomic_text, check_writable, read_one_column

if TYPE_CHECKING:
    import numpy as np

    from models.anomaly.pipeline import SeriesResult


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="score a metric series for anomalies and list its incidents",
        description="Score every row of a metric file for anomalies (streaming detectors: "
        "the score of a row only uses earlier rows) and write timestamp, value, "
        "anomaly_score, is_anomaly, severity, pattern to a CSV file.",
    )
    parser.add_argument("input", type=Path, metavar="IN", help="metric file to analyse")
    parser.add_argument("--column", metavar="C", help="value column (needed if several)")
    parser.add_argument(
        "--host", metavar="H", help="host name used in recommended actions (default: from file)"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="OUT.csv", help="output CSV")


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    check_writable(out, (".csv",))
    column, series = read_one_column(args.input, args.column, 1, "nothing to score")
    # Heavy imports only when the command runs: `headroom --help` stays instant.
    from models.anomaly import detect_series, epoch_seconds

    host, metric = _host_and_metric(column, args.host)
    values = series.to_numpy(dtype=float)
    timestamps = epoch_seconds(series.index)
    result = detect_series(values, timestamps, metric=metric, host=host)
    _write(out, timestamps, values, result)
    for incident in result.incidents:
        print(
            f"{_iso(incident.start)} .. {_iso(incident.end)}  {incident.severity:<6}  "
            f"{incident.pattern:<11}  peak {incident.peak_score:.2f}  {incident.action}"
        )
    print(f"{len(values)} rows scored, {len(result.incidents)} incidents -> {out}")
    return EXIT_OK


def _host_and_metric(column: str, host: str | None) -> tuple[str, str]:
    """Long files pivot to ``host/metric`` columns; wide files name the metric only."""
    file_host, sep, metric = column.rpartition("/")
    return (host or (file_host if sep else "this host")), metric


def _iso(timestamp: float) -> str:
    from connectors.files import format_timestamp

    return format_timestamp(timestamp)


def _write(path: Path, timestamps: np.ndarray, values: np.ndarray, result: SeriesResult) -> None:
    import numpy as np
    import pandas as pd

    rows = len(values)
    severity = np.full(rows, "", dtype=object)
    pattern = np.full(rows, "", dtype=object)
    for incident in result.incidents:
        span = slice(incident.start_row, incident.end_row + 1)
        severity[span] = incident.severity.value
        pattern[span] = incident.pattern.value
    table = pd.DataFrame(
        {
            "timestamp": [_iso(t) for t in timestamps],
            "value": values,
            "anomaly_score": np.round(np.clip(result.scores.score, 0.0, 1.0), 6),
            "is_anomaly": np.where(severity != "", "true", "false"),
            "severity": severity,
            "pattern": pattern,
        }
    )
    # Write beside the target and rename: an interrupted run leaves no partial file.
    with atomic_text(path, newline="") as stream:
        table.to_csv(stream, index=False, na_rep="")
