"""Property tests: the planner's guarantees and the auto-approve guardrails hold over
thousands of random targets, forecasts, settings, policies and times.

The checks recompute every quantity from the inputs (not from the planner's own
intermediate arrays), so a bug in the planner cannot hide behind itself.
"""

from __future__ import annotations

import math
import os
from datetime import time, timedelta

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from models.forecast import Forecast
from models.planning import (
    AutoApprovePolicy,
    CapacityPlan,
    FreezeWindow,
    PlannerSettings,
    ScalableTarget,
    plan_capacity,
)

# 1,000 scenarios per property by default (under 40 s for all planning tests on 2 cores);
# raise it for a deeper hunt: HEADROOM_PLANNING_EXAMPLES=20000.
EXAMPLES = int(os.environ.get("HEADROOM_PLANNING_EXAMPLES", "1000"))
MINUTES_PER_WEEK = 7 * 24 * 60
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata")
STEPS = (pd.Timedelta(minutes=1), pd.Timedelta(minutes=5), pd.Timedelta(minutes=15))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def targets(draw: st.DrawFn) -> ScalableTarget:
    minimum = draw(st.integers(0, 5))
    maximum = draw(st.integers(max(minimum, 1), minimum + 30))
    current = draw(st.integers(minimum, maximum))
    utilisation = draw(st.booleans())
    return ScalableTarget(
        name="t",
        kind="pool",
        metric="m",
        metric_kind="utilisation" if utilisation else "throughput",
        per_unit=draw(st.floats(10, 100) if utilisation else st.floats(1, 1000)),
        current=current,
        desired=current,
        minimum=minimum,
        maximum=maximum,
        price_per_unit_hour=draw(st.floats(0, 10)),
        warmup=timedelta(minutes=draw(st.integers(0, 60))),
        cooldown=timedelta(minutes=draw(st.integers(0, 30))),
        mode=draw(st.sampled_from(["forecast_only", "approval_required", "auto_approve"])),
    )


@st.composite
def forecasts(draw: st.DrawFn, target: ScalableTarget) -> Forecast:
    horizon = draw(st.integers(1, 60))
    step = draw(st.sampled_from(STEPS))
    start = pd.Timestamp("2026-03-02", tz="UTC") + pd.Timedelta(
        minutes=draw(st.integers(0, MINUTES_PER_WEEK))
    )
    # Demand up to 1.5x what the maximum capacity serves, so clamping happens too.
    if target.metric_kind == "utilisation":
        top = 100.0
    else:
        top = target.per_unit * max(target.maximum, 1) * 1.5
    # Shapes drawn from a seed: far cheaper than drawing every value through hypothesis.
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = draw(st.sampled_from(["noise", "walk", "steps", "wave"]))
    if shape == "noise":
        upper = rng.uniform(0, top, horizon)
    elif shape == "walk":
        upper = np.clip(rng.uniform(0, top) + np.cumsum(rng.normal(0, top / 10, horizon)), 0, top)
    elif shape == "steps":
        upper = rng.choice(rng.uniform(0, top, 3), horizon)
        upper = np.sort(upper) if rng.random() < 0.5 else upper
    else:
        phase = np.arange(horizon) / max(1, rng.integers(2, 40))
        upper = top * (0.5 + 0.5 * np.sin(2 * np.pi * phase)) * rng.uniform(0.2, 1)
    ratio = draw(st.floats(0.3, 1.0))
    mean = upper * ratio
    stamps = pd.date_range(start, periods=horizon, freq=step)
    return Forecast(
        stamps,
        mean,
        {80: mean - (upper - mean) / 2, 95: mean - (upper - mean)},
        {80: (mean + upper) / 2, 95: upper},
        "prop",
    )


planner_settings = st.builds(
    PlannerSettings,
    level=st.sampled_from([80, 95]),
    headroom=st.floats(0, 0.5),
    stabilisation=st.integers(0, 60).map(lambda m: timedelta(minutes=m)),
    max_step=st.integers(1, 5),
)


@st.composite
def freeze_windows(draw: st.DrawFn) -> FreezeWindow:
    days = frozenset(draw(st.sets(st.integers(0, 6), min_size=1, max_size=3)))
    start = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
    end = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
    return FreezeWindow(days, start, end)


policies = st.builds(
    AutoApprovePolicy,
    max_step_units=st.none() | st.integers(1, 5),
    max_hourly_increase=st.none() | st.floats(0, 50),
    scale_out_only=st.booleans(),
    min_confidence=st.none() | st.floats(0, 1),
    freeze_windows=st.lists(freeze_windows(), max_size=2).map(tuple),
    timezone=st.sampled_from(ZONES),
)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[ScalableTarget, Forecast, PlannerSettings, bool]:
    target = draw(targets())
    return target, draw(forecasts(target)), draw(planner_settings), draw(st.booleans())


