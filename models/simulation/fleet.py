"""The units a policy has asked for, and which of them are warm enough to serve.

A unit requested at interval ``t`` serves from ``t + warmup_intervals``. Scaling down
removes the newest units first (a unit still warming up is cancelled before a serving
one is stopped), and a removed unit stops being paid for at once.
"""

from __future__ import annotations

from collections import deque


class Fleet:
    """Requested units grouped by the interval from which they serve."""

    def __init__(self, warmup_intervals: int, initial_units: int) -> None:
        self.warmup_intervals = warmup_intervals
        # (ready_from_interval, units), oldest first; the initial fleet is already warm.
        self._groups: deque[list[int]] = deque()
        if initial_units > 0:
            self._groups.append([-(10**9), initial_units])
        self.requested = initial_units

    def resize(self, now: int, desired: int) -> None:
        """Ask for ``desired`` units at interval ``now``."""
        desired = max(0, int(desired))
        if desired > self.requested:
            self._groups.append([now + self.warmup_intervals, desired - self.requested])
        else:
            surplus = self.requested - desired
            while surplus > 0:
                newest = self._groups[-1]
                taken = min(surplus, newest[1])
                newest[1] -= taken
                surplus -= taken
                if newest[1] == 0:
                    self._groups.pop()
        self.requested = desired

    def serving(self, now: int) -> int:
        """Units ready to serve during interval ``now``."""
        total = 0
        for ready_from, units in self._groups:
            if ready_from > now:
                break  # groups are in request order, so ready times only grow
            total += units
        return total
