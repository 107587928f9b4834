"""A plan's life, as an explicit state machine.

::

    proposed -> approved | rejected | auto_approved | expired | superseded
    approved, auto_approved -> executing | superseded | expired
    executing -> done | failed | expired

Every transition records who, when and why. A plan that is still ``proposed`` when its
first step is due is ``expired`` (a plan without steps never expires: the next forecast
supersedes it), and so is a decided plan whose next step is long overdue (the console
was not running when it came due: its forecast is too old to act on); a newer
forecast ``supersedes`` older plans that have not started executing. Forecast-only
plans are shown, never approved nor executed; only plans of ``auto_approve`` targets
can be auto-approved.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from models.planning.proposal import CapacityPlan
from models.planning.target import ScalableTarget, TargetMode


class PlanState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    AUTO_APPROVED = "auto_approved"
    EXECUTING = "executing"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


S = PlanState
TRANSITIONS: dict[PlanState, frozenset[PlanState]] = {
    S.PROPOSED: frozenset({S.APPROVED, S.REJECTED, S.AUTO_APPROVED, S.EXPIRED, S.SUPERSEDED}),
    S.APPROVED: frozenset({S.EXECUTING, S.SUPERSEDED, S.EXPIRED}),
    S.AUTO_APPROVED: frozenset({S.EXECUTING, S.SUPERSEDED, S.EXPIRED}),
    S.EXECUTING: frozenset({S.DONE, S.FAILED, S.EXPIRED}),
    S.REJECTED: frozenset(),
    S.DONE: frozenset(),
    S.FAILED: frozenset(),
    S.EXPIRED: frozenset(),
    S.SUPERSEDED: frozenset(),
}
# Approving or running a plan means it will change capacity: not for forecast-only targets.
ACTING_STATES = frozenset({S.APPROVED, S.AUTO_APPROVED, S.EXECUTING})
PENDING_STATES = frozenset({S.PROPOSED, S.APPROVED, S.AUTO_APPROVED})


class IllegalTransition(Exception):
    """A transition the state machine does not allow; carries the plan, states and why."""

    def __init__(self, plan_id: str, current: PlanState, wanted: PlanState, reason: str) -> None:
        self.plan_id = plan_id
        self.current = current
        self.wanted = wanted
        self.reason = reason
        super().__init__(f"plan {plan_id}: cannot go from {current} to {wanted}: {reason}")


@dataclass(frozen=True, slots=True)
class Transition:
    before: PlanState
    after: PlanState
    actor: str  # a person's name, or "policy", "planner", "executor"
    at: pd.Timestamp
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {
            "before": self.before.value,
            "after": self.after.value,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Transition:
        return cls(
            PlanState(data["before"]),
            PlanState(data["after"]),
            str(data["actor"]),
            pd.Timestamp(data["at"]),  # type: ignore[arg-type]
            str(data["reason"]),
        )


@dataclass
class Plan:
    """A proposal with an identity, a state and the history of how it got there."""

    proposal: CapacityPlan
    mode: TargetMode  # the target's mode when the plan was proposed
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: PlanState = PlanState.PROPOSED
    history: list[Transition] = field(default_factory=list)
    superseded_by: str | None = None

    def __post_init__(self) -> None:
        self.mode = TargetMode(self.mode)  # accept the plain string from settings
        self.state = PlanState(self.state)

    @property
    def executable(self) -> bool:
        return self.mode in (TargetMode.APPROVAL_REQUIRED, TargetMode.AUTO_APPROVE)

    @property
    def target(self) -> str:
        return self.proposal.target

    @property
    def expires_at(self) -> pd.Timestamp | None:
        """A proposed plan must be decided before its first step is due."""
        return self.proposal.first_step_at

    @property
    def is_terminal(self) -> bool:
        return not TRANSITIONS[self.state]

    def transition(self, to: PlanState, actor: str, at: pd.Timestamp, reason: str = "") -> None:
        """Move to ``to``; raise :class:`IllegalTransition` if the table does not allow it."""
        to = PlanState(to)
        if to not in TRANSITIONS[self.state]:
            raise IllegalTransition(self.id, self.state, to, "not an allowed transition")
        if to in ACTING_STATES and not self.executable:
            raise IllegalTransition(
                self.id, self.state, to, "the target is forecast-only: plans are never executed"
            )
        if to is S.AUTO_APPROVED and self.mode is not TargetMode.AUTO_APPROVE:
            raise IllegalTransition(
                self.id, self.state, to, f"the target's mode is {self.mode}: a person decides"
            )
        if to in ACTING_STATES - {S.EXECUTING} and self.is_due(at):
            raise IllegalTransition(
                self.id, self.state, to, f"its first step was due at {self.expires_at}"
            )
        if not actor.strip():
            raise IllegalTransition(self.id, self.state, to, "a transition needs an actor")
        self.history.append(Transition(self.state, to, actor, pd.Timestamp(at), reason))
        self.state = to

    def is_due(self, now: pd.Timestamp) -> bool:
        return self.expires_at is not None and pd.Timestamp(now) >= self.expires_at

    def approve(self, actor: str, at: pd.Timestamp, reason: str = "") -> None:
        self.transition(S.APPROVED, actor, at, reason)

    def reject(self, actor: str, at: pd.Timestamp, reason: str = "") -> None:
        self.transition(S.REJECTED, actor, at, reason)

    def auto_approve(self, at: pd.Timestamp, reasons: Iterable[str]) -> None:
        self.transition(S.AUTO_APPROVED, "policy", at, "; ".join(reasons))

    def start(self, actor: str, at: pd.Timestamp, reason: str = "") -> None:
        self.transition(S.EXECUTING, actor, at, reason)

    def finish(self, actor: str, at: pd.Timestamp, reason: str = "") -> None:
        self.transition(S.DONE, actor, at, reason)

    def fail(self, actor: str, at: pd.Timestamp, reason: str) -> None:
        self.transition(S.FAILED, actor, at, reason)

    def expire_if_due(self, at: pd.Timestamp) -> bool:
        """Expire a still-proposed plan whose first step is due; True if it expired."""
        if self.state is not S.PROPOSED or not self.is_due(at):
            return False
        self.transition(S.EXPIRED, "planner", at, f"not decided before {self.expires_at}")
        return True

    def expire_late(self, step: int, at: pd.Timestamp) -> None:
        """Expire a decided plan whose step ``step`` (0-based) is too late to run."""
        due = self.proposal.steps[step].at
        self.transition(
            S.EXPIRED,
            "executor",
            at,
            f"step {step + 1} of {len(self.proposal.steps)} was due at {due} and is "
            f"{_duration(pd.Timestamp(at) - due)} late: not run on an old forecast",
        )

    def supersede(self, newer: Plan, at: pd.Timestamp) -> None:
        self.transition(S.SUPERSEDED, "planner", at, f"newer forecast: plan {newer.id}")
        self.superseded_by = newer.id

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready data (the audit log stores it); :meth:`from_dict` reverses it."""
        return {
            "id": self.id,
            "target": self.target,
            "state": self.state.value,
            "mode": self.mode.value,
            "executable": self.executable,
            "superseded_by": self.superseded_by,
            "history": [t.to_dict() for t in self.history],
            "proposal": self.proposal.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Plan:
        return cls(
            proposal=CapacityPlan.from_dict(data["proposal"]),  # type: ignore[arg-type]
            mode=TargetMode(data["mode"]),
            id=str(data["id"]),
            state=PlanState(data["state"]),
            history=[Transition.from_dict(t) for t in data["history"]],  # type: ignore[attr-defined]
            superseded_by=None if data["superseded_by"] is None else str(data["superseded_by"]),
        )


def propose(target: ScalableTarget, proposal: CapacityPlan) -> Plan | None:
    """Wrap a proposal in a plan according to the target's mode (``off``: no plan)."""
    if target.mode is TargetMode.OFF:
        return None
    return Plan(proposal, target.mode)


def supersede_pending(plans: Iterable[Plan], newer: Plan, at: pd.Timestamp) -> list[Plan]:
    """Supersede the older pending plans of ``newer``'s target; return the ones changed."""
    changed = []
    for plan in plans:
        if plan is not newer and plan.target == newer.target and plan.state in PENDING_STATES:
            plan.supersede(newer, at)
            changed.append(plan)
    return changed


def _duration(delta: pd.Timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
