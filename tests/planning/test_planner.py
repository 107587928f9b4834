from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from models.anomaly import Incident, Pattern, Severity
from models.planning import PlannerSettings, PlanningError, Rule, plan_capacity
from tests.planning.builders import START, make_forecast, make_target

FIVE_MIN = pd.Timedelta(minutes=5)


def test_needs_the_upper_bound_with_headroom_not_the_mean() -> None:
    # Upper bound 1000 req/s at 100 per unit = 10 units; +10 % -> 11. The mean (800) would give 9.
    plan = plan_capacity(
        make_target(current=11, desired=11, warmup=timedelta(0)),
        make_forecast([1000.0] * 12),
        PlannerSettings(stabilisation=timedelta(0)),
    )
    assert plan.capacity == (11,) * 12
    assert plan.steps == ()


def test_level_chooses_the_band() -> None:
    forecast = make_forecast([1000.0] * 12)  # the 80 % upper bound is 900
    plan = plan_capacity(
        make_target(current=10, desired=10, warmup=timedelta(0)),
        forecast,
        PlannerSettings(level=80, headroom=0.0, stabilisation=timedelta(0), max_step=10),
    )
    assert set(plan.capacity) == {9}


def test_scale_out_starts_a_warm_up_ahead_of_the_need() -> None:
    upper = [300.0] * 10 + [1500.0] * 10  # need jumps from 4 to 17 units at slot 10
    target = make_target(warmup=timedelta(minutes=15), maximum=30)
    plan = plan_capacity(target, make_forecast(upper), PlannerSettings(max_step=20))
    assert plan.capacity[6] == 4
    assert plan.capacity[7] == 17  # 15 min = 3 slots before slot 10
    (step,) = plan.steps
    assert step.at == START + 7 * FIVE_MIN
    assert step.serves == START + 10 * FIVE_MIN
    assert Rule.WARMUP in step.trace.changed_by()
    assert plan.late == ()


def test_step_limit_ramps_early_enough_to_reach_a_big_rise() -> None:
    upper = [300.0] * 20 + [1500.0] * 10  # 4 -> 17 units, 2 units per action, 5-min cooldown
    plan = plan_capacity(make_target(maximum=30), make_forecast(upper))
    changes = [step.change for step in plan.steps]
    assert changes == [1, 2, 2, 2, 2, 2, 2]
    assert plan.capacity[18] == 17  # ready two slots (the 10-min warm-up) before slot 20
    assert all(abs(c) <= 2 for c in changes)
    assert Rule.RAMP in plan.steps[0].trace.changed_by()
    assert {step.serves for step in plan.steps} == {START + 20 * FIVE_MIN}
    assert "start early for the need at 2026-03-02 09:40" in plan.steps[0].trace.explain()


