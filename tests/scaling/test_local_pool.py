"""LocalPool: warm-up, serving, idempotent verified changes, bounds, persistence, threads."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from connectors.scaling.base import ExecutionError, ScalingExecutor
from connectors.scaling.local_pool import LocalPool, PoolStateError


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_pool(clock: FakeClock, **overrides) -> LocalPool:
    settings = dict(name="web", initial=2, min_size=1, max_size=6, warmup_s=60.0, clock=clock)
    settings.update(overrides)
    return LocalPool(**settings)


def test_is_a_scaling_executor_named_after_the_pool() -> None:
    pool = make_pool(FakeClock())
    assert isinstance(pool, ScalingExecutor)
    assert pool.target == "local:web"


def test_initial_units_serve_at_once_and_new_units_only_after_warm_up() -> None:
    clock = FakeClock()
    pool = make_pool(clock)
    assert pool.serving_units() == 2
    result = pool.set_capacity(5)
    assert (result.previous, result.requested, result.verified) == (2, 5, 5)
    assert result.succeeded
    assert pool.current_capacity() == 5
    clock.now += 59.0
    assert pool.serving_units() == 2
    clock.now += 1.0
    assert pool.serving_units() == 5


def test_serve_reports_served_unserved_and_utilisation() -> None:
    clock = FakeClock()
    pool = make_pool(clock)
    pool.set_capacity(4)  # two warm, two warming
    snapshot = pool.serve(demand=250.0, unit_capacity=100.0)
    assert (snapshot.capacity, snapshot.serving) == (4, 2)
    assert snapshot.served == pytest.approx(200.0)
    assert snapshot.unserved == pytest.approx(50.0)
    assert snapshot.utilisation == pytest.approx(1.0)
    later = pool.serve(demand=250.0, unit_capacity=100.0, now=clock.now + 60.0)
    assert later.serving == 4
    assert later.unserved == 0.0
    assert later.utilisation == pytest.approx(250.0 / 400.0)
    assert later.timestamp == clock.now + 60.0


def test_serve_with_no_warm_unit_serves_nothing() -> None:
    clock = FakeClock()
    pool = make_pool(clock, initial=0, min_size=0)
    pool.set_capacity(1)
    snapshot = pool.serve(demand=80.0, unit_capacity=100.0)
    assert (snapshot.served, snapshot.unserved, snapshot.utilisation) == (0.0, 80.0, 0.0)


def test_setting_the_same_capacity_twice_changes_nothing() -> None:
    clock = FakeClock()
    pool = make_pool(clock)
    pool.set_capacity(4)
    starts = pool.unit_start_times()
    clock.now += 10.0
    again = pool.set_capacity(4)
    assert (again.previous, again.verified) == (4, 4)
    assert "nothing changed" in again.detail
    assert pool.unit_start_times() == starts  # no unit restarted, warm-up not reset


def test_scale_in_removes_the_newest_units_first() -> None:
    clock = FakeClock()
    pool = make_pool(clock)
    oldest = pool.unit_start_times()
    clock.now += 100.0
    pool.set_capacity(4)  # two more, started at 1100
    pool.set_capacity(3)
    assert pool.unit_start_times() == [*oldest, 1_100.0]
    assert pool.serving_units() == 2  # the surviving new unit is still warming


@pytest.mark.parametrize("desired", [0, 7, -1])
def test_outside_bounds_is_refused_with_the_bounds_named(desired: int) -> None:
    pool = make_pool(FakeClock())
    with pytest.raises(ExecutionError) as caught:
        pool.set_capacity(desired)
    assert caught.value.target == "local:web"
    assert "min 1" in caught.value.reason and "max 6" in caught.value.reason
    assert pool.current_capacity() == 2


def test_whole_numbers_only_but_numpy_integers_are_fine() -> None:
    pool = make_pool(FakeClock())
    assert pool.set_capacity(np.int64(3)).verified == 3
    assert pool.set_capacity(4.0).verified == 4
    for bad in (2.5, True, "3"):
        with pytest.raises(ExecutionError, match="whole number"):
            pool.set_capacity(bad)
    assert pool.current_capacity() == 4


def test_state_file_keeps_the_size_across_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    state = tmp_path / "pools" / "web.json"
    pool = make_pool(clock, state_path=state)
    pool.set_capacity(5)
    restarted = make_pool(clock, initial=1, state_path=state)
    assert restarted.current_capacity() == 5
    assert restarted.unit_start_times() == pool.unit_start_times()
    assert restarted.serving_units() == 2  # warm-up continues where it was


def test_corrupt_state_file_is_a_typed_error_naming_the_file(tmp_path: Path) -> None:
    state = tmp_path / "web.json"
    state.write_text("{not json")
    with pytest.raises(PoolStateError) as caught:
        make_pool(FakeClock(), state_path=state)
    assert caught.value.path == state
    assert str(state) in caught.value.reason
    state.write_text(json.dumps({"version": 1, "units": ["x"]}))
    with pytest.raises(PoolStateError):
        make_pool(FakeClock(), state_path=state)


def test_unwritable_state_fails_the_change_and_keeps_the_old_size(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    pool = make_pool(FakeClock(), state_path=blocker / "web.json")  # parent is a file
    with pytest.raises(PoolStateError, match="cannot write"):
        pool.set_capacity(4)
    assert pool.current_capacity() == 2


def test_concurrent_changes_leave_a_consistent_pool() -> None:
    pool = make_pool(FakeClock(), max_size=50)
    results: list[int] = []

    def scale(sizes: list[int]) -> None:
        for size in sizes:
            results.append(pool.set_capacity(size).verified)
            pool.serve(1_000.0, 10.0)

    threads = [threading.Thread(target=scale, args=([n, 50 - n] * 50,)) for n in (1, 10, 25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(results) == 300
    final = pool.current_capacity()
    assert final in {49, 40, 25}  # the last write of one of the threads, whole
    assert len(pool.unit_start_times()) == final


def test_invalid_construction_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        make_pool(FakeClock(), initial=9)
    with pytest.raises(ValueError):
        make_pool(FakeClock(), min_size=5, max_size=2)
    with pytest.raises(ValueError):
        make_pool(FakeClock(), warmup_s=-1.0)
