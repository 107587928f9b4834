"""Typed errors of the replay engine; each carries the data a caller needs to explain it."""

from __future__ import annotations


class SimulationError(Exception):
    """Base class of every error raised by :mod:`models.simulation`."""


class BadReplayInput(SimulationError):
    """A replay parameter or the demand series cannot be used. ``field`` names which."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class ReplayCancelled(SimulationError):
    """The caller's ``cancelled()`` returned True; ``done`` of ``total`` intervals replayed."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"replay cancelled after {done} of {total} intervals")
        self.done = done
        self.total = total
