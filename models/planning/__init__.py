"""Scaling plans (no Qt, no I/O): targets, the planner, plan lifecycle, auto-approval.

Targets (:mod:`models.planning.target`)::

    ScalableTarget(name, kind: TargetKind, metric, metric_kind: MetricKind, per_unit,
                   current, desired, minimum, maximum, price_per_unit_hour,
                   warmup: timedelta, cooldown: timedelta,
                   mode=TargetMode.APPROVAL_REQUIRED, executor="")     # frozen, validated
        .units_needed(values) -> ndarray   # throughput: v / per_unit;
                                           # utilisation: v x current / per_unit
        .to_dict() / ScalableTarget.from_dict(d)
    TargetKind: pool | asg | ssh;  MetricKind: throughput | utilisation
    TargetMode: off | forecast_only | approval_required | auto_approve
    InvalidTarget(name, field, reason)   (a ValueError)

Planner (:mod:`models.planning.planner`; results in :mod:`models.planning.proposal`) —
pure, deterministic, fast enough for a loop (about 3 ms for 60 intervals, 6 ms for 288)::

    plan_capacity(target, forecast: models.forecast.Forecast,
                  settings=PlannerSettings(level=95, headroom=0.10,
                                           stabilisation=timedelta(minutes=30), max_step=2),
                  *, now=None, anomalous=False, incidents=(), explain=True) -> CapacityPlan
    CapacityPlan: target, created_at, start, interval, current, need (units/interval with
        headroom), capacity (planned units/interval), steps, cost: CostImpact,
        confidence: Confidence, late (intervals that cannot be served in time),
        anomaly_hold, forecast_model, settings; .timestamps .first_step_at .largest_step
        .scales_in .to_dict() / CapacityPlan.from_dict(d)
    ScalingStep: at, from_units, to_units, change, serves, hourly_change ($/h),
        horizon_change ($ until the horizon ends), trace: Trace
    PlanningError(target, reason)

Reasoning (:mod:`models.planning.trace`)::

    Trace(steps: tuple[TraceStep(rule: Rule, value, note), ...])
        .explain() -> str   .changed_by() -> [Rule]   .final
    Rule: forecast, headroom, whole units, warm-up lead, min/max, ramp ahead,
          stabilisation, anomaly hold, cooldown, step limit, final

Cost and confidence (:mod:`models.planning.cost`, :mod:`models.planning.confidence`)::

    CostImpact: horizon_hours, plan_total, keep_current_total, static_peak_total,
        static_peak_units, peak_hourly_increase, .change_vs_current,
        .change_vs_static_peak      (sum of steps' horizon_change == change_vs_current)
    Confidence: value (0..1), level, relative_width, backtest_mase, .describe()

Lifecycle (:mod:`models.planning.lifecycle`)::

    propose(target, capacity_plan) -> Plan | None          # None when the target is off
    Plan(proposal, mode: TargetMode, id=uuid4 hex, state=PlanState.PROPOSED, history=[...])
        .executable (False when forecast-only) .target
        .approve(actor, at, reason="") .reject(...) .auto_approve(at, reasons)
        .start(actor, at) .finish(actor, at) .fail(actor, at, reason)
        .expire_if_due(at) -> bool   .supersede(newer, at)   .transition(to, actor, at, why)
        .expires_at .is_terminal .to_dict() / Plan.from_dict(d)   (JSON-ready)
    supersede_pending(plans, newer, at) -> [Plan]
    PlanState, TRANSITIONS (the one table of allowed moves), Transition(before, after,
    actor, at, reason), IllegalTransition(plan_id, current, wanted, reason)

Auto-approval (:mod:`models.planning.policy`)::

    AutoApprovePolicy(max_step_units=2, max_hourly_increase=None, scale_out_only=False,
                      min_confidence=None, freeze_windows=(), timezone="UTC")
        .evaluate(plan | capacity_plan, target, now) -> PolicyDecision(approved, reasons,
                                                                       failed)
    FreezeWindow(days={0..6, Monday=0}, start: time, end: time)   # end <= start: overnight

Hour-of-day calibration (:mod:`models.planning.hourly`)::

    HourlyCalibration(level, bin_seconds=3600, min_samples=40, memory=400)
        .record(epoch_seconds, actual - mean)  .offset(epoch_seconds) -> float (NaN: too few)
        .raise_bound(epoch_seconds[], mean[], upper[]) -> upper raised where the hour needs it
    history_backtest(series, horizon, level, days=7) -> backtest frame | None
    hourly_from_backtest(frame, level) -> HourlyCalibration
    raise_forecast(forecast, level, calibration) -> Forecast   # details["hourly_raise"]

Adaptive margin (:mod:`models.planning.adaptive`)::

    AdaptiveMargin(level, rate=0.2, max_factor=3.0)
        .record(actual, bound)  .factor (>= 1)  .misses  .checks
        .widen(forecast, level) -> Forecast      # details["adaptive_factor"]
    margin_from_backtest(frame, level) -> AdaptiveMargin   # a live target's recent past
    calibrated_forecast(forecast, level, hourly, margin) -> Forecast  # raised, then widened

Rightsizing (:mod:`models.planning.rightsizing`)::

    rightsize(target, history: Series | ndarray, *, days=14, max_peak_fraction=0.5,
              headroom=0.10, peak_quantile=0.99, now=None) -> RightsizingSuggestion | None
    rightsizing_suggestions(targets, histories: {name: Series}, **options) -> [...]
"""

from __future__ import annotations

from models.planning.confidence import Confidence, forecast_confidence
from models.planning.cost import CostImpact
from models.planning.lifecycle import (
    TRANSITIONS,
    IllegalTransition,
    Plan,
    PlanState,
    Transition,
    propose,
    supersede_pending,
)
from models.planning.planner import plan_capacity
from models.planning.policy import AutoApprovePolicy, FreezeWindow, PolicyDecision
from models.planning.proposal import CapacityPlan, PlannerSettings, PlanningError, ScalingStep
from models.planning.rightsizing import (
    RightsizingSuggestion,
    rightsize,
    rightsizing_suggestions,
)
from models.planning.target import (
    InvalidTarget,
    MetricKind,
    ScalableTarget,
    TargetKind,
    TargetMode,
)
from models.planning.trace import Rule, Trace, TraceStep

__all__ = [
    "TRANSITIONS",
    "AutoApprovePolicy",
    "CapacityPlan",
    "Confidence",
    "CostImpact",
    "FreezeWindow",
    "IllegalTransition",
    "InvalidTarget",
    "MetricKind",
    "Plan",
    "PlanState",
    "PlannerSettings",
    "PlanningError",
    "PolicyDecision",
    "RightsizingSuggestion",
    "Rule",
    "ScalableTarget",
    "ScalingStep",
    "TargetKind",
    "TargetMode",
    "Trace",
    "TraceStep",
    "Transition",
    "forecast_confidence",
    "plan_capacity",
    "propose",
    "rightsize",
    "rightsizing_suggestions",
    "supersede_pending",
]
