"""The demo trace (provenance, shifting, speed) and the DemoEnvironment glue."""

from __future__ import annotations

import calendar
from pathlib import Path

import numpy as np
import pytest

from connectors.scaling.base import ScalingExecutor
from connectors.scaling.demo import (
    TRACE_PATH,
    DemoEnvironment,
    DemoTarget,
    DemoTrace,
    DemoTraceError,
    derive_trace,
)

# Wednesday 2026-11-18 10:00 UTC: the trace is aligned on Monday 00:00 UTC.
WEDNESDAY_10H = float(calendar.timegm((2026, 11, 18, 10, 0, 0)))


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def trace() -> DemoTrace:
    return DemoTrace.load()


def test_bundled_trace_is_three_weeks_at_30_minutes_with_its_licence(trace: DemoTrace) -> None:
    assert trace.step_s == 1800.0
    assert len(trace.values) == 3 * 7 * 48
    assert 50 < trace.values.min() < trace.values.max() < 2_000
    folder = TRACE_PATH.parent
    assert "Permission is hereby granted" in (folder / "LICENSE-NAB.txt").read_text()
    assert "nyc_taxi.csv" in (folder / "README.md").read_text()


def test_bundled_trace_matches_its_documented_derivation(nab_dir: Path, trace: DemoTrace) -> None:
    rows = derive_trace(nab_dir / "data" / "realKnownCause" / "nyc_taxi.csv")
    assert rows[0][0] == "2014-10-06 00:00:00"
    assert np.allclose([value for _, value in rows], trace.values)


def test_demand_follows_the_weekday_and_hour_of_the_clock(trace: DemoTrace) -> None:
    # Wednesday 10:00 is 2 days + 10 h into the first week of the trace: row 116.
    assert trace.demand_at(WEDNESDAY_10H) == pytest.approx(trace.values[2 * 48 + 20])
    # Half-way between two points is the mean of the two (linear interpolation).
    halfway = trace.demand_at(WEDNESDAY_10H + 900)
    assert halfway == pytest.approx(trace.values[116:118].mean())
    # The cycle loops: three weeks later is the same demand.
    assert trace.demand_at(WEDNESDAY_10H + 21 * 86_400) == pytest.approx(trace.values[116])


def test_last_point_interpolates_towards_the_first(trace: DemoTrace) -> None:
    just_before_loop = trace.duration_s - 900
    expected = (trace.values[-1] + trace.values[0]) / 2
    assert trace.demand_at_offset(just_before_loop) == pytest.approx(expected)


def test_shifted_replay_starts_now_and_runs_faster(trace: DemoTrace) -> None:
    replay = trace.shifted(WEDNESDAY_10H, speed=60.0)
    assert replay.demand_at(WEDNESDAY_10H) == pytest.approx(trace.demand_at(WEDNESDAY_10H))
    # One wall minute at 60x is one demo hour: two trace points further on.
    assert replay.demo_time(WEDNESDAY_10H + 60) == WEDNESDAY_10H + 3600
    assert replay.demand_at(WEDNESDAY_10H + 60) == pytest.approx(trace.values[118])
    assert replay.wall_time(WEDNESDAY_10H + 3600) == pytest.approx(WEDNESDAY_10H + 60)
    real_time = trace.shifted(WEDNESDAY_10H)
    assert real_time.demand_at(WEDNESDAY_10H + 3600) == pytest.approx(trace.values[118])
    with pytest.raises(ValueError):
        trace.shifted(WEDNESDAY_10H, speed=0)


