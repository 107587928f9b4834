"""Collection from a real sshd on loopback: the remote host is this machine, so the
values can be checked against psutil's view of it."""

from __future__ import annotations

import time
from pathlib import Path

import psutil

from connectors.local import Collector
from connectors.ssh.collector import SshCollector
from models.catalogue import CATALOGUE, split_name
from tests.servers.sshd import SshdServer, SshdUser
from tests.ssh.conftest import FAST, uri


def families(samples) -> set[str]:
    return {split_name(s.metric)[0] for s in samples}


def test_collects_every_host_family_with_sane_values(collector: SshCollector) -> None:
    # What run_collection and the CLI rely on (Collector is not runtime-checkable).
    as_collector: Collector = collector
    assert (as_collector.source, as_collector.host) == ("ssh", "127.0.0.1")
    first = as_collector.collect()
    # Rates and CPU need two polls; gauges are there at once.
    assert {"load.1m", "mem.used.percent", "swap.used.percent", "proc.count"} <= families(first)
    assert "net.rx.bytes" not in families(first)
    disks = {s.metric: s.value for s in first if s.metric.startswith("disk.used.percent")}
    assert "disk.used.percent:/" in disks
    assert abs(disks["disk.used.percent:/"] - psutil.disk_usage("/").percent) < 2
    time.sleep(0.05)
    second = collector.collect(now=first[0].timestamp + 1.0)
    expected = {
        "cpu.percent",
        "cpu.core.percent",
        "load.1m",
        "load.5m",
        "load.15m",
        "mem.used.percent",
        "swap.used.percent",
        "net.rx.bytes",
        "net.tx.bytes",
        "proc.count",
    }
    if psutil.disk_io_counters(perdisk=False) is not None:
        expected |= {"disk.read.bytes", "disk.write.bytes"}
    assert expected <= families(second)
    assert families(second) <= set(CATALOGUE)
    assert {s.source for s in second} == {"ssh"}
    assert {s.host for s in second} == {"127.0.0.1"}
    assert len({s.timestamp for s in second}) == 1

    by_name = {s.metric: s.value for s in second}
    cores = [n for n in by_name if n.startswith("cpu.core.percent:")]
    assert len(cores) == psutil.cpu_count()
    for name, value in by_name.items():
        if CATALOGUE[split_name(name)[0]].unit == "%":
            assert 0.0 <= value <= 100.0, name
        else:
            assert value >= 0.0, name
    # Same machine: memory and process count must agree with psutil.
    assert abs(by_name["mem.used.percent"] - psutil.virtual_memory().percent) < 10
    assert abs(by_name["proc.count"] - len(psutil.pids())) < 100
    assert by_name["load.1m"] == round(by_name["load.1m"], 2)
    # The loopback carried our own SSH traffic between the two polls.
    assert by_name["net.rx.bytes:lo"] > 0
    # Disk space is re-read every disk_space_interval seconds, not on every poll.
    assert "disk.used.percent" not in families(second)
    collector.disk_space_interval = 0.0
    assert "disk.used.percent" in families(collector.collect())


def test_custom_metric_runs_on_the_host(
    sshd_user: SshdUser, sshd_server: SshdServer, known_hosts: Path
) -> None:
    from connectors.ssh.custom import CustomMetric

    metrics = [
        CustomMetric("queue.length", "echo {n}", params={"n": "42"}),
        CustomMetric("per.worker", "printf 'a 1\\nb 2.5\\n'"),
        CustomMetric("requests", "cut -d ' ' -f1 /proc/uptime", counter=True),
        CustomMetric("broken", "sh -c 'echo oops >&2; exit 4'"),
    ]
    collector = SshCollector.from_uri(
        uri(sshd_user, sshd_server), known_hosts, sshd_user.client_key, options=FAST, custom=metrics
    )
    try:
        first = {s.metric: s.value for s in collector.collect()}
        second = {s.metric: s.value for s in collector.collect(now=time.time() + 1)}
    finally:
        collector.close()
    assert first["custom.queue.length"] == 42.0
    assert first["custom.per.worker:a"] == 1.0
    assert first["custom.per.worker:b"] == 2.5
    assert "custom.requests" not in first  # a counter needs two readings
    assert second["custom.requests"] > 0
    assert not any(name.startswith("custom.broken") for name in second)
    assert "cpu.percent" in second  # a failing custom metric does not spoil the poll
