"""``headroom collect``: sample a source for a while, then write a CSV or Parquet file.

Everything is checked before the first sample (extension, output folder, numbers),
so a mistake costs nothing. The file is written once, at the end, atomically:
an interrupted run (Ctrl-C) writes nothing and says so, rather than leaving a
partial file that looks complete.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli.errors import EXIT_OK, UsageError
from console.cli.progress import ProgressBar
from console.cli.safe_io import check_writable

if TYPE_CHECKING:
    from connectors.local import Collector
    from models.samples import Sample

EXIT_INTERRUPTED = 130


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="collect metrics (this machine or remote sources) for N seconds into a file",
        description="Collect metrics every S seconds for N seconds "
        "(snapshots at 0, S, 2S, ... N) and write them as timestamp,source,host,metric,value "
        "rows. The file format follows the extension: .csv, .parquet or .pq. "
        "Sources: local (default), ssh://user@host:port or ssh://alias, "
        "prometheus+http(s)://host:port[/path], aws://[profile@]region/asg/NAME, "
        "aws://[profile@]region/instance/ID.",
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
    parser.add_argument(
        "--source",
        action="append",
        metavar="URI",
        help="where to collect from; repeat to collect several sources into one file "
        "(default: local)",
    )
    parser.add_argument(
        "--known-hosts", type=Path, metavar="FILE", help="known_hosts file for ssh:// sources"
    )
    parser.add_argument(
        "--identity", type=Path, metavar="FILE", help="private key file for ssh:// sources"
    )
    parser.add_argument(
        "--custom",
        action="append",
        default=[],
        metavar="NAME=COMMAND",
        help="an extra metric for ssh:// sources: a command on the host that prints a number "
        "(or lines '<instance> <number>'), e.g. 'queue.length=redis-cli llen jobs'; "
        "NAME:counter=COMMAND for a growing count, stored as a per-second rate; repeatable",
    )


def open_sources(
    uris: list[str],
    known_hosts: Path | None = None,
    identity: Path | None = None,
    custom: list[str] | None = None,
) -> list[Collector]:
    """The collectors for the ``--source`` URIs, through the one source registry."""
    from connectors.errors import SourceError
    from connectors.sources import open_source
    from connectors.ssh.custom import CustomMetricError, parse_definition

    for option, path in (("--known-hosts", known_hosts), ("--identity", identity)):
        if path is not None and not path.is_file():
            raise UsageError(f"{option} {path}: no such file")
    try:
        metrics = [parse_definition(text) for text in custom or []]
    except CustomMetricError as error:
        raise UsageError(f"--custom: {error}") from None
    if metrics and not any(uri.strip().lower().startswith("ssh://") for uri in uris):
        raise UsageError("--custom: custom metrics run over SSH; add an ssh:// --source")
    collectors = []
    for uri in dict.fromkeys(uris):  # the same source twice would duplicate every row
        try:
            collectors.append(
                open_source(uri, known_hosts=known_hosts, identity=identity, custom=metrics)
            )
        except SourceError as error:
            raise UsageError(str(error)) from None
    return collectors


class _Together:
    """Several collectors as one: each tick asks every source in turn."""

    source = "several"

    def __init__(self, collectors: list[Collector]) -> None:
        self._collectors = collectors
        self.host = ", ".join(collector.host for collector in collectors)

    def collect(self, now: float | None = None) -> list[Sample]:
        from connectors.errors import SourceError

        samples: list[Sample] = []
        for collector in self._collectors:
            try:
                samples += collector.collect(now)
            except SourceError as error:
                # One line for the operator; nothing is written, as for Ctrl-C.
                raise UsageError(f"{error}; nothing written") from None
        return samples


def check_output_path(path: Path) -> None:
    """Refuse, before any work, an output the run could not write."""
    # pandas and pyarrow load only when a command runs, so `headroom --help` stays instant.
    from connectors.files import MetricFileError, output_format

    try:
        output_format(path)
    except MetricFileError as error:
        raise UsageError(str(error)) from None
    check_writable(path)


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
    collector = _Together(
        open_sources(args.source or ["local"], args.known_hosts, args.identity, args.custom)
    )
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
