"""``headroom collect``: sample a source for a while, then write a CSV or Parquet file.

Everything is checked before the first sample (extension, output folder, numbers),
so a mistake costs nothing. The file is written once, at the end, atomically:
an interrupted run (Ctrl-C) writes nothing and says so, rather than leaving a
partial file that looks complete.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli.errors import EXIT_OK, UsageError
from console.cli.progress import ProgressBar

if TYPE_CHECKING:
    from connectors.local import Collector
    from models.samples import Sample

EXIT_INTERRUPTED = 130


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="collect this machine's metrics for N seconds into a CSV or Parquet file",
        description="Collect metrics of this machine every S seconds for N seconds "
        "(snapshots at 0, S, 2S, ... N) and write them as timestamp,source,host,metric,value "
        "rows. The file format follows the extension: .csv, .parquet or .pq.",
    )
    parser.add_argument(
        "--seconds", type=float, required=True, metavar="N", help="how long to collect"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar="S",
        help="seconds between snapshots (default 1.0)",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="output .csv/.parquet/.pq file"
    )


def open_source(uri: str) -> Collector:
    """The collector for a source URI. Only ``local`` exists; remote sources come later."""
    if uri == "local":
        from connectors.local import LocalCollector

        return LocalCollector()
    raise UsageError(f"unknown source {uri!r}: the only source is 'local'")


def check_output_path(path: Path) -> None:
    """Refuse, before any work, an output the run could not write."""
    # pandas and pyarrow load only when a command runs, so `headroom --help` stays instant.
    from connectors.files import MetricFileError, output_format

    try:
        output_format(path)
    except MetricFileError as error:
        raise UsageError(str(error)) from None
    if path.is_dir():
        raise UsageError(f"{path}: is a directory")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"{path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{path}: folder {folder} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{path}: file exists and is not writable")


def _check_numbers(seconds: float, interval: float) -> None:
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(f"--seconds must be a positive number, got {seconds:g}")
    if not math.isfinite(interval) or interval <= 0:
        raise UsageError(f"--interval must be a positive number, got {interval:g}")
    if interval > seconds:
        # One snapshot only: counters need two, so the file would lack rates entirely.
        raise UsageError(f"--interval {interval:g} is longer than --seconds {seconds:g}")


def run(args: argparse.Namespace) -> int:
    from connectors.files import MetricFileError, write_samples
    from connectors.local import run_collection

    _check_numbers(args.seconds, args.interval)
    check_output_path(args.out)
    collector = open_source("local")
    samples: list[Sample] = []
    started = time.monotonic()
    with ProgressBar(args.seconds, label="collecting", unit="s") as bar:

        def keep(batch: list[Sample]) -> None:
            samples.extend(batch)
            bar.update(time.monotonic() - started)

        try:
            run_collection(collector, args.interval, args.seconds, keep)
        except KeyboardInterrupt:
            bar.close()
            print(f"headroom collect: interrupted; nothing written to {args.out}", file=sys.stderr)
            return EXIT_INTERRUPTED
    try:
        count = write_samples(args.out, samples)
    except MetricFileError as error:
        raise UsageError(str(error)) from None
    series = len({sample.metric for sample in samples})
    print(f"wrote {count} samples of {series} series from {collector.host} to {args.out}")
    return EXIT_OK
