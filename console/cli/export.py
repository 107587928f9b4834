"""``headroom export``: raw samples of one metric from the store into a CSV or Parquet file.

``--metric`` is an exact name (``net.rx.bytes:eth0``) or, without ``:``, a family
that also matches all its instances (``net.rx.bytes`` exports the total and every
interface). ``--since`` and ``--until`` are both inclusive; a date without a zone
is UTC. No matching sample is an error (exit 2), not an empty file.
"""

from __future__ import annotations

import argparse
import heapq
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.paths import default_store_path
from console.cli.collect import EXIT_INTERRUPTED, check_output_path
from console.cli.errors import EXIT_OK, UsageError
from console.cli.progress import ProgressBar

if TYPE_CHECKING:
    from connectors.store import MetricStore
    from models.samples import Sample


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="export raw samples of a metric from the store to a CSV or Parquet file",
        description="Export raw samples from the metric store. --metric takes an exact name "
        "(net.rx.bytes:eth0) or a family (net.rx.bytes: the family and all its instances). "
        "--since/--until are inclusive ISO-8601 times; no zone means UTC.",
    )
    parser.add_argument("--metric", required=True, metavar="M", help="metric name or family")
    parser.add_argument("--host", metavar="H", help="only this host (default: all hosts)")
    parser.add_argument("--since", metavar="ISO", help="first time to include")
    parser.add_argument("--until", metavar="ISO", help="last time to include")
    parser.add_argument(
        "--store", type=Path, metavar="PATH", help="metric store file (default: user data dir)"
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="output .csv/.parquet/.pq file"
    )


def parse_time(text: str, option: str) -> float:
    """ISO-8601 date or date-time → UTC epoch seconds; naive means UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not an ISO-8601 time (e.g. 2026-11-22T09:30:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def matching_metrics(store: MetricStore, metric: str, host: str | None) -> list[str]:
    """Stored metric names that ``metric`` selects (see the module docstring)."""
    names = sorted({key.metric for key in store.series(host=host)})
    if ":" in metric:
        return [name for name in names if name == metric]
    return [name for name in names if name == metric or name.startswith(metric + ":")]


def _describe_selection(args: argparse.Namespace) -> str:
    parts = [f"metric {args.metric!r}"]
    if args.host:
        parts.append(f"on host {args.host!r}")
    if args.since:
        parts.append(f"since {args.since}")
    if args.until:
        parts.append(f"until {args.until}")
    return " ".join(parts)


def run(args: argparse.Namespace) -> int:
    since = parse_time(args.since, "--since") if args.since else None
    until = parse_time(args.until, "--until") if args.until else None
    if since is not None and until is not None and since > until:
        raise UsageError(f"--since {args.since} is after --until {args.until}")
    check_output_path(args.out)
    store_path = args.store if args.store is not None else default_store_path()
    if not store_path.is_file():
        raise UsageError(f"no metric store at {store_path} (give its path with --store)")

    # Imported here so `headroom --help` does not pay for pandas and sqlite.
    from connectors.store import MetricStore, StoreError

    try:
        with closing(MetricStore(store_path, readonly=True)) as store:
            return _export(store, args, since, until)
    except StoreError as error:
        raise UsageError(str(error)) from None


def _export(
    store: MetricStore, args: argparse.Namespace, since: float | None, until: float | None
) -> int:
    from connectors.files import MetricFileError, write_samples

    names = matching_metrics(store, args.metric, args.host)
    if not names:
        where = f" for host {args.host!r}" if args.host else ""
        raise UsageError(f"no metric {args.metric!r}{where} in {store.path}")

    def samples_of(name: str) -> Iterator[Sample]:
        for batch in store.iter_samples(metric=name, host=args.host, start=since, end=until):
            yield from batch

    merged = heapq.merge(*(samples_of(name) for name in names), key=lambda s: s.timestamp)
    first = next(merged, None)
    if first is None:
        raise UsageError(f"no samples of {_describe_selection(args)} in {store.path}")

    with ProgressBar(0, label="exporting", unit="samples") as bar:
        if bar.enabled:  # counting costs a query: only worth it when someone watches
            bar.total = float(
                sum(store.count_samples(name, args.host, since, until) for name in names)
            )

        def counted(samples: Iterator[Sample]) -> Iterator[Sample]:
            for done, sample in enumerate(samples, start=1):
                if done % 10_000 == 0:
                    bar.update(done)
                yield sample

        try:
            count = write_samples(args.out, counted(chain([first], merged)))
        except MetricFileError as error:
            raise UsageError(str(error)) from None
        except KeyboardInterrupt:
            bar.close()
            print(f"headroom export: interrupted; nothing written to {args.out}", file=sys.stderr)
            return EXIT_INTERRUPTED
        bar.update(count)
    print(f"wrote {count} samples of {len(names)} metric(s) to {args.out}")
    return EXIT_OK
