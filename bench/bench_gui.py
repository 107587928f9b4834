"""GUI benchmarks: event-loop stalls while collecting and drawing, and time to first paint.

    .venv/bin/python -m bench.bench_gui [--seconds 30] [--runs 5]

(1) A 10 ms QTimer on the GUI thread records how late each tick fires. Baseline:
    an idle event loop. Loaded: the main window shown with 8 charts, the real
    LocalCollector at 1 s and the store writer running. Goal: p99 < 30 ms.
(2) Launch ``python -m console`` and wait for the first paint event of the main
    window (the app writes its time when HEADROOM_FIRST_PAINT_FILE is set).
    Goal: < 1.5 s. Median of several runs.

Runs offscreen (QT_QPA_PLATFORM=offscreen) in temporary config/data directories.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import median_seconds, print_table

REPO = Path(__file__).resolve().parent.parent
PROBE_MS = 10


def _isolate(directory: Path) -> None:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["HEADROOM_CONFIG_DIR"] = str(directory / "config")
    os.environ["HEADROOM_DATA_DIR"] = str(directory / "data")


def _probe(app, seconds: float) -> np.ndarray:
    """Lateness (ms) of each tick of a 10 ms timer over ``seconds`` of event loop."""
    from PySide6.QtCore import Qt, QTimer

    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(PROBE_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    QTimer.singleShot(int(seconds * 1000), lambda: app.exit(0))  # quit() would close windows
    timer.start()
    app.exec()
    timer.stop()
    gaps_ms = np.diff(ticks) * 1000
    return np.clip(gaps_ms - PROBE_MS, 0, None)


def _stall_row(name: str, lateness: np.ndarray) -> list[object]:
    return [
        name,
        len(lateness),
        float(np.percentile(lateness, 50)),
        float(np.percentile(lateness, 99)),
        float(lateness.max()),
    ]


def bench_stalls(seconds: float) -> list[list[object]]:
    from PySide6.QtWidgets import QApplication

    from console.interpreter import configure_for_gui
    from console.main_window import MainWindow
    from console.settings import Settings
    from console.views.chart_panel import DEFAULT_CHARTS, ChartSpec, SeriesRule

    app = QApplication.instance() or QApplication([])
    configure_for_gui()  # as the console does (console/interpreter.py)
    rows = [_stall_row("idle event loop (baseline)", _probe(app, seconds))]

    extra = (
        ChartSpec("processes", "Processes", "", (SeriesRule("proc.count", "Processes"),)),
        ChartSpec(
            "cores",
            "CPU per core",
            "%",
            (SeriesRule("cpu.core.percent", "Core {instance}", per_instance=True),),
            (0.0, 100.0),
        ),
    )
    specs = (*DEFAULT_CHARTS, *extra)
    window = MainWindow(
        Settings(interval_s=1.0),
        Path(os.environ["HEADROOM_DATA_DIR"]) / "m.sqlite",
        chart_specs=specs,
    )
    window.resize(1400, 1000)
    window.show()
    warmup_deadline = time.monotonic() + 10
    while window.live.redraws < 2 and time.monotonic() < warmup_deadline:
        app.processEvents()
        time.sleep(0.01)
    redraws_before = window.live.redraws
    lateness = _probe(app, seconds)
    label = f"{len(specs)} charts, LocalCollector @1 s, store writer"
    rows.append(_stall_row(label, lateness))
    passes = window.live.redraws - redraws_before
    window.close()
    print(f"(loaded run: {passes} full redraw passes in {seconds:.0f} s)")
    return rows


def bench_first_paint(runs: int, directory: Path) -> dict[str, float]:
    """Median seconds from process start to: first paint (seen outside, and stamped by
    the app), and first live data drawn on the charts (stamped by the app)."""
    paint_file = directory / "first-paint.txt"
    frame_file = directory / "first-frame.txt"
    inside: list[float] = []
    frames: list[float] = []
    env = dict(
        os.environ,
        HEADROOM_FIRST_PAINT_FILE=str(paint_file),
        HEADROOM_FIRST_FRAME_FILE=str(frame_file),
    )

    def wait_for(path: Path, process: subprocess.Popen, deadline: float) -> float:
        while not path.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the console did not write {path.name} (exited or timed out)")
            time.sleep(0.002)
        return float(path.read_text())

    def launch() -> None:
        paint_file.unlink(missing_ok=True)
        frame_file.unlink(missing_ok=True)
        started = time.time()
        process = subprocess.Popen(
            [sys.executable, "-m", "console"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            inside.append(wait_for(paint_file, process, deadline) - started)
            frames.append(wait_for(frame_file, process, deadline) - started)
        finally:
            process.terminate()
            process.wait(15)

    outside = median_seconds(launch, runs=runs, warmup=1)
    return {
        "outside": outside,
        "paint": float(np.median(inside[1:])),
        "frame": float(np.median(frames[1:])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each probe run")
    parser.add_argument("--runs", type=int, default=5, help="launches for the first-paint median")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="headroom-bench-") as temporary:
        directory = Path(temporary)
        _isolate(directory)
        launch = bench_first_paint(args.runs, directory)
        stalls = bench_stalls(args.seconds)
    print_table(
        f"GUI event-loop stalls: lateness of a {PROBE_MS} ms timer, {args.seconds:.0f} s each (goal p99 < 30 ms)",
        ["scenario", "ticks", "p50 ms", "p99 ms", "max ms"],
        stalls,
    )
    print_table(
        f"Launch to first painted window, median of {args.runs} runs (goal < 1.5 s)",
        ["measure", "seconds"],
        [
            ["process start -> first paint, stamped by the app", launch["paint"]],
            ["process start -> first live data drawn on the charts", launch["frame"]],
            ["launch -> first data -> SIGTERM exit, wall time", launch["outside"]],
        ],
    )


if __name__ == "__main__":
    main()
