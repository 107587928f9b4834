"""The plan loop against the demo's LocalPool: propose, approve/reject, auto-approve,
supersede, execute at the step time, audit."""

from __future__ import annotations

import pytest

from connectors.audit_verify import verify_log
from console.plans.targets import TargetConfig
from models.planning import AutoApprovePolicy, PlanState, TargetMode
from tests.gui.test_plans_support import WAIT_MS, first_cycle, make_rig, wait_audit


@pytest.fixture
def rig(qtbot, tmp_path):
    rig = make_rig(qtbot, tmp_path, TargetConfig(name="demo"))
    yield rig
    assert rig.controller.stop(5.0)


def test_demo_proposes_a_pending_plan_that_scales_for_the_forecast(qtbot, rig):
    plan = first_cycle(qtbot, rig)
    assert plan.state is PlanState.PROPOSED
    assert plan.proposal.steps, "the demo starts undersized for the day: a plan must act"
    # Proposed in the future, with time to decide: nothing is due yet.
    assert plan.proposal.first_step_at > rig.runtime.now()
    assert rig.told and rig.told[0][0] == "Plan needs approval"
    wait_audit(qtbot, rig, "proposed")


def test_approve_executes_at_step_time_and_audits_a_verified_chain(qtbot, rig):
    plan = first_cycle(qtbot, rig)
    pool = rig.runtime.demo.executor
    before = pool.current_capacity()
    assert rig.controller.approve([plan.id]) == []
    rig.controller.check_due()
    assert pool.current_capacity() == before, "nothing may run before the step is due"

    first = plan.proposal.steps[0]
    rig.advance_to(first.at)
    rig.controller.check_due()
    # The pool changes in the worker before the controller hears of it: wait for both,
    # or the next step finds the first still running and is skipped.
    qtbot.waitUntil(lambda: plan.id not in rig.controller._running, timeout=WAIT_MS)
    assert pool.current_capacity() == first.to_units
    assert plan.state is PlanState.EXECUTING

    for step in plan.proposal.steps[1:]:  # each step at its time, like the 1 s timer
        rig.advance_to(step.at)
        rig.controller.check_due()
        qtbot.waitUntil(lambda: plan.id not in rig.controller._running, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: plan.state is PlanState.DONE, timeout=WAIT_MS)
    assert pool.current_capacity() == plan.proposal.steps[-1].to_units
    wait_audit(qtbot, rig, "done")
    decisions = rig.decisions()
    assert decisions[:2] == ["proposed", "approved"]
    assert decisions.count("executed") == len(plan.proposal.steps)
    entries = list(rig.audit.entries())
    executed = [e for e in entries if e.decision == "executed"]
    assert executed[0].result["verified"] == first.to_units
    assert all(e.plan["id"] == plan.id for e in entries)
    assert verify_log(rig.audit).intact


def test_reject_records_the_rejection_and_never_scales(qtbot, rig):
    plan = first_cycle(qtbot, rig)
    before = rig.runtime.demo.executor.current_capacity()
    rig.controller.reject([plan.id], "not during the sale")
    assert plan.state is PlanState.REJECTED
    wait_audit(qtbot, rig, "rejected")
    rig.advance_to(plan.proposal.steps[0].at)
    rig.controller.check_due()
    assert rig.runtime.demo.executor.current_capacity() == before
    rejected = [e for e in rig.audit.entries() if e.decision == "rejected"][0]
    assert rejected.result == {"reason": "not during the sale"}


def test_an_undecided_plan_expires_when_its_first_step_is_due(qtbot, rig):
    plan = first_cycle(qtbot, rig)
    rig.advance_to(plan.proposal.steps[0].at)
    with qtbot.waitSignal(rig.controller.cycle_done, timeout=WAIT_MS):
        rig.controller.check_due()  # expires, then re-plans at once
    assert plan.state is PlanState.EXPIRED
    assert rig.controller.plans[-1].state is PlanState.PROPOSED
    wait_audit(qtbot, rig, "expired")


def test_a_newer_forecast_supersedes_the_pending_plan(qtbot, rig):
    older = first_cycle(qtbot, rig)
    with qtbot.assertNotEmitted(rig.controller.cycle_done, wait=300):
        rig.controller.run_scheduled()  # one cycle per plan interval (30 s at 60x): not yet
    assert rig.controller.plans == [older]
    newer = first_cycle(qtbot, rig)
    assert newer is not older
    assert older.state is PlanState.SUPERSEDED and older.superseded_by == newer.id
    assert newer.state is PlanState.PROPOSED
    wait_audit(qtbot, rig, "superseded")


@pytest.mark.parametrize(("max_step", "approved"), [(20, True), (1, False)])
def test_auto_approve_only_inside_the_policy(qtbot, tmp_path, max_step, approved):
    config = TargetConfig(
        name="demo",
        mode=TargetMode.AUTO_APPROVE,
        policy=AutoApprovePolicy(max_step_units=max_step),
    )
    rig = make_rig(qtbot, tmp_path, config)
    try:
        plan = first_cycle(qtbot, rig)
        # The planner's own limit is 2 units per step: 20 lets it through, 1 does not.
        assert plan.proposal.largest_step == 2
        if approved:
            assert plan.state is PlanState.AUTO_APPROVED
            assert rig.told[-1][0] == "Plan auto-approved"
            wait_audit(qtbot, rig, "auto_approved")
            rig.advance_to(plan.proposal.steps[0].at)
            rig.controller.check_due()
            pool = rig.runtime.demo.executor
            first = plan.proposal.steps[0].to_units
            qtbot.waitUntil(lambda: pool.current_capacity() == first, timeout=WAIT_MS)
        else:
            assert plan.state is PlanState.PROPOSED
            assert rig.told[-1][0] == "Plan needs approval"
    finally:
        assert rig.controller.stop(5.0)
