"""``headroom analyze IN --report OUT.html``: an offline report of a metric file.

For each value column: a chart of the history tail with the forecast and its 80 % and
95 % bands and the anomaly incidents, the seasonality found, what data preparation did,
a model scoreboard from a short rolling-origin backtest, time to exhaustion (bounded
metrics only, see :mod:`console.report.analysis`) and the anomaly table. The report is
one self-contained HTML file. Runs headless: no Qt is imported.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from console import __version__
from console.cli.errors import EXIT_OK, UsageError
from console.cli.progress import ProgressBar
from console.cli.safe_io import atomic_text, check_writable

if TYPE_CHECKING:
    import pandas as pd

MAX_COLUMNS = 20  # without --column: more series make a report nobody reads to the end
REPORT_SUFFIXES = (".html", ".htm")
EXIT_INTERRUPTED = 130


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="write an HTML report (forecast, seasonality, anomalies) of a metric file",
        description="Analyse every value column of a metric file (CSV, Parquet, JSON, JSON "
        "Lines; long or wide) and write a self-contained HTML report: chart with forecast "
        "bands and anomalies, seasonality, data preparation, model scoreboard, time to "
        "exhaustion for bounded metrics, and the anomaly table.",
    )
    parser.add_argument("input", type=Path, metavar="IN", help="metric file to analyse")
    parser.add_argument(
        "--report", type=Path, required=True, metavar="OUT.html", help="HTML file to write"
    )
    parser.add_argument(
        "--horizon",
        metavar="H",
        help="how far to forecast: a duration (6h, 90min, 1d) or a number of steps "
        "(default: one day; capped at 48 h)",
    )
    parser.add_argument(
        "--column",
        action="append",
        metavar="C",
        help="column to analyse (repeat, or a comma list; default: all, at most "
        f"{MAX_COLUMNS}); in long files 'host/metric' or just 'metric'",
    )
    parser.add_argument("--title", metavar="TEXT", help="report title (default: the file name)")
    parser.add_argument(
        "--models",
        metavar="LIST",
        help="comma list of candidate models (default: naive,profile,profile_trend,linear; "
        "also ets, arima, gbm — slower)",
    )


def parse_horizon(text: str | None) -> pd.Timedelta | int:
    """``None`` → one day; ``"288"`` → 288 steps; ``"6h"`` → six hours."""
    import pandas as pd

    if text is None:
        return pd.Timedelta(days=1)
    cleaned = text.strip()
    if re.fullmatch(r"\d+", cleaned):
        steps = int(cleaned)
        if steps < 1:
            raise UsageError("--horizon must be at least 1 step")
        return steps
    try:
        horizon = pd.Timedelta(cleaned)
    except (ValueError, TypeError):
        raise UsageError(
            f"--horizon {text!r} is neither a duration (6h, 90min, 1d) nor a number of steps"
        ) from None
    if horizon <= pd.Timedelta(0):
        raise UsageError(f"--horizon {text!r} must be positive")
    return horizon


def parse_models(text: str | None) -> tuple[str, ...]:
    from models.forecast import FAST_CANDIDATES, MODELS

    if text is None:
        return FAST_CANDIDATES
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in MODELS]
    if unknown or not names:
        raise UsageError(
            f"--models: unknown model {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {', '.join(MODELS)}"
        )
    return names


def select_columns(
    available: list[str], wanted: list[str] | None, path: Path
) -> tuple[list[str], list[str]]:
    """The columns to analyse, and notes for the report header."""
    if not wanted:
        if len(available) <= MAX_COLUMNS:
            return available, []
        skipped = len(available) - MAX_COLUMNS
        note = (
            f"{len(available)} value columns: the first {MAX_COLUMNS} are analysed, "
            f"{skipped} skipped (choose with --column)"
        )
        return available[:MAX_COLUMNS], [note]
    chosen: list[str] = []
    for item in wanted:
        for name in (part.strip() for part in item.split(",")):
            if name:
                resolved = _resolve(available, name, path)
                if resolved not in chosen:
                    chosen.append(resolved)
    if not chosen:
        raise UsageError("--column: no column name given")
    return chosen, []


def _resolve(available: list[str], name: str, path: Path) -> str:
    if name in available:
        return name
    # Long files name columns host/metric; a bare metric is fine when one host has it.
    matches = [column for column in available if column.split("/", 1)[-1] == name]
    if len(matches) == 1:
        return matches[0]
    shown = ", ".join(available[:20]) + (", ..." if len(available) > 20 else "")
    problem = "matches several columns" if matches else "not found"
    raise UsageError(f"{path}: column {name!r} {problem}; available: {shown}")


def check_report_path(path: Path) -> None:
    check_writable(path, REPORT_SUFFIXES, kind="report")


def write_atomically(path: Path, text: str) -> None:
    with atomic_text(path) as stream:
        stream.write(text)


def run(args: argparse.Namespace) -> int:
    horizon = parse_horizon(args.horizon)
    candidates = parse_models(args.models)
    check_report_path(args.report)
    # Heavy imports only now, so `headroom --help` stays instant.
    import numpy as np

    from connectors.files import MetricFileError, read_metric_file
    from console.report import ReportHeader, analyze_series, render_report
    from models.anomaly.base import epoch_seconds

    try:
        frame = read_metric_file(args.input, min_rows=2)
    except MetricFileError as error:
        raise UsageError(str(error)) from None
    columns, notes = select_columns([str(c) for c in frame.columns], args.column, args.input)
    stamps = np.unique(epoch_seconds(frame.index))
    header = ReportHeader(
        title=args.title or f"Analysis of {args.input.name}",
        file_name=args.input.name,
        rows=len(frame),
        first=float(stamps[0]),
        last=float(stamps[-1]),
        step_seconds=float(np.median(np.diff(stamps))) if len(stamps) > 1 else None,
        generated_at=time.time(),
        version=__version__,
        notes=notes,
    )
    analyses = []
    try:
        with ProgressBar(len(columns), label="analyzing", unit="series") as bar:
            for done, column in enumerate(columns, start=1):
                analyses.append(analyze_series(column, frame[column], horizon, candidates))
                bar.update(done)
    except KeyboardInterrupt:
        print(f"headroom analyze: interrupted; nothing written to {args.report}", file=sys.stderr)
        return EXIT_INTERRUPTED
    try:
        write_atomically(args.report, render_report(header, analyses))
    except OSError as error:
        raise UsageError(f"{args.report}: cannot write: {error.strerror or error}") from None
    print(f"wrote a report of {len(analyses)} series to {args.report}")
    return EXIT_OK
