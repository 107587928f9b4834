"""The local collector, measured on this very machine, and the GPU probe."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

import psutil
import pytest

from connectors.gpu import GpuProbe, GpuReading, parse_query_output
from connectors.local import LocalCollector, real_mountpoints, run_collection
from models.catalogue import CATALOGUE, spec_for, split_name
from models.samples import Sample

COUNTER_FAMILIES = {"disk.read.bytes", "disk.write.bytes", "net.rx.bytes", "net.tx.bytes"}
GAUGES_ON_FIRST_CALL = {
    "load.1m",
    "load.5m",
    "load.15m",
    "mem.used.percent",
    "swap.used.percent",
    "proc.count",
}


def families(samples: list[Sample]) -> set[str]:
    return {split_name(sample.metric)[0] for sample in samples}


def by_metric(samples: list[Sample]) -> dict[str, float]:
    return {sample.metric: sample.value for sample in samples}


@pytest.fixture
def collector() -> LocalCollector:
    return LocalCollector(host="test-host")


def test_first_call_has_gauges_and_counters_appear_from_the_second(
    collector: LocalCollector,
) -> None:
    first = collector.collect()
    assert families(first) >= GAUGES_ON_FIRST_CALL
    assert not families(first) & COUNTER_FAMILIES
    time.sleep(0.3)
    second = collector.collect()
    expected_counters = {"net.rx.bytes", "net.tx.bytes"}
    if psutil.disk_io_counters() is not None:
        expected_counters |= {"disk.read.bytes", "disk.write.bytes"}
    assert expected_counters <= families(second)
    assert {"cpu.percent", "cpu.core.percent"} <= families(second)


def test_snapshot_values_are_sane(collector: LocalCollector) -> None:
    collector.collect()
    time.sleep(0.3)
    samples = collector.collect()
    for sample in samples:
        spec = spec_for(sample.metric)  # every name is in the catalogue
        assert sample.host == "test-host" and sample.source == "local"
        if spec.unit == "%":
            assert 0.0 <= sample.value <= 100.0, sample
        assert sample.value >= 0.0, sample  # rates, loads and counts are never negative
    values = by_metric(samples)
    assert values["proc.count"] == pytest.approx(len(psutil.pids()), rel=0.5)
    assert values["mem.used.percent"] == pytest.approx(psutil.virtual_memory().percent, abs=5)
    # Per interface and total: the total is every interface except loopback.
    nics = [name for name in psutil.net_io_counters(pernic=True) if name != "lo"]
    assert {f"net.rx.bytes:{nic}" for nic in nics} <= values.keys()


def test_one_cpu_percent_per_core(collector: LocalCollector) -> None:
    time.sleep(0.2)
    samples = collector.collect()
    cores = sorted(
        int(split_name(s.metric)[1]) for s in samples if s.metric.startswith("cpu.core.percent:")
    )
    assert cores == list(range(psutil.cpu_count()))
    assert sum(1 for s in samples if s.metric == "cpu.percent") == 1


def test_every_sample_of_a_snapshot_has_the_same_timestamp(collector: LocalCollector) -> None:
    before = time.time()
    collector.collect()
    time.sleep(0.2)
    samples = collector.collect()
    assert len({sample.timestamp for sample in samples}) == 1
    assert before <= samples[0].timestamp <= time.time()
    assert {s.timestamp for s in collector.collect(now=1_800_000_000.5)} == {1_800_000_000.5}


def test_counter_rate_follows_real_network_traffic(collector: LocalCollector) -> None:
    # Loopback traffic we generate ourselves must show up as a rate of at least its size.
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    peer, _ = server.accept()
    collector.collect(now=time.time())
    started = time.time()
    payload = b"x" * 1_000_000
    client.sendall(payload)
    received = 0
    while received < len(payload):
        received += len(peer.recv(1 << 20))
    time.sleep(0.2)
    now = time.time()
    values = by_metric(collector.collect(now=now))
    for sock in (client, peer, server):
        sock.close()
    rate = values["net.rx.bytes:lo"]
    assert rate * (now - started) >= len(payload) * 0.9


def test_available_families_are_what_collect_gives(collector: LocalCollector) -> None:
    collector.collect()
    time.sleep(0.2)
    offered = collector.available_families()
    assert set(offered) <= set(CATALOGUE)
    assert families(collector.collect()) == set(offered)
    assert not any(family.startswith("gpu.") for family in offered)  # no nvidia-smi here


def test_cpu_percent_rises_with_a_busy_process(collector: LocalCollector) -> None:
    collector.collect()
    time.sleep(0.5)
    idle = by_metric(collector.collect())["cpu.percent"]
    # The child spins for at most 5 s even if this test dies before killing it.
    busy_loop = "import time\nend = time.time() + 5\nwhile time.time() < end: pass\n"
    child = subprocess.Popen([sys.executable, "-c", busy_loop])
    try:
        child_process = psutil.Process(child.pid)
        time.sleep(0.3)  # let the interpreter start
        cpu_start = sum(child_process.cpu_times()[:2])
        collector.collect()
        wall_start = time.monotonic()
        time.sleep(1.0)
        busy = by_metric(collector.collect())["cpu.percent"]
        child_seconds = sum(child_process.cpu_times()[:2]) - cpu_start
        wall = time.monotonic() - wall_start
    finally:
        child.kill()
        child.wait(timeout=10)
    child_share = 100.0 * child_seconds / (wall * psutil.cpu_count())
    # Other work may share the machine, so the child's own CPU time is the yardstick:
    # the machine-wide figure must include at least what the child alone burned.
    assert child_share > 5.0, "the busy child hardly ran; the measurement means nothing"
    assert busy >= child_share - 5.0, (idle, busy, child_share)


def test_cpu_percent_is_not_disturbed_by_other_psutil_callers(collector: LocalCollector) -> None:
    time.sleep(0.2)
    psutil.cpu_percent(interval=None)  # resets psutil's own global baseline
    psutil.cpu_percent(interval=None)
    assert "cpu.percent" in by_metric(collector.collect())


Part = namedtuple("Part", "device mountpoint fstype opts")


def test_real_mountpoints_skip_pseudo_filesystems_and_dedupe_devices() -> None:
    partitions = [
        Part("proc", "/proc", "proc", ""),
        Part("tmpfs", "/dev/shm", "tmpfs", ""),
        Part("cgroup", "/sys/fs/cgroup/cpu", "cgroup", ""),
        Part("/dev/sda1", "/", "ext4", ""),
        Part("/dev/sda1", "/var/lib/something/bind", "ext4", ""),  # bind mount: same device
        Part("/dev/sdb1", "/home", "xfs", ""),
        Part("/dev/loop3", "/snap/core/1", "squashfs", ""),
        Part("overlay", "/", "overlay", ""),  # container root
        Part("overlay", "/merged/elsewhere", "overlay", ""),
        Part("model_tools", "/mnt/tools", "tmpfs", ""),
        Part("/dev/sdc1", "/run/media/ann/usb", "vfat", ""),  # a removable drive is real
        Part("/dev/sdd1", "/devel", "ext4", ""),  # "/devel" is not under "/dev"
        Part("/dev/sde1", "/run/user/1000/doc", "ext4", ""),
    ]
    assert real_mountpoints(partitions) == ["/", "/devel", "/home", "/run/media/ann/usb"]


def test_real_mountpoints_on_this_machine_include_root() -> None:
    mounts = real_mountpoints()
    assert "/" in mounts
    assert len(mounts) == len(set(mounts))


# -- run_collection ----------------------------------------------------------------------


def test_run_collection_ticks_on_schedule_including_both_ends(collector: LocalCollector) -> None:
    stamps: list[float] = []
    run_collection(collector, 0.1, 0.5, lambda batch: stamps.append(batch[0].timestamp))
    assert len(stamps) == 6  # t = 0, 0.1, ... 0.5
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert all(0.05 < gap < 0.2 for gap in gaps), gaps
    assert stamps[-1] - stamps[0] == pytest.approx(0.5, abs=0.06)  # no drift


class SlowCollector(LocalCollector):
    def collect(self, now: float | None = None) -> list[Sample]:
        samples = super().collect(now)
        time.sleep(0.25)
        return samples


def test_run_collection_skips_missed_ticks_instead_of_running_late() -> None:
    stamps: list[float] = []
    started = time.monotonic()
    run_collection(SlowCollector(host="slow"), 0.1, 1.0, lambda b: stamps.append(b[0].timestamp))
    elapsed = time.monotonic() - started
    assert 3 <= len(stamps) <= 5  # 11 ticks scheduled, each call takes 2.5 of them
    assert elapsed < 1.5
    offsets = [stamp - stamps[0] for stamp in stamps]
    # Every snapshot is taken on a tick of the original grid, not 0.25 s after the last one.
    assert all(abs(offset * 10 - round(offset * 10)) < 0.4 for offset in offsets), offsets


def test_run_collection_stops_when_asked(collector: LocalCollector) -> None:
    batches: list[list[Sample]] = []
    started = time.monotonic()
    run_collection(collector, 0.05, None, batches.append, should_stop=lambda: len(batches) >= 3)
    assert len(batches) == 3
    assert time.monotonic() - started < 2.0


def test_run_collection_rejects_a_non_positive_interval(collector: LocalCollector) -> None:
    with pytest.raises(ValueError, match="interval"):
        run_collection(collector, 0.0, 1.0, lambda batch: None)


# -- GPU ----------------------------------------------------------------------------------

NVIDIA_SMI_OUTPUT = """\
0, 37, 1024, 16384
1, [N/A], 2048, 8192
2, 5, [N/A], 8192
WARNING: infoROM is corrupted at gpu 0000:03:00.0
3, 100, 8192, 0
"""


def test_parse_query_output_handles_not_available_fields() -> None:
    assert parse_query_output(NVIDIA_SMI_OUTPUT) == [
        GpuReading(0, 37.0, 6.25),
        GpuReading(1, None, 25.0),
        GpuReading(2, 5.0, None),
        GpuReading(3, 100.0, None),  # zero total memory: no percentage rather than a crash
    ]
    assert parse_query_output("") == []
    assert parse_query_output("No devices were found\n") == []


def test_probe_reports_unavailable_on_this_machine_without_raising() -> None:
    probe = GpuProbe()
    assert probe.available is False
    assert probe.read() == []


def fake_nvidia_smi(folder: Path, body: str) -> Path:
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_probe_and_collector_use_a_working_nvidia_smi(tmp_path: Path) -> None:
    script = fake_nvidia_smi(tmp_path, "printf '0, 42, 512, 1024\\n1, 7, 0, 1024\\n'")
    probe = GpuProbe(command=str(script))
    assert probe.available
    collector = LocalCollector(host="gpu-host", gpu=probe)
    values = by_metric(collector.collect())
    assert values["gpu.util.percent:0"] == 42.0
    assert values["gpu.mem.used.percent:0"] == 50.0
    assert values["gpu.util.percent:1"] == 7.0
    assert {"gpu.util.percent", "gpu.mem.used.percent"} <= set(collector.available_families())


def test_probe_of_a_failing_nvidia_smi_is_unavailable(tmp_path: Path) -> None:
    script = fake_nvidia_smi(tmp_path, "echo 'NVIDIA-SMI has failed' >&2; exit 9")
    assert GpuProbe(command=str(script)).available is False


def test_probe_gives_up_on_a_gpu_that_stops_answering(tmp_path: Path) -> None:
    flag = tmp_path / "broken"
    script = fake_nvidia_smi(tmp_path, f"[ -e {flag} ] && exit 1\nprintf '0, 1, 1, 2\\n'")
    probe = GpuProbe(command=str(script), timeout=5.0)
    assert probe.read() == [GpuReading(0, 1.0, 50.0)]
    flag.touch()
    for _ in range(3):
        assert probe.read() == []
    assert probe.available is False


def test_probe_times_out_on_a_hung_nvidia_smi(tmp_path: Path) -> None:
    script = fake_nvidia_smi(tmp_path, "exec sleep 5")
    started = time.monotonic()
    assert GpuProbe(command=str(script), timeout=0.3).available is False
    assert time.monotonic() - started < 3.0


@pytest.mark.skipif(not hasattr(os, "getloadavg"), reason="no load average on this OS")
def test_load_average_matches_the_os(collector: LocalCollector) -> None:
    values = by_metric(collector.collect())
    assert values["load.15m"] == pytest.approx(os.getloadavg()[2], abs=0.5)
