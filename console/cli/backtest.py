"""``headroom backtest IN --horizon H --start T --out OUT.csv``: rolling-origin backtest.

Every grid point at or after ``--start`` is an *origin*: the model sees only the points
strictly before it and forecasts ``H`` steps, step 1 being the origin itself. The model is
refitted every ``--refit-every N`` origins (default 288: daily at 5-minute data) and in
between only filters the new observations through its state, so ten thousand origins
take seconds with the default model. Intervals use only errors already known at each
origin. ``--model auto`` (the default) compares the fast numpy models at each refit
(``--candidates full`` adds ETS and boosting, about 100x slower).

Input: as ``headroom forecast`` (CSV/Parquet/JSON, ``--column`` when several value
columns). Output CSV, one row per (origin, step)::

    origin       ISO-8601 UTC time of the origin (first point the model did not see)
    step         1..H
    timestamp    time forecast: origin + (step - 1) x the data's step
    actual       the value observed then (empty if missing or beyond the data)
    mean         point forecast
    lo_80,hi_80  prediction interval bounds, one pair per --levels entry
    lo_95,hi_95

On stdout: origins, refits and the accuracy over all rows with an actual value —
MASE (scaled by the in-sample seasonal naive error before the first origin), sMAPE %,
WAPE %, MAPE % (zeros skipped), RMSE, coverage of each interval, and directional
accuracy (forecast and actual move the same way from the last known value), one
``name value`` pair per line. Bad input: one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse

from console.cli.errors import EXIT_OK, UsageError
from console.cli.forecast import (
    add_common_arguments,
    check_horizon,
    check_output,
    iso_timestamps,
    parse_levels,
    read_series,
    write_csv,
)


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="rolling-origin backtest of the forecaster on a metric series",
        description="Forecast H steps from every row at or after --start using only earlier "
        "rows; write origin, step, timestamp, actual, mean, lo_<L>, hi_<L> to a CSV file and "
        "print accuracy metrics.",
    )
    add_common_arguments(parser)
    parser.add_argument(
        "--start", required=True, metavar="TIMESTAMP", help="first origin (ISO-8601; UTC if naive)"
    )
    parser.add_argument(
        "--refit-every", type=int, default=288, metavar="N", help="refit every N origins"
    )
    parser.add_argument(
        "--candidates",
        choices=("fast", "full"),
        default="fast",
        help="models compared by --model auto (default fast)",
    )


def run(args: argparse.Namespace) -> int:
    levels = parse_levels(args.levels)
    check_horizon(args.horizon)
    if args.refit_every < 1:
        raise UsageError(f"--refit-every {args.refit_every}: must be at least 1")
    check_output(args.out)
    start = _parse_start(args.start)
    series = read_series(args.input, args.column)

    from console.cli.progress import ProgressBar
    from models.forecast import FAST_CANDIDATES, FULL_CANDIDATES, ForecastError
    from models.forecast.backtest import rolling_origin_backtest

    candidates = FAST_CANDIDATES if args.candidates == "fast" else FULL_CANDIDATES
    with ProgressBar(0, label="backtest", unit="origins") as bar:

        def progress(done: int, total: int) -> None:
            bar.total = float(total)
            bar.update(done)

        try:
            result = rolling_origin_backtest(
                series,
                args.horizon,
                start,
                model=args.model,
                candidates=candidates,
                refit_every=args.refit_every,
                levels=levels,
                progress=progress,
            )
        except ForecastError as error:
            raise UsageError(f"{args.input}: {error}") from None
    columns = ["origin", "step", "timestamp", "actual", "mean"]
    columns += [f"{side}_{level}" for level in levels for side in ("lo", "hi")]
    table = result.frame[columns].copy()
    table["origin"] = iso_timestamps(table["origin"])
    table["timestamp"] = iso_timestamps(table["timestamp"])
    write_csv(args.out, table)
    models = sorted(set(result.models))
    print(f"origins {result.origins}")
    print(f"refits {result.refits}")
    print(f"models {','.join(models)}")
    for name, value in result.metrics.items():
        print(f"{name} {value:.4f}")
    print(f"rows {len(table)} -> {args.out}")
    return EXIT_OK


def _parse_start(text: str) -> object:
    import pandas as pd

    try:
        start = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise UsageError(f"--start {text!r}: not a timestamp (use ISO-8601)") from None
    if start is pd.NaT:
        raise UsageError(f"--start {text!r}: not a timestamp (use ISO-8601)")
    return start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
