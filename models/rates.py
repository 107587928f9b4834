"""Counters become per-second rates here, and only here.

A counter only grows, except when it resets (the process or host restarted, the
value goes back near zero) or wraps (a fixed-width register rolls over at
2**32 or 2**64). Both show up as a decrease. A wrap is recognised when adding
the register width gives a plausible small increase; anything else is a reset,
and the rate for that interval is the new value divided by the interval
(the counter counted up from zero since the reset).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

WRAP_WIDTHS = (2**32, 2**64)


def counter_delta(previous: float, current: float) -> float:
    """The increase of a counter from ``previous`` to ``current``, across resets and wraps."""
    if current >= previous:
        return current - previous
    for width in WRAP_WIDTHS:
        # A wrap leaves ``previous`` close to the top of the register and the
        # increase smaller than a quarter of its width.
        if previous <= width and (width - previous) + current < width // 4:
            return (width - previous) + current
    return current  # reset: counted up from zero since


def counter_rates(timestamps: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per-second rates for a series of counter readings.

    Returns an array one shorter than the input: the rate over each interval,
    stamped at the interval's end. Intervals of zero or negative length give NaN.
    """
    timestamps = np.asarray(timestamps, dtype=float)
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return np.empty(0)
    deltas = np.diff(values)
    for i in np.flatnonzero(deltas < 0):
        deltas[i] = counter_delta(values[i], values[i + 1])
    spans = np.diff(timestamps)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(spans > 0, deltas / np.where(spans > 0, spans, 1.0), np.nan)
    return rates


@dataclass
class RateTracker:
    """Streaming version for collectors: feed readings, get rates.

    Keyed by any hashable (usually the metric name), so one tracker serves a
    whole collector. The first reading of a key gives ``None``.
    """

    _last: dict[object, tuple[float, float]] = field(default_factory=dict)

    def update(self, key: object, timestamp: float, value: float) -> float | None:
        previous = self._last.get(key)
        self._last[key] = (timestamp, value)
        if previous is None:
            return None
        then, old = previous
        span = timestamp - then
        if span <= 0:
            return None
        return counter_delta(old, value) / span

    def forget(self, key: object) -> None:
        self._last.pop(key, None)