def test_bad_trace_files_are_typed_errors_with_line(tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    path.write_text("timestamp,requests_per_s\n2014-10-06 00:00:00,5\n2014-10-06 00:30:00,x\n")
    with pytest.raises(DemoTraceError) as caught:
        DemoTrace.load(path)
    assert caught.value.line == 3
    path.write_text(
        "timestamp,requests_per_s\n2014-10-06 00:00:00,5\n2014-10-06 00:30:00,6\n"
        "2014-10-06 01:30:00,7\n"
    )
    with pytest.raises(DemoTraceError, match="evenly spaced") as caught:
        DemoTrace.load(path)
    assert caught.value.line == 4
    with pytest.raises(DemoTraceError, match="cannot read"):
        DemoTrace.load(tmp_path / "missing.csv")


def test_environment_backfills_history_so_forecasts_can_start_at_once(trace: DemoTrace) -> None:
    clock = FakeClock(WEDNESDAY_10H + 10)
    demo = DemoEnvironment.create(speed=60, wall_clock=clock, trace=trace)
    target = demo.target
    history = demo.history()
    assert len(history) == target.history_s / target.sample_step_s
    stamps = np.array([sample.timestamp for sample in history])
    assert np.all(np.diff(stamps) == target.sample_step_s)
    assert stamps[-1] == WEDNESDAY_10H  # the latest grid point passed
    assert all(sample.capacity == target.initial for sample in history)
    peak = max(history, key=lambda sample: sample.demand)
    assert peak.unserved == pytest.approx(peak.demand - target.initial * target.unit_capacity)
    assert demo.history(3) == history[-3:]
    assert demo.history(0) == []
    frame = demo.history_frame(48)
    assert len(frame) == 48 and str(frame.index.tz) == "UTC"
    assert frame.index[-1].timestamp() == WEDNESDAY_10H
    assert frame["demand"].iloc[-1] == pytest.approx(history[-1].demand)
    assert list(frame.columns) == ["demand", "capacity", "serving", "utilisation", "unserved"]


def test_ticks_record_a_regular_grid_in_demo_time(trace: DemoTrace) -> None:
    clock = FakeClock(WEDNESDAY_10H)
    demo = DemoEnvironment.create(speed=60, wall_clock=clock, trace=trace)
    before = len(demo.history())
    clock.now += 12  # 12 demo minutes: grid points at 10:05 and 10:10
    sample = demo.tick()
    assert sample.timestamp == WEDNESDAY_10H + 720
    assert sample.demand == pytest.approx(trace.demand_at(WEDNESDAY_10H + 720))
    recent = demo.history(3)
    assert [s.timestamp - WEDNESDAY_10H for s in recent] == [0, 300, 600]
    assert len(demo.history()) == before  # bounded: oldest points dropped
    demo.tick()
    assert demo.history(1)[0].timestamp == WEDNESDAY_10H + 600  # no duplicates
    clock.now += 10 * 86_400  # a suspended laptop: only the last two weeks are kept
    demo.tick()
    stamps = np.array([s.timestamp for s in demo.history()])
    assert len(stamps) == before and np.all(np.diff(stamps) == 300)


def test_approved_change_takes_effect_after_warm_up_in_demo_time(trace: DemoTrace) -> None:
    clock = FakeClock(WEDNESDAY_10H)
    target = DemoTarget(initial=2, warmup_s=300)
    demo = DemoEnvironment.create(speed=60, target=target, wall_clock=clock, trace=trace)
    assert isinstance(demo.executor, ScalingExecutor)
    assert demo.tick().serving == 2
    result = demo.executor.set_capacity(12)
    assert result.verified == 12
    clock.now += 4  # 4 demo minutes: still warming
    warming = demo.tick()
    assert (warming.capacity, warming.serving) == (12, 2)
    clock.now += 1  # 5 demo minutes: warm
    ready = demo.tick()
    assert ready.serving == 12
    assert warming.unserved > 500  # ~1,000 requests/s on a Wednesday morning, 2 units
    assert ready.unserved == 0.0
    assert demo.cost_per_hour() == pytest.approx(12 * target.price_per_unit_hour)


def test_demo_pool_size_survives_a_restart(trace: DemoTrace, tmp_path: Path) -> None:
    state = tmp_path / "demo-pool.json"
    clock = FakeClock(WEDNESDAY_10H)
    first = DemoEnvironment.create(speed=60, wall_clock=clock, trace=trace, state_path=state)
    clock.now += 60  # one demo hour later the pool grows: units start at demo 11:00
    first.executor.set_capacity(10)
    clock.now += 1  # restart: the new demo clock starts at wall time, before 11:00
    again = DemoEnvironment.create(speed=60, wall_clock=clock, trace=trace, state_path=state)
    assert again.executor.current_capacity() == 10
    assert again.tick().serving == 8  # the units "from the future" warm up again
    clock.now += 300  # 300 wall s at 60x is far more than 5 demo minutes
    assert again.tick().serving == 10


def test_target_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        DemoTarget(unit_capacity=0)
    with pytest.raises(ValueError):
        DemoEnvironment.create(speed=-1, trace=DemoTrace(np.ones(4), 1800.0))
