"""``SshCollector``: a Linux host's metrics over SSH, as catalogue samples (source "ssh").

One poll is ONE remote command (:data:`connectors.ssh.proc.POLL_SCRIPT`) plus one
per custom metric; disk space (``disk.used.percent``) is read on the first poll and
then every ``disk_space_interval`` seconds, because df costs as much as the rest. CPU percentages come from the /proc/stat difference between
two polls and counters (disk and network bytes) from :class:`RateTracker`, so
both appear from the second poll on, as with the local collector.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path

from connectors.errors import SourceError
from connectors.local import real_mountpoints
from connectors.ssh import proc
from connectors.ssh.config import SshTarget, parse_uri, resolve_target
from connectors.ssh.connection import ConnectionOptions, SshConnection
from connectors.ssh.custom import CustomMetric, CustomMetricError
from connectors.ssh.hostkeys import HostKeyDecision, refuse_unknown
from connectors.ssh.secrets import SecretStore
from models.catalogue import metric_name
from models.rates import RateTracker
from models.samples import Sample

log = logging.getLogger(__name__)

SOURCE = "ssh"
DISK_SPACE_INTERVAL_S = 15.0


class SshCollector:
    """Samples one remote Linux host. ``collect`` raises the typed errors of connectors.errors."""

    def __init__(
        self,
        connection: SshConnection,
        host: str | None = None,
        custom: Sequence[CustomMetric] = (),
    ) -> None:
        self.connection = connection
        # The label is data, never part of a command: any text is safe here.
        self.host = host or connection.target.alias
        self.source = SOURCE
        self.custom = tuple(custom)
        self._rates = RateTracker()
        self._counter_keys: set[str] = set()
        self._cpu_before: dict[str, proc.CpuTimes] = {}
        # Disk space is read every this many seconds, not every poll (see proc.py).
        self.disk_space_interval = DISK_SPACE_INTERVAL_S
        self._disks_read_at = -math.inf

    @classmethod
    def from_uri(
        cls,
        uri: str,
        known_hosts: Path | None = None,
        identity: Path | None = None,
        ssh_config: Path | None = None,
        *,
        decide: HostKeyDecision = refuse_unknown,
        secrets: SecretStore | None = None,
        options: ConnectionOptions | None = None,
        custom: Sequence[CustomMetric] = (),
    ) -> SshCollector:
        """``ssh://user@host:port`` or ``ssh://alias`` (resolved through ``ssh_config``).

        Nothing connects yet: the first ``collect`` does.
        """
        parts = parse_uri(uri)
        target = resolve_target(parts.host, parts.user, parts.port, ssh_config, identity)
        return cls.for_target(target, known_hosts, decide, secrets, options, custom)

    @classmethod
    def for_target(
        cls,
        target: SshTarget,
        known_hosts: Path | None = None,
        decide: HostKeyDecision = refuse_unknown,
        secrets: SecretStore | None = None,
        options: ConnectionOptions | None = None,
        custom: Sequence[CustomMetric] = (),
    ) -> SshCollector:
        connection = SshConnection(target, known_hosts, decide, secrets, options)
        return cls(connection, custom=custom)

    # -- public -------------------------------------------------------------------------

    def collect(self, now: float | None = None) -> list[Sample]:
        """One snapshot of the host; raises SourceError (and subclasses) on failure."""
        with_disks = time.monotonic() - self._disks_read_at >= self.disk_space_interval
        result = self.connection.run(
            proc.POLL_SCRIPT_WITH_DISKS if with_disks else proc.POLL_SCRIPT
        )
        timestamp = time.time() if now is None else now
        sections = proc.split_sections(result.stdout)
        if "end" not in sections:
            raise SourceError(
                self.connection.source,
                f"poll script failed (exit {result.exit_status}): "
                f"{result.first_error_line or 'incomplete output'}",
            )
        values = self.parse_snapshot(sections, timestamp)
        if with_disks:
            self._disks_read_at = time.monotonic()
        values += self._custom(timestamp)
        return [Sample(timestamp, self.source, self.host, name, value) for name, value in values]

    def close(self) -> None:
        self.connection.close()

    # -- parsing one poll ---------------------------------------------------------------

    def parse_snapshot(self, sections: dict[str, str], timestamp: float) -> list[tuple[str, float]]:
        values: list[tuple[str, float]] = []
        values += self._cpu(sections.get("/proc/stat", ""))
        load = proc.parse_loadavg(sections.get("/proc/loadavg", ""))
        if load is not None:
            values += list(zip(("load.1m", "load.5m", "load.15m"), load, strict=True))
        values += list(
            proc.memory_percents(proc.parse_meminfo(sections.get("/proc/meminfo", ""))).items()
        )
        if "df" in sections:
            values += self._disk_space(sections.get("/proc/mounts", ""), sections["df"])
        values += self._counters(sections, timestamp)
        count = proc.parse_process_count(sections.get("procs", ""))
        if count is not None:
            values.append(("proc.count", count))
        for gpu in proc.parse_nvidia_smi(sections.get("gpu", "")):
            if gpu.util_percent is not None:
                values.append((metric_name("gpu.util.percent", str(gpu.index)), gpu.util_percent))
            if gpu.mem_used_percent is not None:
                values.append(
                    (metric_name("gpu.mem.used.percent", str(gpu.index)), gpu.mem_used_percent)
                )
        return values

    def _cpu(self, text: str) -> list[tuple[str, float]]:
        after = proc.parse_stat(text)
        before, self._cpu_before = self._cpu_before, after
        out = []
        for name, times in after.items():
            previous = before.get(name)
            if previous is None:
                continue
            percent = proc.cpu_percent(previous, times)
            if percent is None:
                continue
            if name == "cpu":
                out.append(("cpu.percent", percent))
            else:
                out.append((metric_name("cpu.core.percent", name[3:]), percent))
        return out

    @staticmethod
    def _disk_space(mounts_text: str, df_text: str) -> list[tuple[str, float]]:
        # The same rules as the local collector decide which filesystems hold data.
        real = set(real_mountpoints(proc.parse_mounts(mounts_text)))
        usage = proc.parse_df(df_text)
        return [
            (metric_name("disk.used.percent", mount), percent)
            for mount, percent in sorted(usage.items())
            if mount in real
        ]

    def _counters(self, sections: dict[str, str], timestamp: float) -> list[tuple[str, float]]:
        readings: dict[str, float] = {}
        whole_disks = set(sections.get("/sys/block", "").split()) or None
        disk = proc.parse_diskstats(sections.get("/proc/diskstats", ""), whole_disks)
        if disk is not None:
            readings["disk.read.bytes"], readings["disk.write.bytes"] = disk
        nics = proc.parse_net_dev(sections.get("/proc/net/dev", ""))
        if nics:
            # Loopback traffic never leaves the host: per interface only, not in the total.
            readings["net.rx.bytes"] = sum(rx for nic, (rx, _) in nics.items() if nic != "lo")
            readings["net.tx.bytes"] = sum(tx for nic, (_, tx) in nics.items() if nic != "lo")
            for nic, (rx, tx) in nics.items():
                readings[metric_name("net.rx.bytes", nic)] = rx
                readings[metric_name("net.tx.bytes", nic)] = tx
        return self._rates_of(readings, timestamp)

    def _rates_of(self, readings: dict[str, float], timestamp: float) -> list[tuple[str, float]]:
        out = []
        for name, value in readings.items():
            rate = self._rates.update(name, timestamp, value)
            if rate is not None:
                out.append((name, rate))
        return out

    def _custom(self, timestamp: float) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        for metric in self.custom:
            result = self.connection.run(metric.command_line(), timeout=metric.timeout)
            if result.exit_status != 0:
                log.warning(
                    "%s: custom metric %s exited with %d: %s",
                    self.host,
                    metric.name,
                    result.exit_status,
                    result.first_error_line,
                )
                continue
            try:
                values = metric.parse_output(result.stdout)
            except CustomMetricError as error:
                log.warning("%s: %s", self.host, error)
                continue
            if metric.counter:
                values = self._rates_of(dict(values), timestamp)
            out += values
        return out
