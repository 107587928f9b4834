"""The metric catalogue: every metric Headroom knows, described once.

A metric name is a *family* optionally followed by ``:instance`` — for example
``cpu.percent`` (one per host), ``cpu.core.percent:3`` (core 3),
``disk.used.percent:/home`` (a mount) or ``net.rx.bytes:eth0`` (an interface).
The family carries the unit, kind and display range; the instance only says which one.

Counters are stored as per-second rates (see :mod:`models.rates`); their ``unit``
is the unit of the stored rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    GAUGE = "gauge"
    COUNTER = "counter"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    family: str
    unit: str
    kind: Kind
    description: str
    display_min: float = 0.0
    display_max: float | None = None  # None: autoscale
    bounded: bool = (
        False  # a percentage that can run out (disk, memory): time-to-exhaustion applies
    )

    @property
    def is_counter(self) -> bool:
        return self.kind is Kind.COUNTER


def _pct(family: str, description: str, bounded: bool = False) -> MetricSpec:
    return MetricSpec(family, "%", Kind.GAUGE, description, 0.0, 100.0, bounded)


CATALOGUE: dict[str, MetricSpec] = {
    spec.family: spec
    for spec in (
        _pct("cpu.percent", "CPU busy, all cores"),
        _pct("cpu.core.percent", "CPU busy, one core"),
        MetricSpec("load.1m", "", Kind.GAUGE, "Load average over 1 minute"),
        MetricSpec("load.5m", "", Kind.GAUGE, "Load average over 5 minutes"),
        MetricSpec("load.15m", "", Kind.GAUGE, "Load average over 15 minutes"),
        _pct("mem.used.percent", "Memory in use (excluding cache and buffers)", bounded=True),
        _pct("swap.used.percent", "Swap in use", bounded=True),
        _pct("disk.used.percent", "Space used on a mounted filesystem", bounded=True),
        MetricSpec("disk.read.bytes", "B/s", Kind.COUNTER, "Bytes read from block devices"),
        MetricSpec("disk.write.bytes", "B/s", Kind.COUNTER, "Bytes written to block devices"),
        MetricSpec("net.rx.bytes", "B/s", Kind.COUNTER, "Bytes received"),
        MetricSpec("net.tx.bytes", "B/s", Kind.COUNTER, "Bytes sent"),
        MetricSpec("proc.count", "", Kind.GAUGE, "Number of processes"),
        _pct("gpu.util.percent", "GPU busy (nvidia-smi)"),
        _pct("gpu.mem.used.percent", "GPU memory in use (nvidia-smi)", bounded=True),
    )
}


class UnknownMetric(KeyError):
    """A metric name whose family is not in the catalogue."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown metric {self.name!r}: its family is not in the catalogue"


def split_name(name: str) -> tuple[str, str | None]:
    """``"net.rx.bytes:eth0"`` → ``("net.rx.bytes", "eth0")``; no instance → ``None``."""
    family, sep, instance = name.partition(":")
    return family, (instance if sep else None)


def metric_name(family: str, instance: str | None = None) -> str:
    return family if instance is None else f"{family}:{instance}"


CUSTOM_PREFIX = "custom."


def spec_for(name: str) -> MetricSpec:
    """The catalogue entry of a metric name (instance suffix ignored).

    Operator-defined metrics (``custom.<name>``, e.g. a queue length read over SSH)
    are not known in advance: they get a unitless, autoscaled gauge entry.
    """
    family, _ = split_name(name)
    if family in CATALOGUE:
        return CATALOGUE[family]
    if family.startswith(CUSTOM_PREFIX) and len(family) > len(CUSTOM_PREFIX):
        label = family[len(CUSTOM_PREFIX) :]
        return MetricSpec(family, "", Kind.GAUGE, f"Custom metric {label}")
    raise UnknownMetric(name)


def describe(name: str) -> str:
    """A label for charts and tables: ``"Bytes received (eth0) [B/s]"``."""
    spec = spec_for(name)
    _, instance = split_name(name)
    text = spec.description + (f" ({instance})" if instance else "")
    return f"{text} [{spec.unit}]" if spec.unit else text
