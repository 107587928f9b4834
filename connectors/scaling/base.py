"""What every scaling executor promises: read the capacity, set it absolutely, verify.

An executor changes the capacity of one target (a simulated pool, an AWS Auto
Scaling group, a service scaled by a command over SSH). ``set_capacity`` takes an
absolute unit count, so running it twice is harmless (idempotent), and it reads
the capacity back before reporting success. A failure raises
:class:`ExecutionError` with a reason an operator can act on; executors never
retry in a loop — the plan is marked failed and a person decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    target: str
    requested: int
    previous: int
    verified: int  # capacity read back after the change
    detail: str = ""  # what was done, in plain words (command run, API called)

    @property
    def succeeded(self) -> bool:
        return self.verified == self.requested


class ExecutionError(Exception):
    """A scaling action failed; ``reason`` says why in words an operator can act on."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"{target}: {reason}")
        self.target = target
        self.reason = reason


@runtime_checkable
class ScalingExecutor(Protocol):
    @property
    def target(self) -> str:
        """A stable name of what is scaled, e.g. ``asg:web`` or ``ssh:web-1/web``."""
        ...

    def current_capacity(self) -> int: ...

    def set_capacity(self, desired: int) -> ExecutionResult:
        """Set the capacity to exactly ``desired`` units and verify it; raise ExecutionError."""
        ...
