"""Forecast accuracy on the shared NAB data: every model and the automatic choice
against seasonal naive, by rolling-origin backtest (MASE, WAPE, 80/95 % coverage).

    .venv/bin/python -m bench.bench_forecast_accuracy [--max-origins N] [--models a,b]

Series and horizons (no per-file tuning: every series gets the same defaults):
NYC taxi 5 steps ahead from 2015-01-01; each realAWSCloudwatch CPU series 12 steps ahead
over its last third; machine temperature 12 steps ahead over its last third. Models are
refitted every 288 origins and updated in between (as ``headroom backtest``); intervals use
past errors only. ``--max-origins`` keeps only the last N origins of a series (default
2000, which only shortens machine temperature) so a run takes minutes, not an hour.
Goal: auto beats seasonal naive (lower MASE) on every series and coverage is within 5
points of nominal. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from bench.common import print_table
from models.forecast import FAST_CANDIDATES, FULL_CANDIDATES, rolling_origin_backtest
from models.forecast.registry import ALL_MODELS

NAB = Path(__file__).resolve().parents[2] / "shared" / "data" / "nab" / "data"
MODELS = (*ALL_MODELS, "auto-fast", "auto")


def cases() -> list[tuple[str, Path, int, str | None]]:
    """(label, file, horizon, start or None for "last third")."""
    found = [("nyc_taxi", NAB / "realKnownCause" / "nyc_taxi.csv", 5, "2015-01-01")]
    for path in sorted((NAB / "realAWSCloudwatch").glob("*cpu*.csv")):
        found.append((path.stem.replace("_cpu_utilization", ""), path, 12, None))
    machine = NAB / "realKnownCause" / "machine_temperature_system_failure.csv"
    found.append(("machine_temperature", machine, 12, None))
    return found


def load(path: Path) -> pd.Series:
    frame = pd.read_csv(path)
    index = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"], utc=True), name="timestamp")
    return pd.Series(frame["value"].to_numpy(dtype=float), index=index)


def run_model(series: pd.Series, horizon: int, start: pd.Timestamp, model: str) -> dict:
    name, candidates = model, FULL_CANDIDATES
    if model == "auto-fast":
        name, candidates = "auto", FAST_CANDIDATES
    began = time.perf_counter()
    result = rolling_origin_backtest(series, horizon, start, model=name, candidates=candidates,
                                     refit_every=288)  # fmt: skip
    seconds = time.perf_counter() - began
    return {**result.metrics, "seconds": seconds, "origins": result.origins,
            "chosen": ",".join(sorted(set(result.models)))}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-origins", type=int, default=2000)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    summary = []
    for label, path, horizon, start_text in cases():
        series = load(path)
        if start_text is None:
            start = series.index[len(series) * 2 // 3]
        else:
            start = pd.Timestamp(start_text, tz="UTC")
        first_allowed = series.index[max(0, len(series) - args.max_origins)]
        start = max(start, first_allowed)
        rows, scores = [], {}
        for model in models:
            metrics = run_model(series, horizon, start, model)
            scores[model] = metrics
            rows.append([model, metrics["mase"], metrics["wape"], 100 * metrics["coverage_80"],
                         100 * metrics["coverage_95"], metrics["origins"], metrics["seconds"],
                         metrics["chosen"]])  # fmt: skip
        print_table(f"{label}: {horizon} steps ahead from {start}", ["model", "MASE", "WAPE %",
                    "cov80 %", "cov95 %", "origins", "seconds", "chosen at refits"], rows)  # fmt: skip
        if "auto" in scores and "naive" in scores:
            auto, naive = scores["auto"], scores["naive"]
            summary.append([label, naive["mase"], auto["mase"],
                            "yes" if auto["mase"] < naive["mase"] else "NO",
                            100 * auto["coverage_80"] - 80, 100 * auto["coverage_95"] - 95])  # fmt: skip
    if summary:
        print_table("auto vs seasonal naive (coverage error in points)", ["series", "naive MASE",
                    "auto MASE", "auto better", "cov80 - 80", "cov95 - 95"], summary)  # fmt: skip


if __name__ == "__main__":
    main()
