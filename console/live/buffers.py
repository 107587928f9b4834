"""In-memory recent history for every (host, metric) the console has seen.

Per-interface and per-device counters (``net.rx.bytes:eth0``) are also summed
into a host total (``net.rx.bytes``) when the collector does not send one, so
the charts can show "all traffic" without knowing the interfaces.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from console.live.ring import RingBuffer
from models.catalogue import split_name
from models.samples import Sample

SUMMED_FAMILIES = frozenset({"net.rx.bytes", "net.tx.bytes", "disk.read.bytes", "disk.write.bytes"})
# Loopback traffic is the machine talking to itself, not load on the network.
SKIPPED_INSTANCES = frozenset({"lo"})

SeriesId = tuple[str, str]  # (host, metric)


class LiveBuffers:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._series: dict[SeriesId, RingBuffer] = {}
        self.total_samples = 0

    def add(self, samples: Iterable[Sample]) -> int:
        """Append a batch; returns how many samples it held."""
        count = 0
        totals: dict[tuple[str, str, float], float] = defaultdict(float)
        sent_totals: set[tuple[str, str]] = set()
        for sample in samples:
            self._buffer(sample.host, sample.metric).append(sample.timestamp, sample.value)
            count += 1
            family, instance = split_name(sample.metric)
            if family in SUMMED_FAMILIES:
                if instance is None:
                    sent_totals.add((sample.host, family))
                elif instance not in SKIPPED_INSTANCES:
                    totals[(sample.host, family, sample.timestamp)] += sample.value
        for (host, family, timestamp), value in sorted(totals.items(), key=lambda kv: kv[0][2]):
            if (host, family) not in sent_totals:
                self._buffer(host, family).append(timestamp, value)
        self.total_samples += count
        return count

    def get(self, host: str, metric: str) -> RingBuffer | None:
        return self._series.get((host, metric))

    def hosts(self) -> list[str]:
        return sorted({host for host, _ in self._series})

    def metrics(self, host: str) -> list[str]:
        return sorted(metric for h, metric in self._series if h == host)

    def oldest_time(self) -> float | None:
        times = [b.first_time for b in self._series.values() if len(b)]
        return min(t for t in times if t is not None) if times else None

    def _buffer(self, host: str, metric: str) -> RingBuffer:
        key = (host, metric)
        buffer = self._series.get(key)
        if buffer is None:
            buffer = self._series[key] = RingBuffer(self.capacity)
        return buffer
