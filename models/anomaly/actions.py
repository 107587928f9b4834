"""Recommended actions in plain words, templated from the pattern and the metric family."""

from __future__ import annotations

from models.anomaly.patterns import Pattern
from models.catalogue import UnknownMetric, spec_for, split_name

# What an operator calls each family in a sentence; other families use the catalogue text.
SUBJECTS = {
    "cpu.percent": "CPU",
    "cpu.core.percent": "CPU core",
    "load.1m": "Load",
    "load.5m": "Load",
    "load.15m": "Load",
    "mem.used.percent": "Memory",
    "swap.used.percent": "Swap",
    "disk.used.percent": "Disk space",
    "disk.read.bytes": "Disk reads",
    "disk.write.bytes": "Disk writes",
    "net.rx.bytes": "Network traffic in",
    "net.tx.bytes": "Network traffic out",
    "proc.count": "The process count",
    "gpu.util.percent": "GPU load",
    "gpu.mem.used.percent": "GPU memory",
}


def subject(metric: str) -> str:
    """``"mem.used.percent"`` → ``"Memory"``; ``"disk.used.percent:/home"`` → ``"Disk space (/home)"``."""
    family, instance = split_name(metric)
    try:
        name = SUBJECTS.get(family) or spec_for(metric).description
    except UnknownMetric:
        name = f"The metric {metric}"
        instance = None
    return f"{name} ({instance})" if instance else name


def is_bounded(metric: str) -> bool:
    try:
        return spec_for(metric).bounded
    except UnknownMetric:
        return False


def format_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 0):.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


def recommended_action(
    pattern: Pattern, metrics: tuple[str, ...], host: str, duration_seconds: float, rising: bool
) -> str:
    """One or two sentences an on-call engineer can act on."""
    what = subject(metrics[0]) if metrics else "The metric"
    where = f"{what} on {host}"
    lasted = format_duration(duration_seconds)
    family = split_name(metrics[0])[0] if metrics else ""
    if pattern is Pattern.TREND and rising:
        if family == "disk.used.percent":
            return (
                f"{where} has risen steadily for {lasted}; find what is filling it (logs, "
                "temporary files, a runaway job) and free space or grow the volume before it "
                "reaches 100 %."
            )
        if metrics and is_bounded(metrics[0]):
            return (
                f"{where} has risen steadily for {lasted}; check for a leak in the service and "
                "plan a restart before it reaches 100 %."
            )
        return (
            f"{where} has risen steadily for {lasted}; find what drives the growth and plan "
            "capacity before it saturates."
        )
    if pattern is Pattern.TREND:
        return (
            f"{where} has fallen steadily for {lasted}; check whether traffic or a dependency "
            "is draining away."
        )
    if pattern is Pattern.LEVEL_SHIFT:
        direction = "higher" if rising else "lower"
        return (
            f"{where} moved to a {direction} level and stayed there; check recent deploys and "
            "configuration changes, and resize if this is the new normal."
        )
    if pattern is Pattern.FLATLINE:
        return (
            f"{where} has not changed for {lasted}; check that the collector and the service "
            "are alive (a stuck exporter or a hung process looks like this)."
        )
    if pattern is Pattern.MULTIVARIATE:
        together = ", ".join(subject(m) for m in metrics) or "Several metrics"
        return (
            f"{together} on {host} stopped moving together as usual; look for one component "
            "misbehaving (a saturated disk, a stuck queue, a noisy neighbour)."
        )
    if pattern is Pattern.DIP:
        return (
            f"{where} dropped sharply; check that the service and its collectors are healthy "
            "and that traffic is still arriving."
        )
    return (
        f"{where} spiked; check what ran at that moment (deploys, cron jobs, traffic bursts). "
        "No action is needed if it does not recur."
    )
