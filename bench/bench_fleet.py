"""Fleet benchmark: 1,000 simulated hosts streaming 8 metrics at 1 s into the fleet view and store.

    .venv/bin/python -m bench.bench_fleet [--hosts 1000] [--seconds 20]

Per scenario: the GUI event-loop stall (lateness of a 10 ms timer, as in
bench_gui; goal p99 < 50 ms), resident memory of the process with the fleet's
24 h history at 10 s resolution (goal < 1 GB), samples committed to the store
per second, and whether every sample the healthy hosts returned was stored.
Scenarios: the idle event loop (baseline), all hosts healthy, and 10 % of hosts
bad (half refuse the connection, half answer only after 5 s). The fleet view is
shown (offscreen) sorted by CPU, with the real poller, FleetModel and StoreWriter.
"""

from __future__ import annotations

import argparse
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


def run_scenario(
    app, hosts: int, bad_fraction: float, seconds: float, directory: Path, threads: int = 8
) -> dict:
    from PySide6.QtCore import Qt

    from connectors.store import StoreWriter
    from console.fleet.connections import Connection
    from console.fleet.fleet_model import CPU, FleetModel
    from console.fleet.fleet_state import FleetState
    from console.fleet.fleet_view import FleetView
    from console.fleet.poller import FleetPoller

    bad = int(hosts * bad_fraction)
    sims = [
        SimHost(i, "healthy" if i >= bad else ("refused" if i % 2 else "slow"))
        for i in range(hosts)
    ]
    by_name = {s.host: s for s in sims}
    healthy = {s.host for s in sims if s.mode == "healthy"}
    path = directory / f"fleet-{bad}.sqlite"
    writer = StoreWriter(path)
    writer.start()
    sink = CountingSink(writer, healthy)
    state = FleetState(window_s=86400, resolution_s=10.0)
    model = FleetModel(state, refresh_hz=2.0)
    view = FleetView(model)
    view.resize(1400, 900)
    view.show()
    view.table.sortByColumn(CPU, Qt.SortOrder.DescendingOrder)
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
    writer.stop(30.0)
    produced = sum(by_name[h].returned for h in healthy)
    view.close()
    model.timer.stop()
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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0, help="probe length per scenario")
    parser.add_argument("--threads", type=int, default=8, help="poller threads (fast lane)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="headroom-bench-fleet-") as temporary:
        directory = Path(temporary)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["HEADROOM_CONFIG_DIR"] = str(directory / "config")
        os.environ["HEADROOM_DATA_DIR"] = str(directory / "data")
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication([])
        stalls = [_stall_row("idle event loop (baseline)", _probe(app, args.seconds))]
        rows = []
        for label, fraction in (("all healthy", 0.0), ("10 % refused or answering after 5 s", 0.1)):
            result = run_scenario(app, args.hosts, fraction, args.seconds, directory, args.threads)
            stalls.append(_stall_row(f"{args.hosts} hosts, {label}", result["lateness"]))
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
    print_table(
        f"Fleet GUI stalls: lateness of a 10 ms timer, {args.seconds:.0f} s each (goal p99 < 50 ms)",
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


if __name__ == "__main__":
    main()
