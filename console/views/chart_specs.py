"""Which metrics go on which chart: the one table that says what the console shows.

A chart's series are found by metric family, so new instances (a mount, a core,
an interface) appear without code changes. No Qt or pyqtgraph here: the window
can be laid out before the (slow to import) chart library is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.catalogue import split_name


@dataclass(frozen=True)
class SeriesRule:
    family: str
    label: str  # "{instance}" is replaced for per-instance series
    per_instance: bool = False
    per_core: bool = False  # shown only while the per-core view is on


@dataclass(frozen=True)
class ChartSpec:
    key: str
    title: str
    unit: str
    series: tuple[SeriesRule, ...]
    y_range: tuple[float, float] | None = None

    def label_for(self, metric: str) -> tuple[SeriesRule, str] | None:
        family, instance = split_name(metric)
        for rule in self.series:
            if rule.family != family or rule.per_instance != (instance is not None):
                continue
            return rule, rule.label.format(instance=instance or "")
        return None


PERCENT = (0.0, 100.0)
DEFAULT_CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        "cpu",
        "CPU",
        "%",
        (
            SeriesRule("cpu.percent", "Total"),
            SeriesRule("cpu.core.percent", "Core {instance}", per_instance=True, per_core=True),
        ),
        PERCENT,
    ),
    ChartSpec(
        "memory",
        "Memory",
        "%",
        (SeriesRule("mem.used.percent", "Memory"), SeriesRule("swap.used.percent", "Swap")),
        PERCENT,
    ),
    ChartSpec(
        "network",
        "Network",
        "B/s",
        (SeriesRule("net.rx.bytes", "Received"), SeriesRule("net.tx.bytes", "Sent")),
    ),
    ChartSpec(
        "disk",
        "Disk I/O",
        "B/s",
        (SeriesRule("disk.read.bytes", "Read"), SeriesRule("disk.write.bytes", "Write")),
    ),
    ChartSpec(
        "disk_space",
        "Disk space used",
        "%",
        (SeriesRule("disk.used.percent", "{instance}", per_instance=True),),
        PERCENT,
    ),
    ChartSpec(
        "load",
        "Load average",
        "",
        (
            SeriesRule("load.1m", "1 min"),
            SeriesRule("load.5m", "5 min"),
            SeriesRule("load.15m", "15 min"),
        ),
    ),
)