def test_cooldown_spaces_actions_and_each_covers_until_the_next() -> None:
    upper = [300.0] * 20 + [1500.0] * 10
    target = make_target(maximum=30, cooldown=timedelta(minutes=15))  # one action per 3 slots
    plan = plan_capacity(target, make_forecast(upper))
    slots = [(step.at - START) // FIVE_MIN for step in plan.steps]
    assert all(b - a >= 3 for a, b in zip(slots, slots[1:], strict=False))
    assert plan.capacity[18] >= 17


def test_scale_in_waits_for_the_stabilisation_window() -> None:
    upper = [1000.0] * 6 + [200.0] * 30  # 11 units, then 3
    target = make_target(current=11, desired=11, warmup=timedelta(0))
    settings = PlannerSettings(stabilisation=timedelta(minutes=30), max_step=20)
    plan = plan_capacity(target, make_forecast(upper), settings)
    first_in = plan.steps[0]
    assert first_in.change < 0
    assert first_in.at == START + 12 * FIVE_MIN  # 6 low slots after the drop at slot 6
    assert plan.capacity[11] == 11


def test_no_scale_in_while_anomalous_flag_or_incident() -> None:
    upper = [100.0] * 36
    target = make_target(current=8, desired=8)
    quiet = plan_capacity(target, make_forecast(upper))
    assert min(quiet.capacity) < 8
    assert plan_capacity(target, make_forecast(upper), anomalous=True).capacity == (8,) * 36
    incident = Incident(
        start=0.0, end=60.0, start_row=0, end_row=1, severity=Severity.HIGH,
        pattern=Pattern.SPIKE, metrics=("http.requests",), peak_score=0.9, action="look",
    )  # fmt: skip
    held = plan_capacity(target, make_forecast(upper), incidents=[incident])
    assert held.capacity == (8,) * 36 and held.anomaly_hold
    # Scale-out still happens during an incident.
    rising = plan_capacity(target, make_forecast([2000.0] * 12), incidents=[incident])
    assert max(rising.capacity) > 8


def test_clamped_to_min_and_max() -> None:
    target = make_target(current=4, desired=4, minimum=3, maximum=6)
    high = plan_capacity(target, make_forecast([5000.0] * 12), PlannerSettings(max_step=10))
    assert max(high.capacity) == 6
    low = plan_capacity(target, make_forecast([0.0] * 24), PlannerSettings(max_step=10))
    assert min(low.capacity) == 3
    assert Rule.MIN_MAX in high.steps[0].trace.changed_by()


def test_utilisation_metric_is_converted_with_current_units() -> None:
    # 4 units at 90 % CPU, 60 % target: 6 units; +10 % headroom -> 6.6 -> 7.
    target = make_target(metric_kind="utilisation", per_unit=60.0, warmup=timedelta(0))
    plan = plan_capacity(target, make_forecast([90.0] * 6), PlannerSettings(max_step=5))
    assert plan.capacity == (7,) * 6


def test_trace_reads_from_forecast_to_final() -> None:
    plan = plan_capacity(make_target(), make_forecast([300.0] * 4 + [800.0] * 8))
    trace = plan.steps[0].trace
    rules = [step.rule for step in trace.steps]
    assert rules[0] is Rule.FORECAST and rules[-1] is Rule.FINAL
    assert rules.index(Rule.STABILISATION) < rules.index(Rule.STEP_LIMIT)
    assert trace.final == plan.steps[0].to_units
    text = trace.explain()
    assert "p95 upper bound of http.requests" in text
    assert "* headroom" in text  # marked as a rule that changed the number


def test_step_costs_add_up_to_the_change_against_today() -> None:
    plan = plan_capacity(make_target(), make_forecast([300.0] * 6 + [900.0] * 12 + [200.0] * 30))
    hours = 48 * 5 / 60
    assert plan.cost.keep_current_total == pytest.approx(4 * hours * 0.5)
    assert plan.cost.plan_total == pytest.approx(sum(plan.capacity) * 5 / 60 * 0.5)
    total = sum(step.horizon_change for step in plan.steps)
    assert total == pytest.approx(plan.cost.change_vs_current)
    assert plan.cost.static_peak_units == 10  # 900 / 100 x 1.1 -> 10
    assert plan.cost.change_vs_static_peak < 0
    assert plan.steps[0].hourly_change == pytest.approx(plan.steps[0].change * 0.5)


def test_confidence_falls_with_band_width_and_a_poor_backtest() -> None:
    narrow = plan_capacity(make_target(), make_forecast([500.0] * 6, mean_ratio=0.95))
    wide = plan_capacity(make_target(), make_forecast([500.0] * 6, mean_ratio=0.5))
    assert 0 < wide.confidence.value < narrow.confidence.value <= 1
    details = {"scores": {"ets": 2.0, "naive": 1.0}, "metric": "mase"}
    poor = plan_capacity(make_target(), make_forecast([500.0] * 6, mean_ratio=0.95,
                                                      model="auto:ets", details=details))  # fmt: skip
    assert poor.confidence.backtest_mase == 2.0
    assert poor.confidence.value == pytest.approx(narrow.confidence.value / 2)


def test_reports_intervals_too_soon_to_serve() -> None:
    target = make_target(warmup=timedelta(minutes=10))
    plan = plan_capacity(target, make_forecast([900.0] * 6), PlannerSettings(max_step=20))
    assert plan.late == (START, START + FIVE_MIN)  # new units serve only from the third slot


def test_missing_band_or_empty_forecast_is_a_planning_error() -> None:
    with pytest.raises(PlanningError, match="no 99 % band"):
        plan_capacity(make_target(), make_forecast([1.0] * 3), PlannerSettings(level=99))
    with pytest.raises(PlanningError, match="empty"):
        plan_capacity(make_target(), make_forecast([]))


def test_nan_bounds_keep_todays_capacity() -> None:
    plan = plan_capacity(make_target(), make_forecast([np.nan] * 12))
    assert set(plan.capacity) == {5}  # today's 4 units, +10 % headroom, rounded up


def test_deterministic_and_the_same_numbers_without_traces() -> None:
    forecast = make_forecast(np.linspace(100, 1800, 48))
    first = plan_capacity(make_target(), forecast)
    assert plan_capacity(make_target(), forecast) == first
    quick = plan_capacity(make_target(), forecast, explain=False)
    assert quick.capacity == first.capacity and quick.cost == first.cost
    assert [s.at for s in quick.steps] == [s.at for s in first.steps]
    assert all(s.trace.steps == () and s.trace.explain() == "" for s in quick.steps)


def test_plans_a_real_auto_forecast() -> None:
    from models.forecast import FAST_CANDIDATES, AutoForecaster

    index = pd.date_range("2026-03-01", periods=288 * 3, freq="5min", tz="UTC")
    daily = 600 + 400 * np.sin(2 * np.pi * np.arange(len(index)) / 288)
    noise = np.random.default_rng(1).normal(0, 20, len(index))
    series = pd.Series(daily + noise, index=index)
    forecast = AutoForecaster(candidates=FAST_CANDIDATES).fit(series).predict(288)
    plan = plan_capacity(make_target(current=8, desired=8, maximum=40), forecast)
    peak_slot = int(np.argmax(forecast.upper[95]))
    assert plan.capacity[peak_slot] >= np.ceil(forecast.upper[95][peak_slot] / 100 * 1.1)
    assert plan.confidence.backtest_mase is not None
    assert 0 < plan.confidence.value < 1
