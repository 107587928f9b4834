"""SSH polling throughput and latency against a real sshd on loopback.

    .venv/bin/python -m bench.bench_ssh [--connections 50] [--workers 16] [--runs 5]

Starts its own sshd (the test fixture's code, needs root), opens ``--connections``
collectors to it and polls them all, round after round, from a thread pool.
Compared side by side:

- persistent connections with TCP_NODELAY (what SshCollector does: disk space
  via df only every 15 s, so timed rounds run the fast script),
- the same, with df on every poll (disk_space_interval = 0),
- persistent connections without TCP_NODELAY,
- a fresh connection per poll (connect, authenticate, poll, close): the baseline.

Throughput is connections / median round time (bench.common.median_seconds);
latency percentiles are over every poll of the warm-up and timed rounds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from bench.common import median_seconds, print_table
from connectors.ssh.collector import SshCollector
from connectors.ssh.connection import ConnectionOptions
from tests.servers.sshd import (
    SshdServer,
    SshdUser,
    _world_readable_dir,
    ensure_test_user,
    forget_password,
    skip_reason,
    start_sshd,
)

OPTIONS = ConnectionOptions(
    connect_timeout=20.0, command_timeout=30.0, allow_agent=False, look_for_keys=False
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Mode:
    def __init__(
        self,
        name: str,
        user: SshdUser,
        server: SshdServer,
        known_hosts: Path,
        count: int,
        options: ConnectionOptions,
        persistent: bool,
        disk_every_poll: bool = False,
    ) -> None:
        self.name = name
        self.persistent = persistent
        self.make = lambda: SshCollector.from_uri(
            f"ssh://{user.name}@127.0.0.1:{server.port}",
            known_hosts,
            user.client_key,
            options=options,
        )
        self.collectors = [self.make() for _ in range(count)] if persistent else []
        for collector in self.collectors:
            if disk_every_poll:
                collector.disk_space_interval = 0.0
        self.count = count
        self.latencies: list[float] = []
        self.failures = 0
        self._lock = threading.Lock()

    def poll(self, index: int) -> None:
        started = time.perf_counter()
        try:
            if self.persistent:
                self.collectors[index].collect()
            else:
                collector = self.make()
                try:
                    collector.collect()
                finally:
                    collector.close()
        except Exception:  # noqa: BLE001 - a benchmark counts failures, it does not stop
            with self._lock:
                self.failures += 1
            return
        with self._lock:
            self.latencies.append(time.perf_counter() - started)

    def close(self) -> None:
        for collector in self.collectors:
            collector.close()


def measure(mode: Mode, pool: ThreadPoolExecutor, runs: int) -> list[object]:
    def one_round() -> None:
        list(pool.map(mode.poll, range(mode.count)))

    one_round()  # connect everything (persistent) before timing
    mode.latencies.clear()
    round_s = median_seconds(one_round, runs=runs, warmup=1)
    lat = mode.latencies
    return [
        mode.name,
        mode.count,
        len(lat),
        mode.failures,
        mode.count / round_s,
        1000 * statistics.median(lat) if lat else float("nan"),
        1000 * percentile(lat, 0.99) if lat else float("nan"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fresh-runs", type=int, default=3, help="runs of the slow baseline")
    args = parser.parse_args(argv)
    reason = skip_reason()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    workdir = _world_readable_dir("headroom-bench-ssh-")
    user = ensure_test_user(workdir)
    server = start_sshd(user)
    known_hosts = workdir / "known_hosts"
    known_hosts.write_text(server.known_hosts_line)
    rows = []
    try:
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            nagle = replace(OPTIONS, tcp_nodelay=False)
            for name, options, persistent, runs, disks in (
                ("persistent, TCP_NODELAY", OPTIONS, True, args.runs, False),
                ("persistent, TCP_NODELAY, df every poll", OPTIONS, True, args.runs, True),
                ("persistent, Nagle (no TCP_NODELAY)", nagle, True, args.runs, False),
                ("fresh connection per poll", OPTIONS, False, args.fresh_runs, False),
            ):
                mode = Mode(
                    name, user, server, known_hosts, args.connections, options, persistent, disks
                )
                try:
                    rows.append(measure(mode, pool, runs))
                finally:
                    mode.close()
    finally:
        server.cleanup()
        forget_password()
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(
        f"SSH polling, one sshd on loopback, {args.workers} worker threads "
        f"(goal: >= 200 host polls/s on 2 cores)",
        ["mode", "hosts", "polls sampled", "failed", "polls/s", "p50 ms", "p99 ms"],
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
