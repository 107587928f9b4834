"""Replay a demand series under scaling policies, interval by interval.

Each policy starts with the fleet it would have chosen just before the replayed window,
already warm. At the start of every interval it is asked for a fleet size, seeing only
the demand of earlier intervals; a scale-up serves after the warm-up, a scale-down
takes effect at once. Pure and cooperative: ``progress(done, total)`` is called as it
goes and ``cancelled()`` is polled, raising :class:`ReplayCancelled` when it says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from models.simulation.errors import BadReplayInput, ReplayCancelled
from models.simulation.fleet import Fleet
from models.simulation.policies import History, Policy, ReactivePolicy, StaticPolicy
from models.simulation.predictive import PredictivePolicy
from models.simulation.results import PolicyResult, ReplayReport
from models.simulation.settings import (
    DemandGrid,
    ReplaySettings,
    default_history,
    demand_grid,
    needed_units,
)

POLICY_NAMES: tuple[str, ...] = ("predictive", "reactive", "static")
CHECK_EVERY = 50  # intervals between progress reports and cancellation checks

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


def _no_progress(done: int, total: int) -> None:
    pass


def _never() -> bool:
    return False


def make_policy(name: str, settings: ReplaySettings, grid: DemandGrid, history: int) -> Policy:
    """A built-in policy by name; static is sized on the replayed window's peak need."""
    if name == "static":
        window = grid.values[history:]
        peak = int(needed_units(window, settings.unit_capacity).max()) if len(window) else 0
        return StaticPolicy(max(peak, settings.min_units))
    if name == "reactive":
        return ReactivePolicy(settings)
    if name == "predictive":
        return PredictivePolicy(settings, grid.intervals(settings.warmup))
    raise BadReplayInput(
        "policy", f"unknown policy {name!r}; choose from {', '.join(POLICY_NAMES)}"
    )


def replay(
    demand: pd.Series | DemandGrid,
    settings: ReplaySettings,
    policies: Sequence[str | Policy] = POLICY_NAMES,
    progress: Progress = _no_progress,
    cancelled: Cancelled = _never,
) -> ReplayReport:
    """Replay ``demand`` under each policy (names or :class:`Policy` objects)."""
    grid = demand if isinstance(demand, DemandGrid) else demand_grid(demand)
    history = settings.history_intervals
    history = default_history(grid) if history is None else history
    if not 1 <= history < len(grid):
        raise BadReplayInput(
            "history_intervals", f"must leave at least one of {len(grid)} intervals to replay"
        )
    if not np.isfinite(grid.values[history:]).any():
        raise BadReplayInput("series", "no observed demand in the replayed window")
    chosen = [
        make_policy(p, settings, grid, history) if isinstance(p, str) else p for p in policies
    ]
    names = [p.name for p in chosen]
    if len(set(names)) != len(names):
        raise BadReplayInput("policy", f"policies named twice: {names}")
    per_policy = len(grid) - history
    total = per_policy * len(chosen)
    results: dict[str, PolicyResult] = {}
    for number, policy in enumerate(chosen):
        offset = number * per_policy

        def report(done: int, _total: int, offset: int = offset) -> None:
            progress(offset + done, total)

        results[policy.name] = replay_policy(grid, policy, settings, history, report, cancelled)
    progress(total, total)
    return ReplayReport(
        start=grid.start + grid.step * history,
        step=grid.step,
        history_intervals=history,
        settings=settings,
        warmup_intervals=grid.intervals(settings.warmup),
        policies=results,
    )


def replay_policy(
    grid: DemandGrid,
    policy: Policy,
    settings: ReplaySettings,
    history: int,
    progress: Progress = _no_progress,
    cancelled: Cancelled = _never,
) -> PolicyResult:
    """One policy over intervals ``history`` .. end of ``grid``."""
    values = np.array(grid.values, dtype=float)
    values.flags.writeable = False  # policies get views: they must not edit the demand
    n = len(values) - history
    state: dict[str, object] = {}
    fleet = Fleet(
        grid.intervals(settings.warmup),
        int(policy.initial_units(History(values[:history], grid.start, grid.step), state)),
    )
    requested = np.zeros(n, dtype=int)
    serving = np.zeros(n, dtype=int)
    for i in range(n):
        if i % CHECK_EVERY == 0:
            if cancelled():
                raise ReplayCancelled(i, n)
            progress(i, n)
        now = history + i
        seen = History(values[:now], grid.start, grid.step)
        fleet.resize(now, int(policy.decide(seen, fleet.requested, state)))
        requested[i] = fleet.requested
        serving[i] = fleet.serving(now)
    progress(n, n)
    details_of = getattr(policy, "details", None)
    forecast_of = getattr(policy, "planned_forecast", None)
    return PolicyResult(
        policy=policy.name,
        demand=np.array(values[history:]),
        requested=requested,
        serving=serving,
        unit_capacity=settings.unit_capacity,
        step_hours=grid.step_hours,
        price_per_unit_hour=settings.price_per_unit_hour,
        details=details_of(state) if callable(details_of) else {},
        forecast=forecast_of(state, history, n) if callable(forecast_of) else None,
    )
