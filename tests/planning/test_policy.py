from __future__ import annotations

from datetime import time

import pandas as pd
import pytest

from models.planning import AutoApprovePolicy, FreezeWindow, plan_capacity, propose
from tests.planning.builders import START, make_forecast, make_target

UP_ONE = [300.0] * 6 + [
    450.0
] * 18  # 4 -> 5 units at 08:20, warm-up ahead of 08:30 ($0.50/hour more)
UP_BIG = [300.0] * 6 + [1500.0] * 18  # 4 -> 17 units in steps of 2
DOWN = [100.0] * 48  # 4 -> 2 units after the stabilisation window
NOW = START - pd.Timedelta(minutes=5)  # Monday 07:55 UTC


def decide(policy: AutoApprovePolicy, upper: list[float], now: pd.Timestamp = NOW, **target):
    chosen = make_target(**target)
    return policy.evaluate(plan_capacity(chosen, make_forecast(upper)), chosen, now)


def test_small_scale_out_passes_every_rule_and_says_so() -> None:
    policy = AutoApprovePolicy(
        max_step_units=2, max_hourly_increase=1.0, scale_out_only=True, min_confidence=0.5,
        freeze_windows=(FreezeWindow({5, 6}, time(0), time(0)),),
    )  # fmt: skip
    decision = decide(policy, UP_ONE)
    assert decision.approved and decision.failed == ()
    names = [reason.split(":")[0] for reason in decision.reasons]
    assert names == ["mode", "step size", "cost", "scale-out only", "confidence", "freeze window"]
    assert all("passed" in reason for reason in decision.reasons)


@pytest.mark.parametrize(
    ("policy", "upper", "failed"),
    [
        (AutoApprovePolicy(max_step_units=1), UP_BIG, "step size"),
        (AutoApprovePolicy(max_step_units=None, max_hourly_increase=1.0), UP_BIG, "cost"),
        (AutoApprovePolicy(scale_out_only=True), DOWN, "scale-out only"),
        (AutoApprovePolicy(min_confidence=0.9), UP_ONE, "confidence"),  # band 40 % wide
    ],
)
def test_each_rule_can_send_a_plan_to_a_person(policy, upper, failed) -> None:
    decision = decide(policy, upper)
    assert not decision.approved
    assert decision.failed == (failed,)
    assert any(r.startswith(f"{failed}: FAILED") for r in decision.reasons)


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("approval_required", "requires a person"),
        ("forecast_only", "never executed"),
        ("off", "no plans"),
    ],
)
def test_only_auto_approve_mode_is_ever_auto_approved(mode: str, words: str) -> None:
    decision = decide(AutoApprovePolicy(), UP_ONE, mode=mode)
    assert not decision.approved and decision.failed == ("mode",)
    assert words in decision.reasons[0]


def test_freeze_window_in_local_time() -> None:
    # Monday 09:00-17:00 in Paris is 08:00-16:00 UTC in March (before summer time).
    policy = AutoApprovePolicy(
        freeze_windows=(FreezeWindow({0}, time(9), time(17)),), timezone="Europe/Paris"
    )
    assert not decide(policy, [300.0] * 24, now=START).approved  # now is frozen
    assert decide(policy, [300.0] * 24, now=NOW).approved  # 08:55 Paris, no steps
    blocked = decide(policy, UP_ONE, now=NOW)  # the step at 08:20 UTC = 09:20 Paris
    assert not blocked.approved
    assert "step at Mon 09:20 Europe/Paris" in blocked.reasons[-1]


def test_overnight_window_covers_the_early_hours_of_the_next_day() -> None:
    window = FreezeWindow({4}, time(22), time(6))  # Friday 22:00 to Saturday 06:00
    friday_late = pd.Timestamp("2026-03-06 23:00").to_pydatetime()
    saturday_early = pd.Timestamp("2026-03-07 05:59").to_pydatetime()
    saturday_late = pd.Timestamp("2026-03-07 23:00").to_pydatetime()
    thursday_early = pd.Timestamp("2026-03-05 05:00").to_pydatetime()
    assert window.contains(friday_late) and window.contains(saturday_early)
    assert not window.contains(saturday_late) and not window.contains(thursday_early)


def test_bad_freeze_days_are_rejected() -> None:
    with pytest.raises(ValueError, match="0 \\(Monday\\)"):
        FreezeWindow({7}, time(1), time(2))


def test_evaluates_a_plan_object_the_same_as_its_proposal() -> None:
    target = make_target()
    proposal = plan_capacity(target, make_forecast(UP_BIG))
    plan = propose(target, proposal)
    assert plan is not None
    policy = AutoApprovePolicy(max_step_units=2, max_hourly_increase=10.0)
    assert policy.evaluate(plan, target, NOW) == policy.evaluate(proposal, target, NOW)


def test_policy_round_trips_through_json_and_rejects_unknown_zones() -> None:
    import json

    policy = AutoApprovePolicy(
        max_step_units=3, max_hourly_increase=2.5, scale_out_only=True, min_confidence=0.4,
        freeze_windows=(FreezeWindow({4}, time(22), time(6, 30)),), timezone="Europe/Paris",
    )  # fmt: skip
    assert AutoApprovePolicy.from_dict(json.loads(json.dumps(policy.to_dict()))) == policy
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        AutoApprovePolicy(timezone="Mars/Olympus")
