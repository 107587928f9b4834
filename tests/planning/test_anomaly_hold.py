"""Scale-in waits while the driving metric has an open incident (not while it trends)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from console.plans.controller import forecast_and_plan
from console.plans.plan_detail import cost_text
from console.plans.targets import TargetConfig, TargetRuntime
from console.workers import CancelToken
from models.anomaly import Pattern
from models.planning.anomaly_hold import open_incidents
from models.planning.trace import Rule

STEP = pd.Timedelta(minutes=30)


def daily_demand(days: int = 14, seed: int = 0) -> pd.Series:
    """Requests/s at 30-minute steps: a daily cycle between 200 and 600, noise sd 15."""
    index = pd.date_range("2026-10-01", periods=days * 48, freq=STEP, tz="UTC")
    phase = np.arange(len(index)) * 2 * np.pi / 48
    rng = np.random.default_rng(seed)
    return pd.Series(400 - 200 * np.cos(phase) + rng.normal(0, 15, len(index)), index=index)


def test_an_outage_still_going_on_holds_scale_in():
    demand = daily_demand()
    demand.iloc[-6:] *= 0.05  # the last three hours: traffic lost to an outage
    (incident,) = open_incidents(demand, "requests.per_s", "web")
    assert incident.pattern is not Pattern.TREND
    assert incident.end == demand.index[-1].timestamp()


def test_ordinary_days_and_a_steady_decline_do_not_hold():
    assert open_incidents(daily_demand(), "requests.per_s", "web") == ()
    declining = daily_demand()
    declining *= np.linspace(1.0, 0.4, len(declining))  # customers moving away for weeks
    assert open_incidents(declining, "requests.per_s", "web") == ()


def test_an_over_incident_no_longer_holds():
    demand = daily_demand()
    demand.iloc[-60:-54] *= 0.05  # an outage a day ago, long recovered
    assert open_incidents(demand, "requests.per_s", "web") == ()


def test_the_console_cycle_holds_scale_in_during_an_incident_and_says_why():
    runtime = TargetRuntime(TargetConfig(name="demo"))
    normal = forecast_and_plan(runtime, CancelToken())
    assert normal.plan is not None and not normal.plan.proposal.anomaly_hold
    real_history = runtime.history

    def during_a_surge() -> pd.DataFrame:
        frame = real_history().copy()
        frame.iloc[-2:, frame.columns.get_loc("demand")] *= 3
        return frame

    runtime.history = during_a_surge  # the demo's own trace, its last hour tripled
    held = forecast_and_plan(runtime, CancelToken())
    proposal = held.plan.proposal if held.plan else None
    assert proposal is not None and proposal.anomaly_hold
    assert min(proposal.capacity) >= proposal.current  # nothing below today's size
    notes = [
        s.note for step in proposal.steps for s in step.trace.steps if s.rule is Rule.ANOMALY_HOLD
    ]
    assert notes and all("open incident(s) on requests.per_s" in note for note in notes)
    assert "Scale-in held" in cost_text(held.plan)
    assert "Scale-in held" not in cost_text(normal.plan)
