"""Scaling policies a replay can drive: a small interface and the three built-in policies.

A policy is asked once per interval, at the interval's start, how many units it wants.
It sees only the demand observed *before* that interval (``History``); whatever it
keeps between decisions lives in the ``state`` dict the engine gives it (one per replay),
so a policy object holds only its parameters and can be reused.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from models.simulation.settings import ReplaySettings, needed_units


@dataclass(frozen=True)
class History:
    """Demand observed before the decision: ``values[i]`` is interval ``i`` of the grid."""

    values: np.ndarray  # read-only view; NaN where nothing was observed
    start: pd.Timestamp
    step: pd.Timedelta

    @property
    def now(self) -> int:
        """The interval being decided (the first one not observed yet)."""
        return len(self.values)

    def series(self, last: int | None = None) -> pd.Series:
        """The last ``last`` observations (all by default) as a timestamped series."""
        values = self.values if last is None else self.values[-last:]
        first = self.start + self.step * (len(self.values) - len(values))
        index = pd.date_range(first, periods=len(values), freq=self.step, name="timestamp")
        return pd.Series(values, index=index, name="demand")


class Policy(Protocol):
    """What the replay engine asks of a scaling policy."""

    name: str

    def initial_units(self, history: History, state: dict[str, object]) -> int:
        """Units already warm when the replay starts (the policy's decision before it)."""
        ...

    def decide(self, history: History, requested: int, state: dict[str, object]) -> int:
        """Units wanted from interval ``history.now`` on; ``requested`` is the current fleet."""
        ...


def last_observed(values: np.ndarray) -> float | None:
    finite = np.flatnonzero(np.isfinite(values[-1000:]))
    return float(values[-1000:][finite[-1]]) if len(finite) else None


class StaticPolicy:
    """A fixed fleet sized for the peak need of the replayed window (hindsight)."""

    name = "static"

    def __init__(self, units: int) -> None:
        self.units = units

    def initial_units(self, history: History, state: dict[str, object]) -> int:
        return self.units

    def decide(self, history: History, requested: int, state: dict[str, object]) -> int:
        return self.units


class ScaleDownStabiliser:
    """Scale down only to the highest recommendation of the stabilisation window (HPA)."""

    def __init__(self, window_intervals: int) -> None:
        self.recent: deque[int] = deque(maxlen=max(1, window_intervals))

    def apply(self, recommendation: int, requested: int) -> int:
        self.recent.append(recommendation)
        if recommendation >= requested:
            return recommendation  # scale up (or stay) at once
        return min(requested, max(self.recent))


def stabiliser(
    state: dict[str, object], settings: ReplaySettings, step: pd.Timedelta
) -> ScaleDownStabiliser:
    if "stabiliser" not in state:
        # Recommendations made in the last window, boundary included, plus the current one.
        window = int(settings.scale_down_stabilisation / step) + 1
        state["stabiliser"] = ScaleDownStabiliser(window)
    return state["stabiliser"]  # type: ignore[return-value]


class ReactivePolicy:
    """Target tracking in the style of the Kubernetes HPA.

    The utilisation ratio is the last observed demand over what the requested units serve
    at the target (``requested * U``; units still warming count, as the HPA counts
    not-ready pods as idle when scaling up). Inside the tolerance (10 %) nothing changes;
    outside it the recommendation is ``ceil(demand / U)``. Scale-ups apply at once (the
    new units serve after the warm-up); scale-downs take the highest recommendation of the
    stabilisation window (5 minutes).
    """

    name = "reactive"

    def __init__(self, settings: ReplaySettings) -> None:
        self.settings = settings

    def initial_units(self, history: History, state: dict[str, object]) -> int:
        last = last_observed(history.values)
        units = 0 if last is None else int(needed_units(last, self.settings.unit_capacity))
        return self.settings.clamp(units)

    def decide(self, history: History, requested: int, state: dict[str, object]) -> int:
        last = last_observed(history.values)
        if last is None:
            return requested
        capacity = self.settings.unit_capacity
        recommendation = int(needed_units(last, capacity))
        if requested > 0 and abs(last / (requested * capacity) - 1) <= self.settings.tolerance:
            recommendation = requested
        recommendation = self.settings.clamp(recommendation)
        return stabiliser(state, self.settings, history.step).apply(recommendation, requested)
