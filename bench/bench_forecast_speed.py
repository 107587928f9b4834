"""Forecast speed: fit and forecast 24 h for 1,000 series of one week at 5 minutes.

    .venv/bin/python -m bench.bench_forecast_speed [--series 1000] [--runs 3]

Synthetic but realistic series (daily cycle of random amplitude and phase, noise, a
slow trend, a few spikes and a short gap), forecast with ``forecast_many`` in auto mode
on a process pool (2 workers here). Rows:

* ``auto fast`` — the default of ``forecast_many``: per series, seasonal naive, seasonal
  profile and profile + damped trend are backtested on the end of the week and the best
  by MASE is used (with calibrated intervals). Goal: under 60 s for 1,000 series.
* ``auto full`` — adds ETS and gradient boosting; run on a sample of series and
  extrapolated to 1,000 (it is about two orders of magnitude slower).
* ``naive only`` — the floor: preparation, seasonality, calibration, no choice.

Wall time: median of ``--runs`` runs (1 for the full auto sample), no warm-up run:
process-pool start-up is part of the cost an operator waits for. CPU time (this process
plus the finished pool workers) is printed too: on a machine shared with other jobs the
wall time says more about the neighbours than about the code, and CPU / 2 is what an
idle 2-core machine would take.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pandas as pd

from bench.common import median_seconds, print_table
from models.forecast import FAST_CANDIDATES, FULL_CANDIDATES, Forecast, forecast_many

STEPS_PER_DAY = 288
HORIZON = STEPS_PER_DAY  # 24 h at 5 minutes


def synthetic(count: int, seed: int = 0) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-06-03", periods=7 * STEPS_PER_DAY, freq="5min", tz="UTC")
    t = np.arange(len(index))
    series = {}
    for i in range(count):
        level = rng.uniform(5, 80)
        amplitude = level * rng.uniform(0.05, 0.5)
        phase = rng.uniform(0, 2 * np.pi)
        values = (level + amplitude * np.sin(2 * np.pi * t / STEPS_PER_DAY + phase)
                  + rng.normal(0, amplitude * rng.uniform(0.05, 0.4), len(t))
                  + rng.normal(0, level * 1e-4) * t)  # fmt: skip
        spikes = rng.choice(len(t), size=5, replace=False)
        values[spikes] += amplitude * 3
        gap = rng.integers(100, len(t) - 100)
        values[gap : gap + rng.integers(1, 20)] = np.nan
        series[f"host{i:04d}/cpu.percent"] = pd.Series(values, index=index)
    return series


def run(series: dict[str, pd.Series], model: str, candidates: tuple[str, ...]) -> None:
    results = forecast_many(series, HORIZON, model=model, candidates=candidates, max_workers=2)
    failed = [name for name, r in results.items() if not isinstance(r, Forecast)]
    if failed:
        print(f"  {len(failed)} series failed, e.g. {results[failed[0]]}")


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the pool workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def measured(function, runs: int) -> tuple[float, float]:
    """(median wall seconds, mean CPU seconds per run)."""
    cpu_before = cpu_seconds()
    wall = median_seconds(function, runs, warmup=0)
    return wall, (cpu_seconds() - cpu_before) / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--full-sample", type=int, default=20)
    args = parser.parse_args()
    series = synthetic(args.series)
    rows = []
    began = time.monotonic()
    wall, cpu = measured(lambda: run(series, "auto", FAST_CANDIDATES), args.runs)
    rows.append(["auto fast (default)", args.series, wall, wall, cpu, 1000 * cpu / args.series])
    wall, cpu = measured(lambda: run(series, "naive", FAST_CANDIDATES), args.runs)
    rows.append(["naive only", args.series, wall, wall, cpu, 1000 * cpu / args.series])
    sample = dict(list(series.items())[: args.full_sample])
    wall, cpu = measured(lambda: run(sample, "auto", FULL_CANDIDATES), 1)
    scale = args.series / len(sample)
    rows.append(["auto full (sample, extrapolated)", len(sample), wall, wall * scale,
                 cpu * scale, 1000 * cpu / len(sample)])  # fmt: skip
    print(f"load average while running: {os.getloadavg()} ({time.monotonic() - began:.0f} s)")
    print_table(f"fit + 24 h forecast, {args.series} series x 1 week at 5 min, 2 workers",
                ["mode", "series run", "wall s", f"wall s per {args.series}",
                 f"CPU s per {args.series}", "CPU ms per series"],
                rows)  # fmt: skip


if __name__ == "__main__":
    main()
