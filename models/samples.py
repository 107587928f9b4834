"""One sample is (UTC timestamp, source, host, metric, value)."""

from __future__ import annotations

from dataclasses import dataclass

SAMPLE_COLUMNS = ("timestamp", "source", "host", "metric", "value")


@dataclass(frozen=True, slots=True)
class Sample:
    """A single measurement.

    ``timestamp`` is seconds since the Unix epoch, UTC (float, sub-second allowed).
    ``source`` names where it came from (``local``, ``ssh``, ``prometheus``, ...),
    ``host`` the machine it describes, ``metric`` a catalogue name such as
    ``cpu.percent`` or ``net.rx.bytes:eth0`` (family, then ``:instance``).
    """

    timestamp: float
    source: str
    host: str
    metric: str
    value: float