def needed_units(target: ScalableTarget, forecast: Forecast, chosen: PlannerSettings) -> np.ndarray:
    """Whole units each interval needs, clamped: recomputed from the rule in the docs."""
    demand = np.clip(np.asarray(forecast.upper[chosen.level]), 0, None)
    if target.metric_kind == "utilisation":
        demand = demand * target.current
    units = np.ceil(demand / target.per_unit * (1 + chosen.headroom) - 1e-9)
    return np.clip(units, target.minimum, target.maximum).astype(int)


def slots(duration: timedelta, interval: pd.Timedelta) -> int:
    return math.ceil(pd.Timedelta(duration) / interval - 1e-9)


@FAST
@given(scenarios())
def test_planner_guarantees(scenario) -> None:
    target, forecast, chosen, anomalous = scenario
    plan = plan_capacity(target, forecast, chosen, anomalous=anomalous)
    event(f"late intervals: {bool(plan.late)}, steps: {bool(plan.steps)}")
    capacity = np.array(plan.capacity)
    interval = plan.interval
    path = np.concatenate([[target.current], capacity])

    # Within min/max; step limit; one action per cooldown; steps match the schedule.
    assert capacity.min() >= target.minimum and capacity.max() <= target.maximum
    assert np.abs(np.diff(path)).max() <= chosen.max_step
    action_slots = np.flatnonzero(np.diff(path))
    assert [plan.timestamps[i] for i in action_slots] == [step.at for step in plan.steps]
    assert np.all(np.diff(action_slots) >= max(1, slots(target.cooldown, interval)))
    for step in plan.steps:
        assert 0 < abs(step.change) <= chosen.max_step
        assert step.trace.final == step.to_units

    # No scale-in while anomalous.
    if anomalous:
        assert capacity.min() >= target.current

    # Served a warm-up ahead: units serving at interval i were requested by i - lead.
    need = needed_units(target, forecast, chosen)
    lead = slots(target.warmup, interval)
    ready = [
        min(capacity[max(i - lead, 0) : i + 1].min(), target.current if i < lead else np.inf)
        for i in range(len(need))
    ]
    late = [plan.timestamps[i] for i in range(len(need)) if ready[i] < need[i]]
    assert list(plan.late) == late
    if target.current + chosen.max_step >= target.maximum:  # one step reaches any level
        assert all(stamp < plan.start + lead * interval for stamp in plan.late)

    # Costs add up.
    hours = interval / pd.Timedelta(hours=1)
    price = target.price_per_unit_hour
    assert math.isclose(plan.cost.plan_total, capacity.sum() * hours * price, abs_tol=1e-6)
    steps_total = sum(step.horizon_change for step in plan.steps)
    assert math.isclose(steps_total, plan.cost.change_vs_current, rel_tol=1e-9, abs_tol=1e-6)
    assert plan.cost.static_peak_units == need.max()


@FAST
@given(scenarios(), policies, st.integers(0, 120))
def test_auto_approval_never_exceeds_its_guardrails(scenario, policy, minutes_before) -> None:
    target, forecast, chosen, anomalous = scenario
    plan = plan_capacity(target, forecast, chosen, anomalous=anomalous)
    now = plan.start - pd.Timedelta(minutes=minutes_before)
    decision = policy.evaluate(plan, target, now)
    event(f"auto-approved: {decision.approved}")
    assert decision.approved == all_rules_hold(policy, plan, target, now)
    assert len(decision.reasons) >= 1 and all(name for name in decision.failed)


def all_rules_hold(
    policy: AutoApprovePolicy, plan: CapacityPlan, target: ScalableTarget, now: pd.Timestamp
) -> bool:
    """Every configured rule, recomputed from the plan's schedule."""
    path = np.concatenate([[target.current], plan.capacity])
    changes = np.diff(path)
    increase = max(0, int(path.max()) - target.current) * target.price_per_unit_hour
    moments = [now, *(step.at for step in plan.steps)]
    return (
        target.mode == "auto_approve"
        and (policy.max_step_units is None or np.abs(changes).max() <= policy.max_step_units)
        and (policy.max_hourly_increase is None or increase <= policy.max_hourly_increase + 1e-9)
        and (not policy.scale_out_only or changes.min() >= 0)
        and (policy.min_confidence is None or plan.confidence.value >= policy.min_confidence)
        and not any(frozen(policy, moment) for moment in moments)
    )


def frozen(policy: AutoApprovePolicy, moment: pd.Timestamp) -> bool:
    """Minute-of-week arithmetic, independent of ``FreezeWindow.contains``."""
    local = moment.tz_convert(policy.timezone)
    minute = local.weekday() * 1440 + local.hour * 60 + local.minute
    for window in policy.freeze_windows:
        begin = window.start.hour * 60 + window.start.minute
        length = (window.end.hour * 60 + window.end.minute - begin) % 1440 or 1440
        for day in window.days:
            if (minute - (day * 1440 + begin)) % MINUTES_PER_WEEK < length:
                return True
    return False
