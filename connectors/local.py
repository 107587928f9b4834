"""Metrics of the machine Headroom runs on, read with psutil.

One ``collect()`` call is one snapshot: every sample carries the same UTC
timestamp. Counters (disk and network bytes) become per-second rates through
:class:`models.rates.RateTracker`, so they appear from the second call on.
CPU percentages are measured over the interval since the previous call (or
since construction), from this collector's own CPU-time readings, so another
caller of ``psutil.cpu_percent`` cannot disturb them and no call ever sleeps.
They appear once every core has ticked (10 ms) since that reading; a call made
sooner reports no CPU samples rather than meaningless ones.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import psutil

from connectors.gpu import GpuProbe
from models.catalogue import CATALOGUE, metric_name
from models.rates import RateTracker
from models.samples import Sample

# Filesystems that hold no operator data: kernel views, RAM-backed scratch,
# read-only images and container plumbing.
PSEUDO_FSTYPES = frozenset(
    {
        "autofs",
        "binfmt_misc",
        "bpf",
        "cgroup",
        "cgroup2",
        "configfs",
        "debugfs",
        "devpts",
        "devtmpfs",
        "efivarfs",
        "fusectl",
        "hugetlbfs",
        "mqueue",
        "nsfs",
        "proc",
        "pstore",
        "ramfs",
        "rpc_pipefs",
        "securityfs",
        "squashfs",
        "sysfs",
        "tmpfs",
        "tracefs",
        "fuse.gvfsd-fuse",
        "fuse.lxcfs",
        "fuse.portal",
        "fuse.snapfuse",
        "iso9660",
        "nfsd",
    }
)
# In a container the root filesystem is an overlay without a /dev device; it is
# still the disk the workload fills up, so it is kept when mounted on "/".
CONTAINER_ROOT_FSTYPES = frozenset({"overlay", "aufs", "fuse-overlayfs"})
PSEUDO_MOUNT_PREFIXES = ("/proc", "/sys", "/dev", "/run", "/snap", "/var/lib/docker")
# Removable drives are mounted under /run/media: real disks an operator may fill.
REAL_UNDER_PSEUDO = ("/run/media",)


class _Partition(Protocol):
    device: str
    mountpoint: str
    fstype: str


class Collector(Protocol):
    """What :func:`run_collection` and the CLI need from a source of samples."""

    host: str
    source: str

    def collect(self, now: float | None = None) -> list[Sample]: ...


def real_mountpoints(partitions: Sequence[_Partition] | None = None) -> list[str]:
    """Mountpoints of filesystems that hold data, one per device, sorted.

    A device mounted several times (bind mounts, common in containers) is
    reported once, at its shortest mountpoint; a mountpoint is reported once
    even when stacked mounts share it.
    """
    if partitions is None:
        partitions = psutil.disk_partitions(all=True)
    by_device: dict[str, str] = {}
    for part in partitions:
        fstype = part.fstype.lower()
        mount = part.mountpoint
        if fstype in PSEUDO_FSTYPES or not fstype:
            continue
        if _under_pseudo_mount(mount):
            continue
        is_container_root = fstype in CONTAINER_ROOT_FSTYPES and mount == "/"
        if not part.device.startswith("/") and not is_container_root:
            continue  # no backing device: a virtual filesystem under another name
        known = by_device.get(part.device)
        if known is None or len(mount) < len(known):
            by_device[part.device] = mount
    return sorted(set(by_device.values()))


def _under_pseudo_mount(mount: str) -> bool:
    def under(prefixes: tuple[str, ...]) -> bool:
        return any(mount == prefix or mount.startswith(prefix + "/") for prefix in prefixes)

    return under(PSEUDO_MOUNT_PREFIXES) and not under(REAL_UNDER_PSEUDO)


def _busy_and_total(times: tuple[float, ...]) -> tuple[float, float]:
    """Busy and total CPU seconds, counted the way psutil.cpu_percent does."""
    total = sum(times)
    # On Linux guest time is already included in user/nice time.
    total -= getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
    idle = getattr(times, "idle", 0.0) + getattr(times, "iowait", 0.0)
    return total - idle, total


def _percent_busy(before: tuple[float, float], after: tuple[float, float]) -> float | None:
    busy = after[0] - before[0]
    total = after[1] - before[1]
    if total <= 0:
        return None  # less than one kernel tick elapsed: no measurement yet
    return min(100.0, max(0.0, 100.0 * busy / total))


class LocalCollector:
    """Samples this machine's CPU, load, memory, disks, network, processes and GPUs."""

    def __init__(
        self, host: str | None = None, gpu: GpuProbe | None = None, source: str = "local"
    ) -> None:
        self.host = host or socket.gethostname()
        self.source = source
        self._gpu = gpu if gpu is not None else GpuProbe()
        self._rates = RateTracker()
        self._counter_keys: set[str] = set()
        self._cpu_before = self._read_cpu()
        self._mounts = real_mountpoints()
        self._mounts_read_at = time.monotonic()

    # -- public -------------------------------------------------------------------------

    def available_families(self) -> list[str]:
        """Catalogue families this machine offers, in catalogue order."""
        offered = set(CATALOGUE) - {"gpu.util.percent", "gpu.mem.used.percent"}
        if not hasattr(os, "getloadavg"):
            offered -= {"load.1m", "load.5m", "load.15m"}
        if not self._mounts:
            offered.discard("disk.used.percent")
        if psutil.disk_io_counters(perdisk=False) is None:
            offered -= {"disk.read.bytes", "disk.write.bytes"}
        if self._gpu.available:
            offered |= {"gpu.util.percent", "gpu.mem.used.percent"}
        return [family for family in CATALOGUE if family in offered]

    def collect(self, now: float | None = None) -> list[Sample]:
        """One snapshot; ``now`` (UTC epoch seconds) defaults to the current time."""
        timestamp = time.time() if now is None else now
        values: list[tuple[str, float]] = []
        values += self._cpu()
        values += self._load()
        values += self._memory()
        values += self._disk_space()
        values += self._counters(timestamp)
        values.append(("proc.count", float(len(psutil.pids()))))
        values += self._gpus()
        return [Sample(timestamp, self.source, self.host, name, value) for name, value in values]

    # -- one method per metric group ----------------------------------------------------

    @staticmethod
    def _read_cpu() -> list[tuple[float, float]]:
        return [_busy_and_total(times) for times in psutil.cpu_times(percpu=True)]

    def _cpu(self) -> list[tuple[str, float]]:
        after = self._read_cpu()
        before = self._cpu_before
        if len(before) != len(after):
            self._cpu_before = after  # a CPU went on/offline: start measuring afresh
            return []
        per_core = [_percent_busy(old, new) for old, new in zip(before, after, strict=True)]
        if any(percent is None for percent in per_core):
            # Some core has not ticked since the last reading: keep the old baseline
            # so the next call measures a longer interval instead of reporting half a snapshot.
            return []
        self._cpu_before = after
        total = _percent_busy(
            (sum(b for b, _ in before), sum(t for _, t in before)),
            (sum(b for b, _ in after), sum(t for _, t in after)),
        )
        out = [("cpu.percent", total if total is not None else 0.0)]
        out += [
            (metric_name("cpu.core.percent", str(core)), percent or 0.0)
            for core, percent in enumerate(per_core)
        ]
        return out

    @staticmethod
    def _load() -> list[tuple[str, float]]:
        if not hasattr(os, "getloadavg"):
            return []
        one, five, fifteen = os.getloadavg()
        return [("load.1m", one), ("load.5m", five), ("load.15m", fifteen)]

    @staticmethod
    def _memory() -> list[tuple[str, float]]:
        swap = psutil.swap_memory()
        return [
            ("mem.used.percent", float(psutil.virtual_memory().percent)),
            ("swap.used.percent", float(swap.percent) if swap.total else 0.0),
        ]

    def _disk_space(self) -> list[tuple[str, float]]:
        # Mounts change rarely; re-reading /proc/mounts each second would dominate the cost.
        if time.monotonic() - self._mounts_read_at > 60.0:
            self._mounts = real_mountpoints()
            self._mounts_read_at = time.monotonic()
        out = []
        for mount in self._mounts:
            try:
                usage = psutil.disk_usage(mount)
            except OSError:
                continue  # unmounted since, or no permission: skip this one
            out.append((metric_name("disk.used.percent", mount), float(usage.percent)))
        return out

    def _counters(self, timestamp: float) -> list[tuple[str, float]]:
        readings: dict[str, float] = {}
        disk = psutil.disk_io_counters(perdisk=False)
        if disk is not None:
            readings["disk.read.bytes"] = float(disk.read_bytes)
            readings["disk.write.bytes"] = float(disk.write_bytes)
        per_nic = psutil.net_io_counters(pernic=True)
        # Loopback traffic never leaves the machine: shown per interface, not in the total.
        readings["net.rx.bytes"] = float(
            sum(c.bytes_recv for nic, c in per_nic.items() if nic != "lo")
        )
        readings["net.tx.bytes"] = float(
            sum(c.bytes_sent for nic, c in per_nic.items() if nic != "lo")
        )
        for nic, counters in per_nic.items():
            readings[metric_name("net.rx.bytes", nic)] = float(counters.bytes_recv)
            readings[metric_name("net.tx.bytes", nic)] = float(counters.bytes_sent)
        out = []
        for name, value in readings.items():
            rate = self._rates.update(name, timestamp, value)
            if rate is not None:
                out.append((name, rate))
        self._forget_vanished(readings)
        return out

    def _forget_vanished(self, readings: dict[str, float]) -> None:
        # An interface that disappears must not yield a rate over its absence if it comes back.
        for key in self._counter_keys - readings.keys():
            self._rates.forget(key)
        self._counter_keys = set(readings)

    def _gpus(self) -> list[tuple[str, float]]:
        out = []
        for reading in self._gpu.read():
            index = str(reading.index)
            if reading.util_percent is not None:
                out.append((metric_name("gpu.util.percent", index), reading.util_percent))
            if reading.mem_used_percent is not None:
                out.append((metric_name("gpu.mem.used.percent", index), reading.mem_used_percent))
        return out


def run_collection(
    collector: Collector,
    interval: float,
    duration: float | None,
    on_samples: Callable[[list[Sample]], None],
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Collect every ``interval`` seconds, on a fixed monotonic schedule.

    Ticks are at ``start + k * interval``; a tick that is already past when the
    previous one finishes is skipped rather than run late, so the schedule never
    drifts. With a ``duration`` the ticks run from 0 to ``duration`` inclusive
    (``duration / interval + 1`` snapshots); without one, until ``should_stop()``
    is true. ``should_stop`` is checked at least every 0.1 s while waiting.
    """
    if interval <= 0:
        raise ValueError(f"interval must be positive, got {interval}")
    if duration is not None and duration < 0:
        raise ValueError(f"duration must not be negative, got {duration}")
    start = time.monotonic()
    tick = 0
    last_tick = None if duration is None else int(duration / interval + 1e-9)
    while not should_stop():
        on_samples(collector.collect())
        elapsed = time.monotonic() - start
        tick = max(tick + 1, int(elapsed / interval) + 1)  # skip ticks already missed
        if last_tick is not None and tick > last_tick:
            return
        while (wait := start + tick * interval - time.monotonic()) > 0:
            if should_stop():
                return
            time.sleep(min(wait, 0.1))
