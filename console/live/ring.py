"""A fixed-size time series buffer that never reallocates.

Each value is written twice, at ``i`` and ``i + capacity``, so the newest
``len`` points are always one contiguous slice: reading is a zero-copy view
and appending is O(1), whatever the wrap position.
"""

from __future__ import annotations

import numpy as np


class RingBuffer:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._times = np.full(2 * capacity, np.nan)
        self._values = np.full(2 * capacity, np.nan)
        self._next = 0  # where the next value goes, in [0, capacity)
        self._count = 0
        self.appended = 0  # total ever appended, for "is there anything new?" checks

    def __len__(self) -> int:
        return self._count

    def append(self, timestamp: float, value: float) -> None:
        i = self._next
        self._times[i] = self._times[i + self.capacity] = timestamp
        self._values[i] = self._values[i + self.capacity] = value
        self._next = (i + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)
        self.appended += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(timestamps, values), oldest first. Views: copy before keeping them."""
        start = self._next - self._count + self.capacity
        end = start + self._count
        return self._times[start:end], self._values[start:end]

    def since(self, start_time: float) -> tuple[np.ndarray, np.ndarray]:
        """The points at or after ``start_time`` (timestamps arrive in order)."""
        times, values = self.arrays()
        first = int(np.searchsorted(times, start_time, side="left"))
        return times[first:], values[first:]

    @property
    def first_time(self) -> float | None:
        return float(self.arrays()[0][0]) if self._count else None

    @property
    def last(self) -> tuple[float, float] | None:
        if not self._count:
            return None
        i = (self._next - 1) % self.capacity
        return float(self._times[i]), float(self._values[i])
