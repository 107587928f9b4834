"""Plans survive a console restart: same plans, same states, approved plans carry on,
and a step that already ran (or was in flight) is never run again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from PySide6.QtCore import QThreadPool

from connectors.audit import AuditLog
from connectors.paths import data_dir
from connectors.plan_store import PlanSnapshot, PlanStore, StoredPlan
from console.plans.controller import PlanController
from console.plans.targets import PLAN_INTERVAL, TargetConfig, TargetRuntime
from console.workers import ErrorNotifier
from models.planning import PlanState
from tests.gui.test_plans_support import WAIT_MS, FakeWallClock, Rig, first_cycle, wait_audit
from tests.gui.test_plans_workspace import close, open_plans


@dataclass
class Console:
    """What a console start needs on disk: the plans file, the pool's state, the audit log."""

    tmp_path: Path
    clock: FakeWallClock

    @property
    def store(self) -> PlanStore:
        return PlanStore(self.tmp_path / "plans.json")

    def start(self, demo_time: float | None = None) -> Rig:
        snapshot = self.store.load()
        if demo_time is None:
            demo_time = snapshot.clocks.get("demo")
        runtime = TargetRuntime(
            TargetConfig(name="demo"),
            wall_clock=self.clock,
            demo_time=demo_time,
            pool_state=self.tmp_path / "pool.json",
        )
        audit = AuditLog(self.tmp_path / "audit.jsonl")
        notifier = ErrorNotifier()
        told: list[tuple[str, str]] = []
        controller = PlanController(
            [runtime],
            QThreadPool(),
            notifier,
            audit,
            lambda kind, message: told.append((kind, message)),
            store=self.store,
            restored=snapshot,
        )
        return Rig(controller, runtime, self.clock, audit, notifier, told)


@pytest.fixture
def console(tmp_path: Path) -> Console:
    return Console(tmp_path, FakeWallClock())


def executed_steps(rig: Rig) -> list[int]:
    return [e.executed["step"] for e in rig.audit.entries() if e.decision == "executed"]


def settle(qtbot, rig: Rig) -> None:
    qtbot.waitUntil(lambda: not rig.controller.busy(), timeout=WAIT_MS)


def test_restart_keeps_the_plans_and_an_executed_step_is_not_run_again(qtbot, console):
    first = console.start()
    plan = first_cycle(qtbot, first)
    assert len(plan.proposal.steps) >= 2
    step1, step2 = plan.proposal.steps[:2]
    first.controller.approve([plan.id])
    first.advance_to(step1.at)
    first.controller.check_due()
    pool = first.runtime.demo.executor
    qtbot.waitUntil(lambda: plan.id not in first.controller._running, timeout=WAIT_MS)
    assert pool.current_capacity() == step1.to_units
    # An operator resizes the pool by hand: re-running step 1 would undo that.
    by_hand = step1.to_units + 1
    pool.set_capacity(by_hand)
    assert first.controller.stop(5.0)

    second = console.start()
    try:
        restored = {p.id: p for p in second.controller.plans}
        assert [p.id for p in second.controller.plans] == [p.id for p in first.controller.plans]
        again = restored[plan.id]
        assert again.state is PlanState.EXECUTING
        assert [t.to_dict() for t in again.history] == [t.to_dict() for t in plan.history]
        assert again.proposal.to_dict() == plan.proposal.to_dict()
        # The demo clock carried on where it stopped, so the plan's times still hold.
        assert abs(second.runtime.clock_seconds() - first.runtime.clock_seconds()) < 1.0
        second.controller.start()
        settle(qtbot, second)
        assert second.runtime.demo.executor.current_capacity() == by_hand
        assert executed_steps(second) == [1]
        # A forecast comes for the chart, but the approved plan is not superseded.
        qtbot.waitUntil(lambda: "demo" in second.controller.cycles, timeout=WAIT_MS)
        assert second.controller.cycles["demo"].plan is None
        assert len(second.controller.plans) == len(first.controller.plans)
        assert again.state is PlanState.EXECUTING

        second.advance_to(step2.at)
        second.controller.check_due()
        qtbot.waitUntil(lambda: executed_steps(second) == [1, 2], timeout=WAIT_MS)
        assert second.runtime.demo.executor.current_capacity() == step2.to_units
    finally:
        assert second.controller.stop(5.0)


