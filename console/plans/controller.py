"""The plan engine loop: forecast -> plan -> propose -> policy -> execute -> audit.

Heavy work runs in workers: a forecast cycle per target on the shared pool (one at a
time per target, a newer request supersedes the older), and audit writes plus scaling
actions on a one-thread pool so the log records decisions in the order they were made.
Plan state lives on the GUI thread; workers get snapshots (``plan.to_dict()``).

A target with an approved or executing plan is not re-planned until that plan ends:
the operator's decision is not superseded behind their back. A failed step fails the
plan with the reason and notifies once; nothing is retried.

With a :class:`PlanStore`, every change is saved (in the serial worker, after the audit
entries queued before it) and a restart resumes from the saved plans: undecided plans
that came due while the console was closed expire (audited), approved ones run their
due steps — unless a step is more than ``LATE_STEP_GRACE`` overdue: then the plan
expires, the operator is told, and a fresh forecast proposes from today's capacity
(stepping through hours-old capacities one after another would follow a stale
forecast). A step is marked "in flight" on disk before the executor is called; after
a restart such a step is never run again: its capacity is read back instead, and a
mismatch fails the plan with the reason.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pandas as pd
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from connectors.audit import AuditLog, current_user
from connectors.plan_store import PlanSnapshot, PlanStore, StoredPlan
from connectors.scaling.base import ExecutionError, ExecutionResult, ScalingExecutor
from console.plans.targets import PLAN_INTERVAL, TargetRuntime
from console.workers import CancelToken, ErrorNotifier, LatestOnlyRunner, Task
from models.forecast import FAST_CANDIDATES, AutoForecaster, Forecast
from models.planning import (
    IllegalTransition,
    Plan,
    PlanState,
    RightsizingSuggestion,
    plan_capacity,
    propose,
    rightsize,
    supersede_pending,
)
from models.planning.adaptive import calibrated_forecast, margin_from_backtest
from models.planning.anomaly_hold import open_incidents
from models.planning.hourly import history_backtest, hourly_from_backtest

MIN_CYCLE_S = 10.0  # at 360x a plan interval is 5 s of wall time: too busy to read
HORIZON = 12  # plan intervals (6 hours of target time)
RIGHTSIZING_DAYS = 14.0  # history the rightsizing peak is taken over
# A step later than this came due while the console was not running: its plan expires.
LATE_STEP_GRACE = PLAN_INTERVAL
ACTING = (PlanState.APPROVED, PlanState.AUTO_APPROVED, PlanState.EXECUTING)


@dataclass(frozen=True)
class CycleResult:
    target: str
    history: pd.DataFrame  # demand and capacity per interval
    forecast: Forecast
    plan: Plan | None
    now: pd.Timestamp
    rightsizing: RightsizingSuggestion | None = None  # from the same history


def forecast_and_plan(runtime: TargetRuntime, token: CancelToken) -> CycleResult:
    """One cycle for one target (worker thread): history, forecast, plan, proposal."""
    history = runtime.history()
    if token.cancelled:
        raise RuntimeError("cancelled")
    current = runtime.executor.current_capacity()
    model = AutoForecaster(candidates=FAST_CANDIDATES).fit(history["demand"])
    now = runtime.now()
    forecast = future_only(model.predict(HORIZON + 3), now + PLAN_INTERVAL, HORIZON)
    # The band is calibrated over the whole day; raise it where past forecasts at that
    # hour of day fell short by more (a nightly job), as the replay's policy does.
    # The margin widens while recent forecasts missed their bound more often than its
    # level allows. Both are learnt from a backtest of the target's recent history.
    settings = runtime.config.planner
    backtest = history_backtest(
        history["demand"], HORIZON + 3, settings.level, cancelled=lambda: token.cancelled
    )
    forecast = calibrated_forecast(
        forecast,
        settings.level,
        hourly_from_backtest(backtest, settings.level),
        margin_from_backtest(backtest, settings.level),
    )
    target = runtime.scalable_target(current)
    holding = open_incidents(history["demand"], target.metric, target.name)
    proposal = plan_capacity(target, forecast, settings, now=now, incidents=holding)
    smaller = rightsize(target, history["demand"], days=RIGHTSIZING_DAYS, now=now)
    return CycleResult(runtime.name, history, forecast, propose(target, proposal), now, smaller)


def future_only(forecast: Forecast, after: pd.Timestamp, horizon: int) -> Forecast:
    """The forecast from the first interval after ``after``: history ends with the last
    *complete* interval, and a step due in the past would expire before anyone saw it.
    One interval of lead gives the operator time to decide (30 s of wall time at 60x)."""
    keep = np.flatnonzero(forecast.timestamps > after)[:horizon]
    return Forecast(
        timestamps=forecast.timestamps[keep],
        mean=np.asarray(forecast.mean)[keep],
        lower={level: np.asarray(v)[keep] for level, v in forecast.lower.items()},
        upper={level: np.asarray(v)[keep] for level, v in forecast.upper.items()},
        model=forecast.model,
        details=dict(forecast.details),
    )


class PlanController(QObject):
    plans_changed = Signal()
    cycle_done = Signal(str)  # target name: a new forecast is available
    cycle_failed = Signal(str, str)  # target name, why no forecast (e.g. no metric data yet)
    busy_changed = Signal(str, bool)  # target, running
    notified = Signal(str, str)  # kind (needs approval / auto-approved / failed), message

    def __init__(
        self,
        runtimes: list[TargetRuntime],
        pool: QThreadPool,
        notifier: ErrorNotifier,
        audit: AuditLog | None = None,
        notify: Callable[[str, str], None] | None = None,
        check_interval_s: float = 5.0,
        parent: QObject | None = None,
        store: PlanStore | None = None,
        restored: PlanSnapshot | None = None,
    ) -> None:
        super().__init__(parent)
        self.runtimes = {runtime.name: runtime for runtime in runtimes}
        self.pool = pool
        self.notifier = notifier
        self.audit = audit or AuditLog()
        self._notify = notify
        self.user = current_user()
        self.plans: list[Plan] = []
        self.cycles: dict[str, CycleResult] = {}
        self.cycle_errors: dict[str, str] = {}  # target -> why its last cycle failed
        self._runners: dict[str, LatestOnlyRunner] = {}
        self._steps_done: dict[str, int] = {}  # plan id -> steps executed
        self._running: set[str] = set()  # plan ids with a step in flight
        self._serial = QThreadPool(self)
        self._serial.setMaxThreadCount(1)  # audit order == decision order
        self._serial_tasks: dict[int, Task] = {}
        self.cycle_timer = QTimer(self)
        self.cycle_timer.setInterval(int(check_interval_s * 1000))
        self.cycle_timer.timeout.connect(self.run_scheduled)
        self._last_cycle: dict[str, float] = {}  # target -> monotonic time of its last cycle
        self.held: set[str] = set()  # targets whose execution failed: no auto-approval
        self.due_timer = QTimer(self)
        self.due_timer.setInterval(1000)
        self.due_timer.timeout.connect(self.check_due)
        self.store = store
        self._in_flight: dict[str, int] = {}  # plan id -> step index given to the executor
        self._interrupted: dict[str, int] = {}  # restored in-flight steps, to verify once
        self._store_failed = False
        if restored is not None:
            self._adopt(restored)
        self.plans_changed.connect(self._persist)

    # -- schedule ------------------------------------------------------------------------

    def start(self) -> None:
        self._verify_interrupted()
        self.check_due()  # plans restored from disk: expire or run what came due meanwhile
        self.run_cycle(even_if_acting=True)
        self.cycle_timer.start()
        self.due_timer.start()

    def stop(self, timeout_s: float = 5.0) -> bool:
        self.cycle_timer.stop()
        self.due_timer.stop()
        self._persist()  # the demo clocks as they are now, for the next start
        ok = all(runner.wait(timeout_s) for runner in self._runners.values())
        return self._serial.waitForDone(int(timeout_s * 1000)) and ok

    def set_runtime(self, runtime: TargetRuntime) -> None:
        """Replace a target's runtime (mode, policy or speed edited), then re-plan it."""
        self.runtimes[runtime.name] = runtime
        self.held.discard(runtime.name)  # the operator looked at the target again
        self.run_cycle(runtime.name)

    def run_scheduled(self) -> None:
        """Re-plan each target once per plan interval of its own time (30 s at 60x)."""
        now = time.monotonic()
        for name, runtime in self.runtimes.items():
            period = max(MIN_CYCLE_S, PLAN_INTERVAL.total_seconds() / runtime.speed)
            if now - self._last_cycle.get(name, -math.inf) >= period:
                self.run_cycle(name)

    def resume(self, target: str) -> None:
        """The operator asked for a new forecast: lift a failure hold and re-plan."""
        self.held.discard(target)
        self.run_cycle(target)

    def run_cycle(self, target: str | None = None, even_if_acting: bool = False) -> None:
        """Forecast and plan ``target`` (all targets when None), each in a worker.

        ``even_if_acting`` forecasts a target whose plan is running too (for its chart,
        after a restart); the proposal is then dropped, see :meth:`_on_cycle`."""
        for name in [target] if target else list(self.runtimes):
            runtime = self.runtimes[name]
            if self._acting_plan(name) is not None and not even_if_acting:
                continue  # a decided plan is running its course
            runner = self._runners.get(name)
            if runner is None:
                runner = LatestOnlyRunner(self.pool, f"plan {name}", self)
                runner.result.connect(self._on_cycle)
                runner.error.connect(
                    lambda message, details, n=name: self._on_cycle_error(n, message, details)
                )
                self._runners[name] = runner
            self._last_cycle[name] = time.monotonic()
            runner.submit(lambda token, r=runtime: forecast_and_plan(r, token))
            self.busy_changed.emit(name, True)

    def busy(self) -> bool:
        return any(r.busy for r in self._runners.values()) or bool(self._serial.activeThreadCount())

    # -- decisions -----------------------------------------------------------------------

    def _on_cycle(self, result: CycleResult) -> None:
        self.busy_changed.emit(result.target, False)
        runtime = self.runtimes.get(result.target)
        if runtime is None:
            return
        if result.plan is not None and self._acting_plan(result.target) is not None:
            # Approved while this forecast ran (or a restart's chart-only cycle): the
            # decided plan stands; the forecast is still shown.
            result = replace(result, plan=None)
        self.cycles[result.target] = result
        self.cycle_errors.pop(result.target, None)
        plan = result.plan
        if plan is not None:
            for older in supersede_pending(self.plans, plan, result.now):
                self._record("superseded", older)
            self.plans.append(plan)
            self._record("proposed", plan)
            self._apply_policy(plan, runtime, result.now)
        self.plans_changed.emit()
        self.cycle_done.emit(result.target)

    def _on_cycle_error(self, target: str, message: str, details: str) -> None:
        self.busy_changed.emit(target, False)
        self.cycle_errors[target] = message
        self.notifier.report(f"Plans: {target}", message, details)
        self.cycle_failed.emit(target, message)

    def _apply_policy(self, plan: Plan, runtime: TargetRuntime, now: pd.Timestamp) -> None:
        if not plan.executable or not plan.proposal.steps:
            return  # forecast-only, or nothing to do
        decision = runtime.config.policy.evaluate(
            plan, runtime.scalable_target(plan.proposal.current), now
        )
        if decision.approved and plan.target in self.held:
            self._tell(
                "Plan needs approval",
                f"{plan.target}: {summary(plan)} (auto-approval paused after a failure)",
            )
        elif decision.approved:
            plan.auto_approve(now, decision.reasons)
            self._record("auto_approved", plan, result={"reasons": decision.reasons})
            self._tell("Plan auto-approved", f"{plan.target}: {summary(plan)}")
        else:
            self._tell("Plan needs approval", f"{plan.target}: {summary(plan)}")

    def approve(self, plan_ids: list[str], reason: str = "") -> list[str]:
        """Approve plans by id; returns the ids that could not be (with a report each)."""
        return self._decide(plan_ids, "approved", reason)

    def reject(self, plan_ids: list[str], reason: str = "") -> list[str]:
        return self._decide(plan_ids, "rejected", reason)

    def _decide(self, plan_ids: list[str], decision: str, reason: str) -> list[str]:
        refused = []
        for plan in [p for p in self.plans if p.id in plan_ids]:
            now = self.runtimes[plan.target].now()
            try:
                if decision == "approved":
                    plan.approve(self.user, now, reason)
                else:
                    plan.reject(self.user, now, reason)
            except IllegalTransition as error:
                refused.append(plan.id)
                self.notifier.report("Plans", str(error))
                continue
            self._record(decision, plan, result={"reason": reason} if reason else None)
        self.plans_changed.emit()
        if decision == "approved":
            self.check_due()  # a step may already be due
        return refused

    # -- execution -----------------------------------------------------------------------

    def check_due(self) -> None:
        """Expire undecided plans whose first step is due; run due steps of approved ones."""
        changed = False
        for plan in list(self.plans):
            runtime = self.runtimes.get(plan.target)
            if runtime is None or plan.is_terminal:
                continue
            now = runtime.now()
            if plan.expire_if_due(now):
                self._record("expired", plan)
                changed = True
                self.run_cycle(plan.target)
                continue
            if plan.state in ACTING and plan.id not in self._running:
                changed = self._run_due_step(plan, runtime, now) or changed
        if changed:
            self.plans_changed.emit()

    def _run_due_step(self, plan: Plan, runtime: TargetRuntime, now: pd.Timestamp) -> bool:
        done = self._steps_done.get(plan.id, 0)
        steps = plan.proposal.steps
        if done >= len(steps) and plan.state is PlanState.EXECUTING:
            # Restored after its last step was confirmed but before the plan was closed.
            plan.finish("executor", now, f"{done} step(s) applied")
            self._record("done", plan)
            return True
        if done >= len(steps) or steps[done].at > now:
            return False
        if now - steps[done].at > LATE_STEP_GRACE:
            plan.expire_late(done, now)
            self._record("expired", plan)
            self._tell("Plan expired", f"{plan.target}: {plan.history[-1].reason}")
            self.run_cycle(plan.target)
            return True
        if plan.state is not PlanState.EXECUTING:
            plan.start("executor", now, f"step 1 of {len(steps)} due at {steps[0].at}")
        step = steps[done]
        self._running.add(plan.id)
        executor = runtime.executor
        snapshot = plan.to_dict()
        executed = {"step": done + 1, "at": step.at.isoformat(), "to_units": step.to_units}
        audit, user = self.audit, self.user

        def job(_token: CancelToken) -> ExecutionResult:
            result = executor.set_capacity(step.to_units)  # ExecutionError: plan fails
            audit.append("executed", snapshot, executed, _result_dict(result), user=user)
            return result

        self._in_flight[plan.id] = done
        self._persist()  # queued first: on disk before the executor is called
        self._start_step_task(plan, job, executed)
        return True

    def _start_step_task(
        self,
        plan: Plan,
        job: Callable[[CancelToken], ExecutionResult],
        executed: dict[str, object],
    ) -> None:
        task = self._serial_task(job, f"execute {plan.target}")
        task.signals.succeeded.connect(lambda _i, result, p=plan: self._on_step_done(p, result))
        task.signals.failed.connect(
            lambda _i, message, _d, p=plan, e=executed: self._on_step_failed(p, e, message)
        )
        self._serial.start(task)

    def _on_step_done(self, plan: Plan, result: ExecutionResult) -> None:
        self._running.discard(plan.id)
        self._in_flight.pop(plan.id, None)
        done = self._steps_done.get(plan.id, 0) + 1
        self._steps_done[plan.id] = done
        if done >= len(plan.proposal.steps):
            plan.finish("executor", self.runtimes[plan.target].now(), f"{done} step(s) applied")
            self._record("done", plan, result=_result_dict(result))
        self.plans_changed.emit()
        if plan.is_terminal:
            self.run_cycle(plan.target)  # the next forecast starts from the new capacity

    def _on_step_failed(self, plan: Plan, executed: dict[str, object], message: str) -> None:
        self._running.discard(plan.id)
        self._in_flight.pop(plan.id, None)
        plan.fail("executor", self.runtimes[plan.target].now(), message)
        self.held.add(plan.target)  # no silent retry through the next auto-approved plan
        self._record("failed", plan, executed, {"reason": message})
        self.plans_changed.emit()
        self._tell("Plan failed", f"{plan.target}: {message}")

    # -- persistence ---------------------------------------------------------------------

    def _adopt(self, restored: PlanSnapshot) -> None:
        """Take over the plans saved by an earlier run (before start: no signal yet)."""
        known = set(self.runtimes)
        for stored in restored.plans:
            self.plans.append(stored.plan)
            self._steps_done[stored.plan.id] = stored.steps_done
            plan = stored.plan
            if stored.in_flight is not None and not plan.is_terminal and plan.target in known:
                self._interrupted[plan.id] = stored.in_flight
                self._running.add(plan.id)  # no new step until it is verified

    def _verify_interrupted(self) -> None:
        """A step in flight when the console stopped is read back, never run again."""
        for plan in [p for p in self.plans if p.id in self._interrupted]:
            index = self._interrupted.pop(plan.id)
            step = plan.proposal.steps[index]
            executed = {"step": index + 1, "at": step.at.isoformat(), "to_units": step.to_units}
            job = partial(
                confirm_interrupted_step,
                self.runtimes[plan.target].executor,
                step.to_units,
                executed,
                plan.to_dict(),
                self.audit,
                self.user,
            )
            self._in_flight[plan.id] = index
            self._start_step_task(plan, job, executed)

    def snapshot(self) -> PlanSnapshot:
        """What a restart needs: plans, executed steps, steps in flight, the demo clocks."""
        stored = [
            StoredPlan(p, self._steps_done.get(p.id, 0), self._in_flight.get(p.id))
            for p in self.plans
        ]
        return PlanSnapshot(stored, {n: r.clock_seconds() for n, r in self.runtimes.items()})

    def _persist(self) -> None:
        """Save all plans in the serial worker (queued after the audit entries before it)."""
        if self.store is None:
            return
        store = self.store
        payload = store.payload(self.snapshot())  # plain data: plans belong to this thread
        task = self._serial_task(lambda _t: store.write(payload), "save plans")
        task.signals.succeeded.connect(lambda _i, _r: setattr(self, "_store_failed", False))
        task.signals.failed.connect(self._on_store_failed)
        self._serial.start(task)

    def _on_store_failed(self, _task_id: int, message: str, details: str) -> None:
        if not self._store_failed:  # once until a save works again, not on every change
            self._store_failed = True
            self.notifier.report("Plans", message, details)

    # -- helpers -------------------------------------------------------------------------

    def _acting_plan(self, target: str) -> Plan | None:
        return next((p for p in self.plans if p.target == target and p.state in ACTING), None)

    def _record(
        self, decision: str, plan: Plan, executed: object = None, result: object = None
    ) -> None:
        """Append to the audit log in the serial worker (fsync is I/O: not on the GUI thread)."""
        snapshot, audit, user = plan.to_dict(), self.audit, self.user
        task = self._serial_task(
            lambda _t: audit.append(decision, snapshot, executed, result, user=user),
            f"audit {decision}",
        )
        task.signals.failed.connect(
            lambda _i, message, details: self.notifier.report("Audit log", message, details)
        )
        self._serial.start(task)

    def _serial_task(self, job: Callable[[CancelToken], object], name: str) -> Task:
        task = Task(job, name)
        task.signals.finished.connect(lambda task_id: self._serial_tasks.pop(task_id, None))
        self._serial_tasks[task.id] = task
        return task

    def _tell(self, kind: str, message: str) -> None:
        self.notified.emit(kind, message)
        if self._notify is not None:
            self._notify(kind, message)


