"""node_exporter metrics → Headroom's catalogue, as one PromQL query per family.

Each :class:`FamilyQuery` is a PromQL template with two holes: ``{sel}`` for the
matchers choosing the hosts (always extended, never replaced, so a user filter
cannot drop the metric name) and ``{window}`` for the rate window. Counters
are turned into per-second rates by Prometheus itself (``rate()``), which
already handles counter resets, so no rate tracking happens on our side.

==========================  =====================================================
catalogue name              node_exporter source
==========================  =====================================================
cpu.percent                 1 - idle+iowait share of node_cpu_seconds_total
cpu.core.percent:<cpu>      the same per ``cpu`` label
load.1m / 5m / 15m          node_load1 / node_load5 / node_load15
mem.used.percent            1 - MemAvailable / MemTotal
swap.used.percent           1 - SwapFree / SwapTotal (hosts with swap only)
disk.used.percent:<mount>   used / (used + avail), psutil's definition, per mountpoint
disk.read/write.bytes       rate of node_disk_{read,written}_bytes_total, all disks
net.rx/tx.bytes             rate of node_network_{receive,transmit}_bytes_total,
                            total without ``lo``, and ``:<device>`` per interface
proc.count                  node_processes_pids (needs --collector.processes)
==========================  =====================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.local import PSEUDO_FSTYPES
from connectors.prometheus.promql import regex_alternatives

# Filesystems holding no operator data, as for the local collector.
_PSEUDO_FSTYPES_RE = regex_alternatives(PSEUDO_FSTYPES)


@dataclass(frozen=True, slots=True)
class FamilyQuery:
    family: str
    template: str
    instance_label: str | None = None  # label giving the ``:instance`` suffix, if any

    def render(self, selector: str, window: str) -> str:
        return self.template.format(sel=selector, window=window)


_CPU_IDLE = 'rate(node_cpu_seconds_total{{mode=~"idle|iowait",{sel}}}[{window}])'
_FS = 'fstype!~"' + _PSEUDO_FSTYPES_RE.replace("\\", "\\\\") + '",{sel}'

QUERIES: tuple[FamilyQuery, ...] = (
    FamilyQuery(
        "cpu.percent",
        "clamp_max(clamp_min(100 * (1 - sum by (instance) (" + _CPU_IDLE + ") / "
        'count by (instance) (node_cpu_seconds_total{{mode="idle",{sel}}})), 0), 100)',
    ),
    FamilyQuery(
        "cpu.core.percent",
        "clamp_max(clamp_min(100 * (1 - sum by (instance, cpu) (" + _CPU_IDLE + ")), 0), 100)",
        instance_label="cpu",
    ),
    FamilyQuery("load.1m", "node_load1{{{sel}}}"),
    FamilyQuery("load.5m", "node_load5{{{sel}}}"),
    FamilyQuery("load.15m", "node_load15{{{sel}}}"),
    FamilyQuery(
        "mem.used.percent",
        "100 * (1 - node_memory_MemAvailable_bytes{{{sel}}} / node_memory_MemTotal_bytes{{{sel}}})",
    ),
    FamilyQuery(
        "swap.used.percent",
        "100 * (1 - node_memory_SwapFree_bytes{{{sel}}} / (node_memory_SwapTotal_bytes{{{sel}}} > 0))",
    ),
    FamilyQuery(
        "disk.used.percent",
        "100 * (node_filesystem_size_bytes{{"
        + _FS
        + "}} - node_filesystem_free_bytes{{"
        + _FS
        + "}})"
        " / (node_filesystem_size_bytes{{" + _FS + "}} - node_filesystem_free_bytes{{" + _FS + "}}"
        " + node_filesystem_avail_bytes{{" + _FS + "}})",
        instance_label="mountpoint",
    ),
    FamilyQuery(
        "disk.read.bytes",
        "sum by (instance) (rate(node_disk_read_bytes_total{{{sel}}}[{window}]))",
    ),
    FamilyQuery(
        "disk.write.bytes",
        "sum by (instance) (rate(node_disk_written_bytes_total{{{sel}}}[{window}]))",
    ),
    FamilyQuery(
        "net.rx.bytes",
        'sum by (instance) (rate(node_network_receive_bytes_total{{device!="lo",{sel}}}[{window}]))',
    ),
    FamilyQuery(
        "net.tx.bytes",
        'sum by (instance) (rate(node_network_transmit_bytes_total{{device!="lo",{sel}}}[{window}]))',
    ),
    FamilyQuery(
        "net.rx.bytes",
        "rate(node_network_receive_bytes_total{{{sel}}}[{window}])",
        instance_label="device",
    ),
    FamilyQuery(
        "net.tx.bytes",
        "rate(node_network_transmit_bytes_total{{{sel}}}[{window}])",
        instance_label="device",
    ),
    FamilyQuery("proc.count", "node_processes_pids{{{sel}}}"),
)

FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(query.family for query in QUERIES))
