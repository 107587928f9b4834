"""From a score per point to incidents: one incident, one alert.

Flap suppression: an incident opens when the level reaches ``open_above`` and
stays open until it falls below ``close_below`` (hysteresis); incidents separated
by fewer than ``merge_gap`` rows are merged, and incidents shorter than
``min_rows`` rows are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from models.anomaly.patterns import Pattern


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Hysteresis:
    open_above: float = 0.6
    close_below: float = 0.45
    min_rows: int = 1
    merge_gap: int = 12

    def __post_init__(self) -> None:
        if not 0.0 <= self.close_below <= self.open_above:
            raise ValueError("need 0 <= close_below <= open_above")
        if self.min_rows < 1 or self.merge_gap < 0:
            raise ValueError("min_rows must be >= 1 and merge_gap >= 0")


DEFAULT_POLICY = Hysteresis()


@dataclass(frozen=True, slots=True)
class Incident:
    start: float  # seconds since the Unix epoch, UTC (first anomalous row)
    end: float  # last anomalous row
    start_row: int
    end_row: int  # inclusive
    severity: Severity
    pattern: Pattern
    metrics: tuple[str, ...]
    peak_score: float
    action: str

    @property
    def duration_seconds(self) -> float:
        return self.end - self.start


def incident_spans(level: np.ndarray, policy: Hysteresis = DEFAULT_POLICY) -> list[tuple[int, int]]:
    """Inclusive row ranges of incidents in a level series (NaN counts as 0).

    An incident starts at a row at or above ``open_above`` and lasts while the level
    stays at or above ``close_below``.
    """
    level = np.nan_to_num(np.asarray(level, dtype=float), nan=0.0)
    above_low = np.concatenate([[False], level >= policy.close_below, [False]])
    edges = np.flatnonzero(np.diff(above_low.astype(np.int8)))
    spans: list[tuple[int, int]] = []
    for first, stop in zip(edges[::2], edges[1::2], strict=True):  # runs above close_below
        opening = np.flatnonzero(level[first:stop] >= policy.open_above)
        if not len(opening):
            continue  # never reached the opening threshold
        start, last = int(first + opening[0]), int(stop - 1)
        if spans and start - spans[-1][1] - 1 < policy.merge_gap:
            spans[-1] = (spans[-1][0], last)
        else:
            spans.append((start, last))
    return [(a, b) for a, b in spans if b - a + 1 >= policy.min_rows]


def severity_for(peak: float) -> Severity:
    if peak >= 0.85:
        return Severity.HIGH
    if peak >= 0.7:
        return Severity.MEDIUM
    return Severity.LOW
