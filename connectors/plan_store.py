"""Scaling plans on disk, so a console restart shows the same plans in the same states.

One JSON file (``plans.json`` under the data directory), rewritten whole on each save:
written to a temporary file, fsync-ed, then renamed over the old one, so a crash leaves
either the previous file or the new one, never half of one. The layout::

    {"schema": 1, "saved_at": "...Z",
     "clocks": {"demo": 1795000000.0},           # a target's own time when saved
     "plans": [{"plan": Plan.to_dict(), "steps_done": 2, "in_flight": null | 2}, ...]}

``steps_done`` counts the steps whose execution was confirmed; ``in_flight`` is the index
of a step handed to the executor but not yet confirmed when the file was written. After a
restart such a step is *not* run again: the caller checks the capacity instead.

A file that cannot be read or understood is moved aside (``plans.corrupt-<time>.json``)
and :class:`PlanStoreCorrupt` names both paths; it is never overwritten silently. Plans
carry no secrets (the audit log refuses them too), so nothing here needs the keyring.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from connectors.paths import data_dir
from models.planning import Plan

SCHEMA = 1
PLANS_FILE = "plans.json"
KEEP_FINISHED = 50  # finished plans kept for display; the audit log keeps them all


class PlanStoreError(Exception):
    """The plans file cannot be written (or read and moved aside)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class PlanStoreCorrupt(PlanStoreError):
    """The plans file could not be loaded; ``kept_as`` is where the original now is."""

    def __init__(self, path: Path, reason: str, kept_as: Path | None) -> None:
        where = f"kept as {kept_as}" if kept_as else "left in place and not overwritten"
        super().__init__(path, f"cannot load saved plans ({reason}); {where}")
        self.reason = reason
        self.kept_as = kept_as


@dataclass
class StoredPlan:
    plan: Plan
    steps_done: int = 0
    in_flight: int | None = None  # step index given to the executor, not yet confirmed

    def to_dict(self) -> dict[str, object]:
        return {
            "plan": self.plan.to_dict(),
            "steps_done": self.steps_done,
            "in_flight": self.in_flight,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> StoredPlan:
        plan = Plan.from_dict(data["plan"])  # type: ignore[arg-type]
        done = int(data.get("steps_done", 0))  # type: ignore[arg-type]
        in_flight = data.get("in_flight")
        steps = len(plan.proposal.steps)
        if not 0 <= done <= steps:
            raise ValueError(f"plan {plan.id}: steps_done {done} is out of range")
        if in_flight is not None and not 0 <= int(in_flight) < steps:  # type: ignore[call-overload]
            raise ValueError(f"plan {plan.id}: step in flight {in_flight} is out of range")
        return cls(plan, done, None if in_flight is None else int(in_flight))  # type: ignore[call-overload]


@dataclass
class PlanSnapshot:
    plans: list[StoredPlan] = field(default_factory=list)
    clocks: dict[str, float] = field(default_factory=dict)  # target -> its own epoch time


def default_plans_path() -> Path:
    return data_dir() / PLANS_FILE


class PlanStore:
    """Load and save :class:`PlanSnapshot` at ``path`` (default under the data directory).

    ``save`` is meant for one writer thread at a time (the controller's serial worker).
    """

    def __init__(self, path: Path | None = None, keep_finished: int = KEEP_FINISHED) -> None:
        self.path = Path(path) if path is not None else default_plans_path()
        self.keep_finished = keep_finished
        self._blocked = False  # an unreadable file could not be moved aside: never overwrite it
        self._finished: dict[str, dict[str, object]] = {}  # plan id -> its dict, once terminal

    def load(self) -> PlanSnapshot:
        """The saved plans (none when there is no file); PlanStoreCorrupt if unreadable."""
        if not self.path.exists():
            return PlanSnapshot()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            if data.get("schema") != SCHEMA:
                raise ValueError(f"schema {data.get('schema')!r}, expected {SCHEMA}")
            plans = [StoredPlan.from_dict(item) for item in data["plans"]]
            clocks = {str(k): float(v) for k, v in dict(data.get("clocks") or {}).items()}
        except OSError as error:
            raise self._set_aside(f"cannot read: {error.strerror}") from None
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise self._set_aside(f"invalid: {error}") from None
        return PlanSnapshot(plans, clocks)

    def save(self, snapshot: PlanSnapshot) -> None:
        """Write ``snapshot`` atomically; PlanStoreError when it cannot be written."""
        self.write(self.payload(snapshot))

    def payload(self, snapshot: PlanSnapshot) -> dict[str, object]:
        """The file's content as plain data (take it on the thread that owns the plans)."""
        return {
            "schema": SCHEMA,
            "saved_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "clocks": dict(snapshot.clocks),
            "plans": [self._as_dict(stored) for stored in self._pruned(snapshot.plans)],
        }

    def _as_dict(self, stored: StoredPlan) -> dict[str, object]:
        # A finished plan never changes again: convert it once, not on every save.
        if not stored.plan.is_terminal:
            return stored.to_dict()
        cached = self._finished.get(stored.plan.id)
        if cached is None:
            cached = self._finished[stored.plan.id] = stored.to_dict()
        return cached

    def write(self, payload: dict[str, object]) -> None:
        """Write a :meth:`payload` atomically (any thread, one writer at a time)."""
        if self._blocked:
            raise PlanStoreError(self.path, "not saved: the unreadable file there is kept")
        text = json.dumps(payload, separators=(",", ":"), allow_nan=False)
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())  # the rename must not publish unwritten data
            os.replace(temporary, self.path)
        except OSError as error:
            raise PlanStoreError(self.path, f"cannot write: {error.strerror}") from None

    def _pruned(self, plans: list[StoredPlan]) -> list[StoredPlan]:
        """Every plan still in play, and only the newest finished ones (the file stays small)."""
        finished = [s for s in plans if s.plan.is_terminal]
        dropped = {s.plan.id for s in finished[: max(0, len(finished) - self.keep_finished)]}
        for plan_id in dropped:
            self._finished.pop(plan_id, None)
        return [s for s in plans if s.plan.id not in dropped]

    def _set_aside(self, reason: str) -> PlanStoreCorrupt:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        kept = self.path.with_name(f"{self.path.stem}.corrupt-{stamp}{self.path.suffix}")
        count = 1
        while kept.exists():  # an earlier corrupt copy is evidence too: never replace it
            count += 1
            kept = self.path.with_name(
                f"{self.path.stem}.corrupt-{stamp}-{count}{self.path.suffix}"
            )
        try:
            os.replace(self.path, kept)
        except OSError:
            self._blocked = True
            return PlanStoreCorrupt(self.path, reason, None)
        return PlanStoreCorrupt(self.path, reason, kept)
