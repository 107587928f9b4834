"""``headroom simulate IN --column C --unit-capacity U --price P --out OUT.json``: policy replay.

Replays a recorded demand series under scaling policies and writes what each would have
cost and how often it ran short (engine and JSON schema: ``models.simulation``).

* IN: any metric file ``connectors.files.read_metric_file`` reads; ``--column`` picks the
  demand column (required when the file has several).
* ``--unit-capacity U``: the demand (in the column's units) one unit serves at the target
  utilisation; units needed = ceil(demand / U). ``--price P``: cost of one unit-hour.
* ``--warmup-minutes W`` (default 5): a unit requested at t serves from t + W, every policy.
* ``--policy predictive|reactive|static|all`` (default all); ``--level 80|95`` (default 95):
  the prediction interval whose upper bound the predictive policy plans on;
  ``--headroom F`` (default 0): its margin above that bound, as a share of it (the bound
  is calibrated on past forecast errors, and U already holds the target utilisation).
* ``--series``: add the per-interval arrays (demand, needed, requested and serving units).

One summary line per policy on stdout. Bad input (missing file or column, non-positive
U or P, negative warm-up or headroom): one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli.errors import EXIT_OK, UsageError
from console.cli.safe_io import atomic_text, check_writable, read_one_column

if TYPE_CHECKING:
    import pandas as pd

POLICIES = ("predictive", "reactive", "static")


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="replay a demand series under scaling policies (cost, shortfalls)",
        description="Replay a demand series under the predictive, reactive and static "
        "policies and write cost, unit-hours and under-capacity figures to a JSON file.",
    )
    parser.add_argument("input", type=Path, metavar="IN", help="metric file (CSV/Parquet/JSON)")
    parser.add_argument("--column", metavar="C", help="demand column (needed if several)")
    parser.add_argument("--unit-capacity", type=float, required=True, metavar="U",
                        help="demand one unit serves at the target utilisation")  # fmt: skip
    parser.add_argument("--price", type=float, required=True, metavar="P",
                        help="cost of one unit for one hour")  # fmt: skip
    parser.add_argument("--warmup-minutes", type=float, default=5.0, metavar="W",
                        help="minutes before a requested unit serves (default 5)")  # fmt: skip
    parser.add_argument("--policy", choices=(*POLICIES, "all"), default="all")
    parser.add_argument("--level", type=int, choices=(80, 95), default=95,
                        help="predictive: plan on this interval's upper bound (default 95)")  # fmt: skip
    parser.add_argument("--headroom", type=float, default=0.0, metavar="F",
                        help="predictive: planner margin above the upper bound (default 0)")  # fmt: skip
    parser.add_argument("--no-hourly-calibration", dest="hourly_calibration",
                        action="store_false",
                        help="predictive: plan on the forecaster's bound only, without "
                        "raising it where past errors at that hour of day were larger")  # fmt: skip
    parser.add_argument("--no-adaptive-margin", dest="adaptive_margin", action="store_false",
                        help="predictive: never widen the margin above the mean after the "
                        "bound was missed more often than its level allows")  # fmt: skip
    parser.add_argument("--series", action="store_true", help="include per-interval arrays")
    parser.add_argument("--out", type=Path, required=True, metavar="OUT.json", help="output")


def run(args: argparse.Namespace) -> int:
    check_positive("--unit-capacity", args.unit_capacity)
    check_positive("--price", args.price)
    if not math.isfinite(args.warmup_minutes) or args.warmup_minutes < 0:
        raise UsageError(f"--warmup-minutes {args.warmup_minutes}: must be 0 or more")
    check_output(args.out)
    column, series = read_demand(args.input, args.column)

    import pandas as pd

    from console.cli.progress import ProgressBar
    from models.simulation import ReplaySettings, SimulationError, replay

    policies = POLICIES if args.policy == "all" else (args.policy,)
    try:
        settings = ReplaySettings(
            unit_capacity=args.unit_capacity,
            price_per_unit_hour=args.price,
            warmup=pd.Timedelta(minutes=args.warmup_minutes),
            level=args.level,
            headroom=args.headroom,
            hourly_calibration=args.hourly_calibration,
            adaptive_margin=args.adaptive_margin,
        )
        with ProgressBar(1, label="replay", unit="intervals") as bar:

            def progress(done: int, total: int) -> None:
                bar.total = float(total)
                bar.update(done)

            report = replay(series, settings, policies, progress=progress)
    except SimulationError as error:
        raise UsageError(f"{args.input}: {error}") from None
    document = {"input": {"path": str(args.input), "column": column}}
    document.update(report.to_dict(include_series=args.series))
    write_json(args.out, document)
    for name, result in report.policies.items():
        print(
            f"{name:<10} cost {result.cost:,.2f}  unit-hours {result.unit_hours:,.1f}  "
            f"under capacity {result.percent_under_capacity:.2f} % of {result.intervals}  "
            f"actions {result.scaling_actions}  peak {result.peak_units}"
        )
    print(f"-> {args.out}")
    return EXIT_OK


def check_positive(option: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise UsageError(f"{option} {value}: must be a positive number")


def check_output(path: Path) -> None:
    check_writable(path, (".json",))


def read_demand(path: Path, column: str | None) -> tuple[str, pd.Series]:
    """The demand column of ``path`` (its name, its values on a UTC DatetimeIndex)."""
    return read_one_column(path, column, 3, "nothing to replay")


def write_json(path: Path, document: dict[str, object]) -> None:
    with atomic_text(path) as stream:
        # Per-interval arrays make an indented file tens of thousands of lines long.
        indent = None if "series" in document else 1
        json.dump(document, stream, indent=indent, allow_nan=False)
        stream.write("\n")
