"""Plans on disk: round trip, atomic rewrite, pruning, and a corrupt file kept aside."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from connectors.paths import data_dir
from connectors.plan_store import (
    SCHEMA,
    PlanSnapshot,
    PlanStore,
    PlanStoreCorrupt,
    PlanStoreError,
    StoredPlan,
)
from models.planning import Plan, PlanState, plan_capacity, propose
from tests.planning.builders import START, make_forecast, make_target

RISING = [300.0] * 6 + [900.0] * 18


def new_plan() -> Plan:
    target = make_target(mode="approval_required")
    plan = propose(target, plan_capacity(target, make_forecast(RISING)))
    assert plan is not None and plan.proposal.steps
    return plan


def every_state() -> list[StoredPlan]:
    """One plan in each state a console can leave behind, with its history."""
    at = START - pd.Timedelta(minutes=5)
    pending, approved, executing, done, failed, expired, old = (new_plan() for _ in range(7))
    approved.approve("alice", at, "sale")
    executing.approve("alice", at)
    executing.start("executor", at)
    done.approve("bob", at)
    done.start("executor", at)
    done.finish("executor", at)
    failed.approve("bob", at)
    failed.start("executor", at)
    failed.fail("executor", at, "asg:web: throttled")
    expired.expire_if_due(expired.proposal.steps[0].at)
    superseded = new_plan()
    old.supersede(superseded, at)
    return [
        StoredPlan(pending),
        StoredPlan(approved),
        StoredPlan(executing, steps_done=1, in_flight=1),
        StoredPlan(done, steps_done=len(done.proposal.steps)),
        StoredPlan(failed, steps_done=0),
        StoredPlan(expired),
        StoredPlan(old),
        StoredPlan(superseded),
    ]


def test_round_trip_keeps_plans_states_steps_and_clocks() -> None:
    store = PlanStore()
    assert store.path.parent == data_dir()
    assert store.load().plans == []  # no file yet: nothing saved, not an error
    saved = every_state()
    store.save(PlanSnapshot(saved, {"demo": 1_800_000_000.5}))
    loaded = store.load()
    assert loaded.clocks == {"demo": 1_800_000_000.5}
    assert [s.plan.to_dict() for s in loaded.plans] == [s.plan.to_dict() for s in saved]
    assert [(s.steps_done, s.in_flight) for s in loaded.plans] == [
        (s.steps_done, s.in_flight) for s in saved
    ]
    states = {s.plan.state for s in loaded.plans}
    assert states == set(PlanState) - {PlanState.REJECTED, PlanState.AUTO_APPROVED}
    first = loaded.plans[0].plan.proposal
    assert first.steps[0].trace.explain() == saved[0].plan.proposal.steps[0].trace.explain()
    assert first.cost == saved[0].plan.proposal.cost
    assert loaded.plans[6].plan.superseded_by == saved[7].plan.id


def test_the_rewrite_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = PlanStore(tmp_path / "plans.json")
    store.save(PlanSnapshot([StoredPlan(new_plan())]))
    store.save(PlanSnapshot([StoredPlan(new_plan()), StoredPlan(new_plan())]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plans.json"]
    data = json.loads((tmp_path / "plans.json").read_text())
    assert data["schema"] == SCHEMA and len(data["plans"]) == 2


def test_only_the_newest_finished_plans_are_kept(tmp_path: Path) -> None:
    store = PlanStore(tmp_path / "plans.json", keep_finished=2)
    finished = []
    for _ in range(4):
        plan = new_plan()
        plan.reject("alice", START - pd.Timedelta(minutes=5))
        finished.append(StoredPlan(plan))
    pending = StoredPlan(new_plan())
    store.save(PlanSnapshot([pending, *finished]))
    kept = [s.plan.id for s in store.load().plans]
    assert kept == [pending.plan.id, finished[2].plan.id, finished[3].plan.id]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"schema": 1, "plans": [{"plan": {"id": "x"', "invalid"),
        (b'{"schema": 99, "plans": []}', "schema 99"),
        (b'{"schema": 1, "plans": [{"plan": {"id": "x"}}]}', "invalid"),
        (b"\xff\xfe not utf-8", "invalid"),
    ],
)
def test_a_corrupt_file_is_named_kept_aside_and_never_overwritten(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "plans.json"
    path.write_bytes(content)
    store = PlanStore(path)
    with pytest.raises(PlanStoreCorrupt) as raised:
        store.load()
    error = raised.value
    assert str(path) in str(error) and reason in str(error)
    assert error.kept_as is not None and str(error.kept_as) in str(error)
    assert error.kept_as.read_bytes() == content  # the original, byte for byte
    assert not path.exists()
    # The next save starts a new file; the corrupt copy is still there.
    store.save(PlanSnapshot([StoredPlan(new_plan())]))
    assert len(store.load().plans) == 1
    assert error.kept_as.read_bytes() == content


def test_a_second_corrupt_file_does_not_replace_the_first_copy(tmp_path: Path) -> None:
    path = tmp_path / "plans.json"
    kept = []
    for content in (b"first", b"second"):
        path.write_bytes(content)
        with pytest.raises(PlanStoreCorrupt) as raised:
            PlanStore(path).load()
        kept.append(raised.value.kept_as)
    assert kept[0] != kept[1]
    assert [k.read_bytes() for k in kept] == [b"first", b"second"]


def test_an_unwritable_directory_is_a_typed_error_naming_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    store = PlanStore(blocker / "plans.json")
    with pytest.raises(PlanStoreError) as raised:
        store.save(PlanSnapshot([StoredPlan(new_plan())]))
    assert str(blocker / "plans.json") in str(raised.value)