def confirm_interrupted_step(
    executor: ScalingExecutor,
    to_units: int,
    executed: dict[str, object],
    snapshot: dict[str, object],
    audit: AuditLog,
    user: str,
    _token: CancelToken,
) -> ExecutionResult:
    """Worker: count a step cut off by a restart as done only if the capacity shows it."""
    current = executor.current_capacity()
    if current != to_units:
        raise ExecutionError(
            executor.target,
            f"step {executed['step']} was interrupted by a restart and the capacity is "
            f"{current}, not {to_units}; not run again — check the target",
        )
    detail = f"interrupted by a restart; read back {current}, not run again"
    result = ExecutionResult(executor.target, to_units, current, current, detail)
    audit.append("executed", snapshot, executed, _result_dict(result), user=user)
    return result


def summary(plan: Plan) -> str:
    steps = plan.proposal.steps
    if not steps:
        return "no change needed"
    first = steps[0]
    change = plan.proposal.cost.change_vs_current
    return (
        f"{len(steps)} step(s), first {first.from_units}->{first.to_units} units at "
        f"{first.at:%H:%M}, {'+' if change >= 0 else '-'}${abs(change):.2f} over the horizon"
    )


def _result_dict(result: ExecutionResult) -> dict[str, object]:
    return {
        "target": result.target,
        "requested": result.requested,
        "previous": result.previous,
        "verified": result.verified,
        "detail": result.detail,
    }
