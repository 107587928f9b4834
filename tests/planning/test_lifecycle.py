from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.planning import (
    TRANSITIONS,
    IllegalTransition,
    Plan,
    PlanState,
    plan_capacity,
    propose,
    supersede_pending,
)
from tests.planning.builders import START, make_forecast, make_target

RISING = [300.0] * 6 + [900.0] * 18  # 4 -> 10 units by 08:20; the ramp starts at 08:10
BEFORE = START - pd.Timedelta(minutes=5)


def new_plan(mode: str = "approval_required") -> Plan:
    target = make_target(mode=mode)
    plan = propose(target, plan_capacity(target, make_forecast(RISING)))
    assert plan is not None
    return plan


def test_happy_path_records_who_when_why() -> None:
    plan = new_plan()
    plan.approve("alice", BEFORE, "expected Monday peak")
    plan.start("executor", START, "asg:web")
    plan.finish("executor", START + pd.Timedelta(minutes=1), "verified 6 units")
    assert plan.state is PlanState.DONE and plan.is_terminal
    assert [(t.before, t.after, t.actor) for t in plan.history] == [
        (PlanState.PROPOSED, PlanState.APPROVED, "alice"),
        (PlanState.APPROVED, PlanState.EXECUTING, "executor"),
        (PlanState.EXECUTING, PlanState.DONE, "executor"),
    ]
    assert plan.history[0].reason == "expected Monday peak"
    assert plan.history[0].at == BEFORE


@pytest.mark.parametrize("state", list(PlanState))
def test_every_move_outside_the_table_is_illegal(state: PlanState) -> None:
    for wanted in PlanState:
        plan = new_plan()
        plan.state = state
        if wanted in TRANSITIONS[state]:
            continue
        with pytest.raises(IllegalTransition) as caught:
            plan.transition(wanted, "bob", BEFORE, "try")
        assert caught.value.current is state and caught.value.wanted is wanted
        assert plan.state is state and plan.history == []


def test_terminal_states_have_no_way_out() -> None:
    terminal = {s for s, targets in TRANSITIONS.items() if not targets}
    expected = {"rejected", "done", "failed", "expired", "superseded"}
    assert {s.value for s in terminal} == expected


def test_cannot_execute_without_approval() -> None:
    plan = new_plan()
    with pytest.raises(IllegalTransition):
        plan.start("executor", BEFORE)


def test_failed_execution_keeps_the_reason() -> None:
    plan = new_plan()
    plan.approve("alice", BEFORE)
    plan.start("executor", START)
    plan.fail("executor", START, "AccessDenied on SetDesiredCapacity")
    assert plan.state is PlanState.FAILED
    assert plan.history[-1].reason == "AccessDenied on SetDesiredCapacity"


def test_expires_when_first_step_is_due_undecided() -> None:
    plan = new_plan()
    due = plan.expires_at
    assert due == START + pd.Timedelta(minutes=10)
    assert not plan.expire_if_due(due - pd.Timedelta(seconds=1))
    with pytest.raises(IllegalTransition, match="was due"):
        plan.approve("alice", due)
    assert plan.expire_if_due(due)
    assert plan.state is PlanState.EXPIRED and plan.history[-1].actor == "planner"


@pytest.mark.parametrize("started", [False, True])
def test_a_decided_plan_expires_when_a_step_is_too_late(started: bool) -> None:
    plan = new_plan()
    plan.approve("alice", BEFORE)
    if started:
        plan.start("executor", START)
    due = plan.proposal.steps[0].at
    plan.expire_late(0, due + pd.Timedelta(hours=2, minutes=5))
    assert plan.state is PlanState.EXPIRED and plan.is_terminal
    last = plan.history[-1]
    assert last.actor == "executor"
    assert f"step 1 of {len(plan.proposal.steps)}" in last.reason
    assert "2 h 05 min late" in last.reason


def test_newer_forecast_supersedes_pending_plans_of_the_same_target() -> None:
    old, approved, running, new = new_plan(), new_plan(), new_plan(), new_plan()
    approved.approve("alice", BEFORE)
    running.approve("alice", BEFORE)
    running.start("executor", BEFORE)
    other_target = make_target(name="api")
    other = propose(other_target, plan_capacity(other_target, make_forecast(RISING)))
    assert other is not None
    changed = supersede_pending([old, approved, running, other, new], new, START)
    assert changed == [old, approved]
    assert old.state is PlanState.SUPERSEDED and old.superseded_by == new.id
    assert running.state is PlanState.EXECUTING
    assert other.state is PlanState.PROPOSED and new.state is PlanState.PROPOSED


def test_modes_off_and_forecast_only() -> None:
    target = make_target(mode="off")
    assert propose(target, plan_capacity(target, make_forecast(RISING))) is None
    shown = new_plan(mode="forecast_only")
    assert not shown.executable
    for action in (shown.approve, lambda actor, at: shown.auto_approve(at, ["ok"])):
        with pytest.raises(IllegalTransition, match="forecast-only"):
            action("alice", BEFORE)
    shown.reject("alice", BEFORE, "just looking")  # it can still be dismissed


def test_only_auto_approve_targets_can_be_auto_approved() -> None:
    waits = new_plan(mode="approval_required")
    with pytest.raises(IllegalTransition, match="a person decides"):
        waits.auto_approve(BEFORE, ["step size: passed"])
    allowed = new_plan(mode="auto_approve")
    allowed.auto_approve(BEFORE, ["step size: passed"])
    assert allowed.state is PlanState.AUTO_APPROVED and allowed.history[-1].actor == "policy"


def test_an_actor_is_required() -> None:
    with pytest.raises(IllegalTransition, match="actor"):
        new_plan().approve(" ", BEFORE)


def test_ids_are_unique_uuid4_hex() -> None:
    ids = {new_plan().id for _ in range(20)}
    assert len(ids) == 20 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_json_round_trip_keeps_everything() -> None:
    plan = new_plan(mode="auto_approve")
    plan.auto_approve(BEFORE, ["step size: passed", "cost: passed"])
    text = json.dumps(plan.to_dict())
    again = Plan.from_dict(json.loads(text))
    assert again == plan
    assert again.proposal.steps[0].trace.explain() == plan.proposal.steps[0].trace.explain()
    assert again.history[0].reason == "step size: passed; cost: passed"
    again.start("executor", START)  # the restored plan still follows the state machine


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(PlanState)), st.integers(0, 40)), max_size=12))
def test_random_operations_only_ever_follow_the_table(attempts) -> None:
    plan = new_plan(mode="auto_approve")
    for wanted, minutes in attempts:
        before = plan.state
        at = BEFORE + pd.Timedelta(minutes=minutes)
        try:
            plan.transition(wanted, "someone", at, "random")
        except IllegalTransition:
            assert plan.state is before
    states = [PlanState.PROPOSED] + [t.after for t in plan.history]
    for transition, (before, after) in zip(
        plan.history, zip(states, states[1:], strict=False), strict=True
    ):
        assert transition.before is before and after in TRANSITIONS[before]
        if after in {PlanState.APPROVED, PlanState.AUTO_APPROVED}:
            assert transition.at < plan.expires_at  # never approved once due
    assert Plan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan
