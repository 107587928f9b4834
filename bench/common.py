"""Shared helpers for benchmark scripts: machine description, medians, tables.

Benchmarks print figures; they never assert. Run one with
``.venv/bin/python -m bench.<name>`` from the repository root.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence

import psutil


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            names = [
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            ]
        if names:
            cpu = names[0]
    except OSError:
        pass
    memory_gib = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.node()} | {cpu} | {os.cpu_count()} cores | {memory_gib:.1f} GiB | "
        f"{platform.system()} {platform.release()} | Python {platform.python_version()}"
    )


def median_seconds(function: Callable[[], object], runs: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``function`` over ``runs`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a plain-text table headed by the machine description."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    print(f"\n## {title}")
    print(f"machine: {machine_description()}")
    for index, row in enumerate(cells):
        print(
            "  ".join(
                value.rjust(width) if index else value.ljust(width)
                for value, width in zip(row, widths, strict=True)
            )
        )
        if index == 0:
            print("  ".join("-" * width for width in widths))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
