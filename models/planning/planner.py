"""From the forecast of a target's driving metric to a schedule of scaling steps.

:func:`plan_capacity` is pure, deterministic and fast (no I/O, no randomness), so the
replay simulator can call it in a loop. The rules, applied per forecast interval in
this order (each step's :class:`~models.planning.trace.Trace` shows them):

1. **forecast** – units needed to serve the *upper* bound of the ``level`` % band (a
   risk level, not the mean); see :mod:`models.planning.target` for throughput vs
   utilisation metrics. A missing (NaN) bound counts as today's capacity.
2. **headroom** – times ``1 + headroom``; **whole units** – rounded up.
3. **warm-up lead** – a slot must already cover the need of every interval up to
   ``warmup`` later, so new units are serving by the time they are needed.
4. **min/max** – clamped to the target's range (before the ramp, so the ramp aims at
   levels that can actually be reached).
5. **ramp ahead** – with at most ``max_step`` units per action and one action per
   cooldown, a big rise has to start earlier; a backward pass raises earlier slots.
6. **stabilisation** – scale in only once the need stayed low for the whole window
   (the time before the plan counts as today's capacity).
7. **anomaly hold** – while the target's metrics are anomalous, never below today.
8. **cooldown** – an action covers the highest need until the next action is allowed.
9. **step limit** – at most ``max_step`` units per action.

When ``current + max_step`` reaches the target's maximum, every interval at least
``warmup`` into the horizon is served in time; intervals that cannot be (too soon, or a
rise steeper than the step limit allows) are listed in ``CapacityPlan.late``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from models.planning.adaptive import ADAPTIVE_FACTOR
from models.planning.confidence import forecast_confidence
from models.planning.cost import schedule_cost, step_horizon_change
from models.planning.hourly import HOURLY_RAISE
from models.planning.proposal import CapacityPlan, PlannerSettings, PlanningError, ScalingStep
from models.planning.target import MetricKind, ScalableTarget
from models.planning.trace import NO_TRACE, Rule, Trace, TraceStep

if TYPE_CHECKING:  # importing the engines loads statsmodels and scikit-learn: seconds
    from models.anomaly import Incident
    from models.forecast import Forecast

DEFAULT_SETTINGS = PlannerSettings()
_SMALLEST = np.iinfo(np.int64).min  # pads windows past the horizon end


def plan_capacity(
    target: ScalableTarget,
    forecast: Forecast,
    settings: PlannerSettings = DEFAULT_SETTINGS,
    *,
    now: pd.Timestamp | None = None,
    anomalous: bool = False,
    incidents: Sequence[Incident] = (),
    explain: bool = True,
) -> CapacityPlan:
    """Plan the capacity of ``target`` over the forecast's horizon.

    ``anomalous`` or any open incident in ``incidents`` (the caller passes those of the
    target's hosts) holds scale-in. ``now`` (the plan's creation time) defaults to one
    interval before the first forecast timestamp, i.e. the last observation.
    ``explain=False`` leaves the steps' traces empty: a third faster, for replays that
    only need the numbers.
    """
    if settings.level not in forecast.upper:
        raise PlanningError(
            target.name, f"the forecast has no {settings.level} % band (has {forecast.levels})"
        )
    if forecast.horizon == 0:
        raise PlanningError(target.name, "the forecast is empty")
    stamps = forecast.timestamps
    interval = _interval(target.name, stamps)
    hold = anomalous or bool(incidents)
    pipeline = _Pipeline(
        target,
        settings,
        stamps[0],
        interval,
        np.asarray(forecast.upper[settings.level]),
        hold,
        forecast.details.get(HOURLY_RAISE, ()),
        float(forecast.details.get(ADAPTIVE_FACTOR, 1.0)),  # type: ignore[arg-type]
    )
    capacity, actions = pipeline.schedule()

    interval_hours = interval / pd.Timedelta(hours=1)
    price = target.price_per_unit_hour
    steps = []
    previous = target.current
    for slot in actions:
        units = int(capacity[slot])
        change = units - previous
        steps.append(
            ScalingStep(
                at=pipeline.at(slot),
                from_units=previous,
                to_units=units,
                serves=pipeline.at(pipeline.driver(slot)),
                hourly_change=change * price,
                horizon_change=step_horizon_change(
                    change, len(capacity) - slot, interval_hours, price
                ),
                trace=pipeline.trace(slot, previous, units, incidents) if explain else NO_TRACE,
            )
        )
        previous = units
    return CapacityPlan(
        target=target.name,
        created_at=pd.Timestamp(now) if now is not None else stamps[0] - interval,
        start=stamps[0],
        interval=interval,
        current=target.current,
        need=tuple(float(v) for v in pipeline.with_headroom),
        capacity=tuple(int(v) for v in capacity),
        steps=tuple(steps),
        cost=schedule_cost(
            capacity, interval_hours, target.current, int(pipeline.clamped.max()), price
        ),
        confidence=forecast_confidence(forecast, settings.level),
        late=tuple(pipeline.at(i) for i in pipeline.late_intervals(capacity)),
        anomaly_hold=hold,
        forecast_model=forecast.model,
        settings=settings,
    )


def _interval(name: str, stamps: pd.DatetimeIndex) -> pd.Timedelta:
    if len(stamps) >= 2:
        step = pd.Timedelta(stamps[1] - stamps[0])
    elif stamps.freq is not None:
        step = pd.Timedelta(stamps.freq)
    else:
        raise PlanningError(name, "a one-point forecast without a frequency has no interval")
    if step <= pd.Timedelta(0):
        raise PlanningError(name, "forecast timestamps must increase")
    if stamps[-1] != stamps[0] + (len(stamps) - 1) * step:
        raise PlanningError(name, "forecast timestamps must be evenly spaced")
    return step


def _slots(duration: timedelta, interval: pd.Timedelta) -> int:
    """Whole intervals needed to cover ``duration`` (rounded up: a partial one counts)."""
    return math.ceil(pd.Timedelta(duration) / interval - 1e-9)


class _Pipeline:
    """The rules of the module docstring as arrays, one per rule, kept for the traces."""

    def __init__(
        self,
        target: ScalableTarget,
        settings: PlannerSettings,
        start: pd.Timestamp,
        interval: pd.Timedelta,
        upper: np.ndarray,
        hold: bool,
        hourly_raise: Sequence[float] = (),  # per slot, see models.planning.hourly
        margin_factor: float = 1.0,  # see models.planning.adaptive
    ) -> None:
        # Plain datetime arithmetic: pandas Timestamp maths is ~50x slower per call.
        self.start = start.to_pydatetime()
        self.step = interval.to_pytimedelta()
        self.target = target
        self.settings = settings
        self.interval = interval
        self.hold = hold
        self.upper = upper
        self.hourly_raise = hourly_raise
        self.margin_factor = margin_factor
        self.lead_slots = _slots(target.warmup, interval)
        self.cool_slots = max(1, _slots(target.cooldown, interval))
        self.stable_slots = _slots(settings.stabilisation, interval)

        raw = target.units_needed(np.nan_to_num(upper, nan=0.0))
        self.raw = np.where(np.isnan(upper), float(target.current), raw)
        self.with_headroom = self.raw * (1.0 + settings.headroom)
        self.whole = np.ceil(self.with_headroom - 1e-9).astype(np.int64)
        self.lead, self.lead_source = _forward_max(self.whole, self.lead_slots)
        self.clamped = np.clip(self.lead, target.minimum, target.maximum)
        self.ramped, self.ramp_source = _ramp_ahead(
            self.clamped, self.settings.max_step, self.cool_slots
        )
        self.stable = _stabilise(self.ramped, self.stable_slots, target.current)
        self.held = np.maximum(self.stable, target.current) if hold else self.stable
        self.covered, self.cover_source = _forward_max(self.held, self.cool_slots - 1)

    def at(self, slot: int) -> pd.Timestamp:
        return pd.Timestamp(self.moment(slot))

    def moment(self, slot: int) -> datetime:
        return self.start + slot * self.step

    def schedule(self) -> tuple[np.ndarray, list[int]]:
        """Capacity per slot and the slots where it changes (one action per cooldown)."""
        capacity = np.empty(len(self.held), dtype=np.int64)
        units, last_action = self.target.current, -self.cool_slots
        actions = []
        for slot, wanted in enumerate(self.covered.tolist()):
            if wanted != units and slot - last_action >= self.cool_slots:
                step = self.settings.max_step
                units += max(-step, min(step, wanted - units))
                last_action = slot
                actions.append(slot)
            capacity[slot] = units
        return capacity, actions

    def driver(self, slot: int) -> int:
        """The interval whose need set the step at ``slot``."""
        return int(self.lead_source[self.ramp_source[self.cover_source[slot]]])

    def late_intervals(self, capacity: np.ndarray) -> list[int]:
        """Intervals with fewer units serving than needed: new units serve after warm-up.

        Units serving at interval ``i`` were requested by ``i - lead`` and kept since;
        before the plan, that is today's capacity.
        """
        lead = self.lead_slots
        padded = np.concatenate([np.full(lead, self.target.current, dtype=np.int64), capacity])
        ready = sliding_window_view(padded, lead + 1).min(axis=1)
        return np.flatnonzero(ready < self.clamped_need()).tolist()

    def clamped_need(self) -> np.ndarray:
        return np.clip(self.whole, self.target.minimum, self.target.maximum)

    def _raised_note(self, j: int) -> str:
        notes = []
        raised = self.hourly_raise[j] if j < len(self.hourly_raise) else 0.0
        if raised > 0:
            notes.append(
                f"incl. +{raised:.4g}: past forecasts at this hour of day fell short by more"
            )
        if self.margin_factor > 1.0:
            notes.append(
                f"margin over the mean x{self.margin_factor:.2f}: "
                "the bound was missed more often than its level allows lately"
            )
        return f" ({'; '.join(notes)})" if notes else ""

    def trace(
        self,
        slot: int,
        previous: int,
        units: int,
        incidents: Sequence[Incident],
    ) -> Trace:
        target, settings = self.target, self.settings
        j = slot
        i = int(self.lead_source[j])  # the interval whose need the warm-up lead brings here
        k = int(self.cover_source[j])  # the slot whose need this action covers
        ramp_for = int(self.lead_source[self.ramp_source[j]])  # the rise the ramp prepares
        if target.metric_kind is MetricKind.UTILISATION:
            rule = f"x {target.current} units / {target.per_unit:g} % per unit"
        else:
            rule = f"/ {target.per_unit:g} per unit"
        steps = [
            TraceStep(
                Rule.FORECAST,
                float(self.raw[j]),
                f"p{settings.level} upper bound of {target.metric} at {_clock(self.moment(j))}: "
                f"{self.upper[j]:.4g}{self._raised_note(j)} {rule}",
            ),
            TraceStep(
                Rule.HEADROOM,
                float(self.with_headroom[j]),
                f"+{settings.headroom:.0%} headroom",
            ),
            TraceStep(Rule.WHOLE_UNITS, float(self.whole[j]), "rounded up to whole units"),
            TraceStep(
                Rule.WARMUP,
                float(self.lead[j]),
                f"{target.warmup} warm-up: must already serve the need at {_clock(self.moment(i))}",
            ),
            TraceStep(
                Rule.MIN_MAX,
                float(self.clamped[j]),
                f"range {target.minimum}..{target.maximum}",
            ),
            TraceStep(
                Rule.RAMP,
                float(self.ramped[j]),
                f"{settings.max_step} units per action, one per {target.cooldown}: "
                f"start early for the need at {_clock(self.moment(ramp_for))}",
            ),
            TraceStep(
                Rule.STABILISATION,
                float(self.stable[j]),
                f"scale in only after {settings.stabilisation} of lower need",
            ),
            TraceStep(Rule.ANOMALY_HOLD, float(self.held[j]), self._hold_note(incidents)),
            TraceStep(
                Rule.COOLDOWN,
                float(self.covered[slot]),
                f"one action per {target.cooldown}: covers the need at {_clock(self.moment(k))}",
            ),
            TraceStep(
                Rule.STEP_LIMIT,
                float(units),
                f"at most {settings.max_step} units per action, from {previous}",
            ),
            TraceStep(
                Rule.FINAL,
                float(units),
                f"{previous} -> {units} units at {_clock(self.moment(j))}",
            ),
        ]
        return Trace(tuple(steps))

    def _hold_note(self, incidents: Sequence[Incident]) -> str:
        if not self.hold:
            return "metrics normal: scale-in allowed"
        if not incidents:
            return f"metrics anomalous: no scale-in below {self.target.current}"
        metrics = sorted({m for incident in incidents for m in incident.metrics})
        return (
            f"{len(incidents)} open incident(s) on {', '.join(metrics)}: "
            f"no scale-in below {self.target.current}"
        )


def _clock(stamp: datetime) -> str:
    return stamp.strftime("%Y-%m-%d %H:%M")


def _forward_max(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Max of ``values[j : j + window + 1]`` and the index where it is (the first such)."""
    padded = np.concatenate([values, np.full(window, _SMALLEST, dtype=np.int64)])
    windows = sliding_window_view(padded, window + 1)
    offsets = windows.argmax(axis=1)
    source = np.arange(len(values)) + offsets
    return values[source], source


def _ramp_ahead(
    values: np.ndarray, max_step: int, cool_slots: int
) -> tuple[np.ndarray, np.ndarray]:
    """Raise each slot so every later level is reachable at ``max_step`` per cooldown.

    Afterwards ``values[k] <= values[j] + max_step`` for every ``j < k <= j + cool_slots``.
    Also returns, per slot, the later slot whose level raised it (itself when not raised).
    """
    ramped = values.tolist()  # a sequential backward pass: plain ints are fastest
    source = list(range(len(ramped)))
    for j in range(len(ramped) - 2, -1, -1):
        window = ramped[j + 1 : j + cool_slots + 1]
        highest = max(window)
        if highest - max_step > ramped[j]:
            ramped[j] = highest - max_step
            source[j] = source[j + 1 + window.index(highest)]
    return np.array(ramped, dtype=np.int64), np.array(source, dtype=np.int64)


def _stabilise(values: np.ndarray, window: int, current: int) -> np.ndarray:
    """Max over the last ``window`` slots; the time before the plan counts as ``current``."""
    padded = np.concatenate([np.full(window, current, dtype=np.int64), values])
    return sliding_window_view(padded, window + 1).max(axis=1)