@pytest.mark.parametrize("reached", [True, False])
def test_a_step_in_flight_at_shutdown_is_read_back_not_run_again(qtbot, console, reached):
    first = console.start()
    plan = first_cycle(qtbot, first)
    assert first.controller.stop(5.0)
    step = plan.proposal.steps[0]
    plan.approve("alice", first.runtime.now())
    plan.start("executor", step.at)
    pool = first.runtime.demo.executor
    before = pool.current_capacity()
    assert before != step.to_units
    if reached:  # the executor acted, the console died before recording it
        pool.set_capacity(step.to_units)
    # As the file is when the console stops between "in flight" and the result.
    console.store.save(
        PlanSnapshot([StoredPlan(plan, 0, in_flight=0)], {"demo": step.at.timestamp() + 1})
    )

    second = console.start()
    try:
        second.controller.start()
        again = second.controller.plans[0]
        settle(qtbot, second)
        if reached:
            assert again.state is PlanState.EXECUTING
            assert second.controller._steps_done[plan.id] == 1
            entry = [e for e in second.audit.entries() if e.decision == "executed"][0]
            assert "not run again" in entry.result["detail"]
            assert entry.executed["step"] == 1
        else:
            assert again.state is PlanState.FAILED
            assert "interrupted by a restart" in again.history[-1].reason
            assert second.runtime.demo.executor.current_capacity() == before
            assert [t[0] for t in second.told].count("Plan failed") == 1
            wait_audit(qtbot, second, "failed")
    finally:
        assert second.controller.stop(5.0)
    assert PlanStore(console.store.path).load().plans[0].in_flight is None


def test_a_plan_that_came_due_while_closed_expires_on_load_and_is_audited(qtbot, console):
    first = console.start()
    plan = first_cycle(qtbot, first)
    assert first.controller.stop(5.0)

    late = plan.proposal.steps[0].at + pd.Timedelta(minutes=1)
    second = console.start(demo_time=late.timestamp())
    try:
        again = second.controller.plans[0]
        assert again.state is PlanState.PROPOSED
        second.controller.start()
        assert again.state is PlanState.EXPIRED
        assert again.history[-1].actor == "planner"
        wait_audit(qtbot, second, "expired")
        expired = [e for e in second.audit.entries() if e.decision == "expired"][0]
        assert expired.plan["id"] == plan.id
    finally:
        assert second.controller.stop(5.0)


def test_an_approved_plan_whose_step_is_long_overdue_expires_instead_of_running(qtbot, console):
    first = console.start()
    plan = first_cycle(qtbot, first)
    first.controller.approve([plan.id])
    capacity = first.runtime.demo.executor.current_capacity()
    assert first.controller.stop(5.0)

    # Closed for two plan intervals past the first step: its forecast is hours old.
    late = plan.proposal.steps[0].at + 2 * PLAN_INTERVAL
    second = console.start(demo_time=late.timestamp())
    try:
        again = second.controller.plans[0]
        assert again.state is PlanState.APPROVED
        second.controller.start()
        assert again.state is PlanState.EXPIRED
        assert "late: not run on an old forecast" in again.history[-1].reason
        wait_audit(qtbot, second, "expired")
        settle(qtbot, second)
        assert executed_steps(second) == []
        assert second.runtime.demo.executor.current_capacity() == capacity
        assert [kind for kind, _ in second.told].count("Plan expired") == 1
        # A fresh forecast plans again from today's capacity.
        qtbot.waitUntil(lambda: "demo" in second.controller.cycles, timeout=WAIT_MS)
        fresh = second.controller.cycles["demo"].plan
        assert fresh is None or fresh.proposal.current == capacity
    finally:
        assert second.controller.stop(5.0)


def test_the_workspace_shows_the_same_plans_after_a_restart(qtbot):
    host, workspace = open_plans(qtbot)
    try:
        workspace.controller.start()
        qtbot.waitUntil(lambda: workspace.model.rowCount() == 1, timeout=WAIT_MS)
        workspace.list.selectRow(0)
        workspace.approve_button.click()
        approved = workspace.model.plans[0]
        assert approved.state is PlanState.APPROVED
    finally:
        close(host, workspace)
    assert (data_dir() / "plans.json").exists()

    host, workspace = open_plans(qtbot)
    try:
        shown = workspace.model.plans
        assert [(p.id, p.state) for p in shown] == [(approved.id, PlanState.APPROVED)]
    finally:
        close(host, workspace)


def test_a_corrupt_plans_file_is_reported_and_kept(qtbot):
    path = data_dir() / "plans.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"schema": 1, "plans": [')
    host, workspace = open_plans(qtbot)
    try:
        qtbot.waitUntil(lambda: bool(host.notifier.history), timeout=WAIT_MS)
        source, message, _ = host.notifier.history[0]
        assert source == "Plans" and str(path) in message and "kept as" in message
        kept = list(path.parent.glob("plans.corrupt-*.json"))
        assert len(kept) == 1 and kept[0].read_text() == '{"schema": 1, "plans": ['
        assert workspace.model.rowCount() == 0
    finally:
        close(host, workspace)
