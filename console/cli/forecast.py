"""``headroom forecast IN --horizon H --out OUT.csv``: forecast one metric series.

Input: any metric file ``connectors.files.read_metric_file`` reads (CSV, Parquet, JSON,
JSON Lines; a ``timestamp`` column, or else the first column, then value columns). With
several value columns ``--column`` picks one; without it the command refuses (exit 2) and
lists the columns rather than guess. The series is put on a regular grid first (step =
median spacing; duplicates averaged; gaps filled; a recent level shift cut off), see
``models.forecast.prepare``.

Options: ``--horizon H`` steps at the data's step (1 step to 48 hours is the supported
range; intervals beyond the calibrated horizon widen like sqrt(steps)); ``--levels 80,95``;
``--model auto|naive|profile|profile_trend|linear|ets|arima|gbm`` (default auto: every
model is backtested on the end of the series and the best by MASE — or ``--metric
rmse|mae|wape|smape`` — is used, possibly the mean of the best three; ``--candidates
fast`` compares only the numpy models, much quicker).

Output CSV, one row per forecast step, the ``H`` grid points after the last input row::

    timestamp   ISO-8601 UTC, e.g. 2015-02-01T00:00:00.000Z
    mean        point forecast
    lo_80,hi_80 bounds of the 80 % prediction interval (one pair per --levels entry,
    lo_95,hi_95 ascending; a wider interval always contains a narrower one)

One summary line on stdout (model used, season, output path). Bad input: one line on
stderr naming the file (and line when there is one), exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli.errors import EXIT_OK, UsageError
from console.cli.safe_io import atomic_text, check_writable, read_one_column

if TYPE_CHECKING:
    import pandas as pd

# Spelled out: importing the registry pulls in pandas and SciPy (2 s) before --help.
# tests/forecast/test_cli.py checks that it matches the registry.
MODEL_CHOICES = ("auto", "naive", "profile", "profile_trend", "linear", "ets", "arima", "gbm")


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="forecast a metric series with prediction intervals",
        description="Forecast the H steps after the last row of a metric file and write "
        "timestamp, mean, lo_<L>, hi_<L> to a CSV file.",
    )
    add_common_arguments(parser)
    parser.add_argument(
        "--candidates",
        choices=("fast", "full"),
        default="full",
        help="models compared by --model auto (default full; fast = numpy models only)",
    )
    parser.add_argument(
        "--metric",
        choices=("mase", "rmse", "mae", "wape", "smape"),
        default="mase",
        help="what --model auto minimises in its backtest (default mase)",
    )


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, metavar="IN", help="metric file (CSV/Parquet/JSON)")
    parser.add_argument("--horizon", type=int, required=True, metavar="H", help="steps to forecast")
    parser.add_argument("--column", metavar="C", help="value column (needed if several)")
    parser.add_argument(
        "--levels", default="80,95", metavar="L1,L2", help="interval levels in %% (default 80,95)"
    )
    parser.add_argument("--model", choices=MODEL_CHOICES, default="auto", help="default auto")
    parser.add_argument("--out", type=Path, required=True, metavar="OUT.csv", help="output CSV")


def run(args: argparse.Namespace) -> int:
    levels = parse_levels(args.levels)
    check_horizon(args.horizon)
    check_output(args.out)
    series = read_series(args.input, args.column)
    from models.forecast import FAST_CANDIDATES, FULL_CANDIDATES, ForecastError, forecast_one

    candidates = FAST_CANDIDATES if args.candidates == "fast" else FULL_CANDIDATES
    try:
        forecast = forecast_one(
            series, args.horizon, levels, args.model, candidates, metric=args.metric
        )
    except ForecastError as error:
        raise UsageError(f"{args.input}: {error}") from None
    table = forecast.to_frame()
    table["timestamp"] = iso_timestamps(table["timestamp"])
    write_csv(args.out, table)
    season = forecast.details.get("season")
    print(
        f"{args.horizon} steps forecast with {forecast.model} (season {season} steps) -> {args.out}"
    )
    return EXIT_OK


def parse_levels(text: str) -> tuple[int, ...]:
    try:
        levels = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise UsageError(f"--levels {text!r}: expected whole percentages such as 80,95") from None
    if not levels or any(not 0 < level < 100 for level in levels):
        raise UsageError(f"--levels {text!r}: each level must be between 1 and 99")
    return levels


def check_horizon(horizon: int) -> None:
    if horizon < 1:
        raise UsageError(f"--horizon {horizon}: must be at least 1 step")


def check_output(path: Path) -> None:
    check_writable(path, (".csv",))


def read_series(path: Path, column: str | None) -> pd.Series:
    """The one value column of ``path`` as a float series on a UTC DatetimeIndex."""
    return read_one_column(path, column, 2, "nothing to forecast")[1]


def iso_timestamps(values: pd.Series | pd.DatetimeIndex) -> object:
    """ISO-8601 UTC with milliseconds and ``Z``, vectorised (millions of rows in backtests)."""
    import numpy as np
    import pandas as pd

    index = pd.DatetimeIndex(values).tz_convert("UTC").tz_localize(None)
    return np.char.add(np.datetime_as_string(index.to_numpy(), unit="ms"), "Z")


def write_csv(path: Path, table: pd.DataFrame) -> None:
    with atomic_text(path, newline="") as stream:
        table.to_csv(stream, index=False, na_rep="", float_format="%.6g")
