"""Fleet benchmark: 1,000 simulated hosts streaming 8 metrics at 1 s into the fleet view and store.

    .venv/bin/python -m bench.bench_fleet [--hosts 1000] [--seconds 20] [--runs 1]
        [--no-refresh-baseline] [--no-insights] [--history-slots 720]

Per scenario: the GUI event-loop stall (lateness of a 10 ms timer, as in
bench_gui; goal p99 < 50 ms), resident memory of the process with the fleet's
24 h history at 10 s resolution (goal < 1 GB), samples committed to the store
per second, and whether every sample the healthy hosts returned was stored.
Scenarios: the idle event loop (baseline), all hosts healthy, and 10 % of hosts
bad (half refuse the connection, half answer only after 5 s). The fleet view is
shown (offscreen) sorted by CPU, with the real poller, FleetModel, StoreWriter
and the fleet's anomaly detectors and forecasts (FleetInsights, in their worker;
every host starts with ``--history-slots`` of CPU history so they do real work).

The machine may be shared: each scenario is also run with the table's refresh
timer stopped (everything else running), which shows what the rest of the process
and the machine's load cost the event loop, side by side with the real figures.
With ``--runs N`` the stall columns are medians over N runs. The last tables give
the CPU cost of one cycle of each insight job: as measured in the child process
during the scenarios, and measured alone in this process (steady-state cycles).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

from bench.bench_gui import _probe, _stall_row
from bench.common import print_table

SLOW_ANSWER_S = 5.0


class SimHost:
    """A host answering with 8 metrics; optionally refusing, or answering after 5 s."""

    def __init__(self, index: int, mode: str = "healthy") -> None:
        self.host = f"sim-{index:04d}"
        self.index = index
        self.mode = mode
        self.returned = 0
        self._stop = threading.Event()

    def collect(self, now: float | None = None) -> list:
        from connectors.errors import ConnectionRefused
        from models.samples import Sample

        if self.mode == "refused":
            raise ConnectionRefused(self.host, "connection refused (simulated)")
        if self.mode == "slow":
            self._stop.wait(SLOW_ANSWER_S)
        t = time.time() if now is None else now
        phase = t / 60 + self.index
        values = {
            "cpu.percent": 50 + 40 * math.sin(phase),
            "mem.used.percent": 60 + 10 * math.cos(phase),
            "net.rx.bytes:eth0": 1e6 * (1.5 + math.sin(phase)),
            "net.tx.bytes:eth0": 2e5,
            "load.1m": 1.0,
            "disk.used.percent:/": 42.0,
            "disk.read.bytes:sda": 3e5,
            "disk.write.bytes:sda": 1e5,
        }
        samples = [Sample(t, "sim", self.host, m, v) for m, v in values.items()]
        self.returned += len(samples)
        return samples

    def release(self) -> None:
        self._stop.set()


class CountingSink:
    """Forwards to the StoreWriter and counts what healthy hosts handed over."""

    def __init__(self, writer, healthy: set[str]) -> None:
        self.writer = writer
        self.healthy = healthy
        self.healthy_put = 0
        self.lock = threading.Lock()

    def put(self, samples: list) -> None:
        self.writer.put(samples)
        count = sum(1 for s in samples if s.host in self.healthy)
        with self.lock:
            self.healthy_put += count


def prefill_history(state, sims: list[SimHost], slots: int) -> None:
    """``slots`` of past CPU per host, written straight into the ring (as if the console
    had been watching them), so the detectors and forecasts have real work to do."""
    if slots <= 0:
        return
    now_slot = int(time.time() // state.resolution_s)
    past = np.arange(now_slot - slots, now_slot)
    for sim in sims:
        row = state.declare(sim.host, sim.host, "sim")
        phase = past * state.resolution_s / 60 + sim.index
        state.history[row, 0, past % state.slots] = 50 + 40 * np.sin(phase)
        state.head[row] = now_slot - 1


def run_scenario(
    app,
    hosts: int,
    bad_fraction: float,
    seconds: float,
    directory: Path,
    threads: int = 8,
    refresh: bool = True,
    insights: bool = True,
    history_slots: int = 720,
) -> dict:
    from PySide6.QtCore import Qt

    from connectors.store import StoreWriter
    from console.fleet.connections import Connection
    from console.fleet.fleet_model import CPU, FleetModel
    from console.fleet.fleet_state import FleetState
    from console.fleet.fleet_view import FleetView
    from console.fleet.insights import FleetInsights
    from console.fleet.poller import FleetPoller

    bad = int(hosts * bad_fraction)
    sims = [
        SimHost(i, "healthy" if i >= bad else ("refused" if i % 2 else "slow"))
        for i in range(hosts)
    ]
    by_name = {s.host: s for s in sims}
    healthy = {s.host for s in sims if s.mode == "healthy"}
    path = directory / f"fleet-{bad}-{time.monotonic_ns()}.sqlite"
    writer = StoreWriter(path)
    writer.start()
    sink = CountingSink(writer, healthy)
    state = FleetState(window_s=86400, resolution_s=10.0)
    prefill_history(state, sims, history_slots if insights else 0)
    model = FleetModel(state, refresh_hz=2.0)
    view = FleetView(model)
    view.resize(1400, 900)
    view.show()
    view.table.sortByColumn(CPU, Qt.SortOrder.DescendingOrder)
    jobs = FleetInsights(state)
    if insights:
        jobs.start()
        jobs.tick()
    poller = FleetPoller(
        state,
        lambda: sink,
        interval_s=1.0,
        timeout_s=2.0,
        threads=threads,
        slow_threads=4,
        open_collector=lambda c: by_name[c.name],
    )
    poller.set_connections(
        [Connection(s.host, "ssh", s.host, tags=(f"rack{s.index % 8}",)) for s in sims]
    )
    poller.start()
    warm_until = time.monotonic() + 3.0
    while time.monotonic() < warm_until:
        app.processEvents()
        time.sleep(0.01)
    if not refresh:
        model.timer.stop()  # the noise baseline: same load, no table refresh or repaint
    written_before = writer.written
    started = time.monotonic()
    lateness = _probe(app, seconds)
    elapsed = time.monotonic() - started
    written = writer.written - written_before
    rss = psutil.Process().memory_info().rss
    poller.stop(0.1)
    for sim in sims:
        sim.release()
    poller.stop(10.0)
    jobs.timer.stop()
    finish_by = time.monotonic() + 120.0  # let a cycle under way finish: its cost counts
    while jobs.busy and time.monotonic() < finish_by:
        app.processEvents()
        time.sleep(0.05)
    app.processEvents()  # deliver the last results
    jobs.stop(10.0)
    writer.stop(30.0)
    produced = sum(by_name[h].returned for h in healthy)
    view.close()
    model.timer.stop()
    for qt_object in (view, model, jobs, poller):
        qt_object.deleteLater()  # free this scenario's fleet before the next one's RSS
    return {
        "lateness": lateness,
        "rss_mib": rss / 2**20,
        "history_mib": state.memory_bytes() / 2**20,
        "stored_per_s": written / elapsed,
        "healthy_produced": produced,
        "healthy_put": sink.healthy_put,
        "all_written": writer.written,
        "store_error": writer.last_error,
        "batches": model.batches,
        "costs": {kind: list(values) for kind, values in jobs.costs.items()},
    }


def insight_cycle_costs(hosts: int, history_slots: int) -> list[list[object]]:
    """CPU seconds of each insight job's cycle for ``hosts`` hosts, computed in this
    process with nothing else running: what the insights child process spends."""
    from console.fleet.fleet_state import FleetState
    from console.fleet.insight_worker import (
        BOOTSTRAP_POINTS,
        FORECAST_HISTORY_POINTS,
        AnomalyScorer,
        forecast_peaks,
    )
    from console.fleet.insights import ANOMALY_SLOTS_PER_CYCLE, FORECAST_BATCH

    state = FleetState(window_s=86400, resolution_s=10.0)
    prefill_history(state, [SimHost(i) for i in range(hosts)], max(history_slots, 1))
    rows = np.arange(hosts)

    def cpu_seconds(job) -> float:
        started = time.process_time()
        job()
        return time.process_time() - started

    def advance(slots: int) -> None:
        for _ in range(slots):  # new completed slots, as the poller would write them
            state.head[rows] += 1
            state.history[rows, 0, state.head[rows] % state.slots] = 50.0 + rows % 7

    scorer = AnomalyScorer(state.resolution_s)
    bootstrap = cpu_seconds(lambda: scorer.score(*state.cpu_window(BOOTSTRAP_POINTS)))
    steady = []
    for _ in range(3):
        advance(ANOMALY_SLOTS_PER_CYCLE)
        steady.append(cpu_seconds(lambda: scorer.score(*state.cpu_window(BOOTSTRAP_POINTS))))
    heads, values = state.cpu_window(FORECAST_HISTORY_POINTS)
    batch = list(range(min(FORECAST_BATCH, hosts)))
    forecasts = [
        cpu_seconds(lambda: forecast_peaks(state.resolution_s, heads[batch], values[batch], batch))
        for _ in range(3)
    ]
    return [
        ["anomaly: first cycle, every host's detector bootstrapped", bootstrap, "once"],
        [
            f"anomaly: one cycle, {ANOMALY_SLOTS_PER_CYCLE} new slots per host",
            float(np.median(steady)),
            f"every {ANOMALY_SLOTS_PER_CYCLE * state.resolution_s:g} s",
        ],
        [
            f"forecast peaks: one cycle, {len(batch)} hosts",
            float(np.median(forecasts)),
            "every 30 s",
        ],
    ]


def _median_row(name: str, runs: list[np.ndarray]) -> list[object]:
    """The stall row of one run, or the median of each column over several runs."""
    rows = [_stall_row(name, lateness) for lateness in runs]
    if len(rows) == 1:
        return rows[0]
    return [name] + [float(np.median([row[i] for row in rows])) for i in range(1, 5)]


def _cost_rows(costs: dict[str, list[float]]) -> list[list[object]]:
    names = {
        "bootstrap": "anomaly, first cycle (bootstraps every host's detector)",
        "anomaly": "anomaly, later cycles (the slots completed since)",
        "forecast": "forecast peaks, one cycle (100 hosts)",
    }
    return [[names[kind], *_median_count(values)] for kind, values in costs.items() if values]


def _median_count(values: list[float]) -> list[object]:
    return [float(np.median(values)), len(values)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0, help="probe length per scenario")
    parser.add_argument("--threads", type=int, default=8, help="poller threads (fast lane)")
    parser.add_argument("--runs", type=int, default=1, help="runs per scenario (medians)")
    parser.add_argument(
        "--no-refresh-baseline",
        action="store_true",
        help="skip the side-by-side runs with the table refresh stopped",
    )
    parser.add_argument("--no-insights", action="store_true", help="no detectors or forecasts")
    parser.add_argument("--history-slots", type=int, default=720, help="CPU history per host")
    args = parser.parse_args()
    insights = not args.no_insights
    costs: dict[str, list[float]] = {"bootstrap": [], "anomaly": [], "forecast": []}
    with tempfile.TemporaryDirectory(prefix="headroom-bench-fleet-") as temporary:
        directory = Path(temporary)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["HEADROOM_CONFIG_DIR"] = str(directory / "config")
        os.environ["HEADROOM_DATA_DIR"] = str(directory / "data")
        from PySide6.QtWidgets import QApplication

        from console.interpreter import configure_for_gui

        app = QApplication.instance() or QApplication([])
        configure_for_gui()  # as the console does (console/interpreter.py)
        idle = [_probe(app, args.seconds) for _ in range(args.runs)]
        stalls = [_median_row("idle event loop (baseline)", idle)]
        rows = []
        modes = [True] if args.no_refresh_baseline else [True, False]
        for label, fraction in (("all healthy", 0.0), ("10 % refused or answering after 5 s", 0.1)):
            for refresh in modes:
                runs = []
                for _ in range(args.runs):
                    result = run_scenario(
                        app,
                        args.hosts,
                        fraction,
                        args.seconds,
                        directory,
                        args.threads,
                        refresh=refresh,
                        insights=insights,
                        history_slots=args.history_slots,
                    )
                    app.processEvents()  # runs the deleteLater()s
                    gc.collect()
                    runs.append(result["lateness"])
                    costs["bootstrap"] += result["costs"]["anomaly"][:1]
                    costs["anomaly"] += result["costs"]["anomaly"][1:]
                    costs["forecast"] += result["costs"]["forecast"]
                suffix = "" if refresh else " [table refresh off: noise baseline]"
                stalls.append(_median_row(f"{args.hosts} hosts, {label}{suffix}", runs))
                if not refresh:
                    continue
                complete = result["healthy_put"] == result["healthy_produced"]
                rows.append(
                    [
                        label,
                        result["rss_mib"],
                        result["history_mib"],
                        result["stored_per_s"],
                        f"{result['healthy_put']:,}/{result['healthy_produced']:,}"
                        + (" all" if complete and result["store_error"] is None else " MISSING"),
                        result["batches"],
                    ]
                )
    extra = "" if insights else ", insights off"
    print_table(
        f"Fleet GUI stalls: lateness of a 10 ms timer, {args.seconds:.0f} s each, "
        f"{'median of ' + str(args.runs) + ' runs' if args.runs > 1 else '1 run'}{extra} "
        "(goal p99 < 50 ms)",
        ["scenario", "ticks", "p50 ms", "p99 ms", "max ms"],
        stalls,
    )
    print_table(
        f"Fleet of {args.hosts} hosts x 8 metrics @ 1 s: memory (goal < 1 GB) and store throughput",
        [
            "scenario",
            "RSS MiB",
            "24 h history MiB",
            "stored/s",
            "healthy samples stored",
            "repaints",
        ],
        rows,
    )
    print(f"(numpy {np.__version__}; history = float32 ring of 8 metrics x 8,640 slots per host)")
    if insights:
        print_table(
            f"Fleet insights for {args.hosts} hosts ({args.history_slots} slots of history): "
            "CPU seconds per cycle in the insights child process, during the scenarios",
            ["job", "CPU s per cycle (median)", "cycles"],
            _cost_rows(costs),
        )
        print_table(
            f"Fleet insights for {args.hosts} hosts: CPU seconds per cycle, measured alone "
            "(median of 3)",
            ["job", "CPU s", "how often"],
            insight_cycle_costs(args.hosts, args.history_slots),
        )


if __name__ == "__main__":
    main()
