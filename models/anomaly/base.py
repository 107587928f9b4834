"""What every anomaly detector offers, and the shared machinery for univariate ones.

A detector takes its hyperparameters in the constructor and is fed points in time
order. ``update(value, timestamp)`` scores one point; ``score(values, timestamps)``
scores a chunk and gives exactly the numbers ``update`` would have given point by
point (it *continues* from the current state: on a fresh detector it is the batch API).
The score at time t only uses data up to t. Scores are >= 0, larger is more anomalous;
each detector documents its scale. NaN values score 0 and leave the state unchanged.

State lives in attributes ending in ``_``; ``get_state()`` / ``set_state()`` copy it
out and back, so the console can keep one detector per live series, save it and resume.
Timestamps are seconds since the Unix epoch, UTC (see :mod:`models.samples`).
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

import numpy as np


class Detector(Protocol):
    def update(self, value: float, timestamp: float = 0.0) -> float: ...

    def score(self, values: np.ndarray, timestamps: np.ndarray | None = None) -> np.ndarray: ...

    def get_state(self) -> dict[str, Any]: ...

    def set_state(self, state: dict[str, Any]) -> None: ...

    def reset(self) -> None: ...


class StatefulMixin:
    """``get_state`` / ``set_state`` over the attributes whose names end in ``_``."""

    def get_state(self) -> dict[str, Any]:
        return copy.deepcopy({k: v for k, v in vars(self).items() if k.endswith("_")})

    def set_state(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            if not key.endswith("_"):
                raise KeyError(f"not a state attribute: {key!r}")
            setattr(self, key, copy.deepcopy(value))


class UnivariateDetector(StatefulMixin):
    """Base class: subclasses implement ``reset()`` and ``_score_finite(values, timestamps)``."""

    def reset(self) -> None:
        raise NotImplementedError

    def _score_finite(self, values: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def update(self, value: float, timestamp: float = 0.0) -> float:
        return float(self.score(np.array([value], dtype=float), np.array([timestamp]))[0])

    def score(self, values: np.ndarray, timestamps: np.ndarray | None = None) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if timestamps is None:
            timestamps = np.zeros(len(values))
        timestamps = np.asarray(timestamps, dtype=float)
        if timestamps.shape != values.shape or values.ndim != 1:
            raise ValueError("values and timestamps must be 1-D arrays of the same length")
        finite = np.isfinite(values)
        if not len(values):
            return np.zeros(0)
        if finite.all():
            return self._score_finite(values, timestamps)
        scores = np.zeros(len(values))
        if finite.any():
            scores[finite] = self._score_finite(values[finite], timestamps[finite])
        return scores


def epoch_seconds(index: object) -> np.ndarray:
    """Seconds since the Unix epoch (float) of a pandas DatetimeIndex, whatever its unit."""
    import pandas as pd

    # Integer nanoseconds are UTC for aware and naive (read as UTC) stamps alike; going
    # through them is 3x faster than Timestamp arithmetic (the replay calls this per decision).
    return pd.DatetimeIndex(index).as_unit("ns").asi8 / 1e9
