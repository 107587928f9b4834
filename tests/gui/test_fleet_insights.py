"""The fleet's anomaly flag and forecast peak come from models.anomaly and models.forecast,
computed off the GUI thread (a worker thread driving a child process)."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from console.fleet.fleet_model import ANOMALY, PEAK, FleetModel
from console.fleet.fleet_state import FleetState
from console.fleet.insight_worker import (
    BOOTSTRAP_POINTS,
    FLAG_HOLD_S,
    FORECAST_HISTORY_POINTS,
    AnomalyScorer,
    forecast_peaks,
)
from console.fleet.insights import FleetInsights
from models.samples import Sample

RESOLUTION_S = 10.0
START = 1_700_000_000.0


def feed(state: FleetState, cpu: dict[str, np.ndarray], first_slot: int = 0) -> None:
    """One CPU sample per host per slot, as the poller would fold them in."""
    slots = len(next(iter(cpu.values())))
    for slot in range(slots):
        t = START + (first_slot + slot) * RESOLUTION_S
        state.ingest(
            "c", [Sample(t, "sim", h, "cpu.percent", float(v[slot])) for h, v in cpu.items()]
        )


def noisy(slots: int, seed: int, level: float = 30.0) -> np.ndarray:
    return level + np.random.default_rng(seed).normal(0.0, 2.0, slots)


def score(state: FleetState, scorer: AnomalyScorer) -> int:
    """One anomaly cycle in this process, published as the worker publishes it."""
    results = scorer.score(*state.cpu_window(BOOTSTRAP_POINTS))
    flags = np.asarray(results.values) > 0
    state.set_anomalies(np.asarray(results.rows), flags, results.notes)
    return results.work


def forecast(state: FleetState) -> int:
    heads, values = state.cpu_window(FORECAST_HISTORY_POINTS)
    results = forecast_peaks(RESOLUTION_S, heads, values, list(range(len(heads))))
    state.set_forecasts(np.asarray(results.rows), np.asarray(results.values), results.notes)
    return results.work


@pytest.fixture
def state() -> FleetState:
    return FleetState(window_s=86400, resolution_s=RESOLUTION_S)


def test_a_cpu_spike_is_flagged_by_the_combined_detector(state):
    spiky, calm = noisy(100, 1), noisy(100, 2)
    spiky[80] = 95.0  # one slot, as a runaway process looks at 10 s resolution
    scorer = AnomalyScorer(RESOLUTION_S)
    # Streaming: the detector sees the history in two cycles, as the worker would.
    feed(state, {"spiky": spiky[:60], "calm": calm[:60]})
    score(state, scorer)
    spike_row, calm_row = state.hosts.index("spiky"), state.hosts.index("calm")
    assert not state.anomaly[spike_row] and not state.anomaly[calm_row]
    feed(state, {"spiky": spiky[60:], "calm": calm[60:]}, first_slot=60)
    assert score(state, scorer) == 2 * 40  # only the new completed slots were scored
    assert state.anomaly[spike_row] and not state.anomaly[calm_row]
    note = state.anomaly_note[spike_row]
    assert note.startswith("CombinedDetector on CPU: robust z-score") and "95.0 %" in note
    assert state.anomaly_note[calm_row] == ""
    # The flag stays up a while after the spike (the operator may look later), then clears.
    quiet = int(FLAG_HOLD_S / RESOLUTION_S) + 5
    feed(state, {"spiky": noisy(quiet, 3), "calm": noisy(quiet, 4)}, first_slot=100)
    score(state, scorer)
    assert not state.anomaly[spike_row] and state.anomaly_note[spike_row] == ""


def test_a_rising_series_gets_a_forecast_peak_above_its_last_value(state):
    slots = 180
    rising = 20.0 + 0.25 * np.arange(slots) + np.random.default_rng(5).normal(0, 0.5, slots)
    flat = noisy(slots, 6, level=40.0)
    feed(state, {"rising": rising, "flat": flat})
    feed(state, {"young": noisy(10, 7)}, first_slot=slots)  # too little history to forecast
    assert forecast(state) == 2
    row = state.hosts.index("rising")
    last = rising[-2]  # the last *completed* slot: the head slot is still being written
    assert state.forecast_peak[row] > last + 2.0
    assert state.forecast_peak[row] <= 100.0
    note = state.peak_note[row]
    assert note.startswith("profile_trend forecast of CPU, next 60 min (360 steps of 10 s)")
    flat_peak = state.forecast_peak[state.hosts.index("flat")]
    assert 35.0 < flat_peak < 46.0  # a flat host is not forecast to climb
    young = state.hosts.index("young")
    assert np.isnan(state.forecast_peak[young]) and "after 30 slots" in state.peak_note[young]


def test_jobs_run_off_the_gui_thread_and_reach_the_table(qtbot, state):
    spiky = noisy(90, 8)
    spiky[85] = 97.0
    feed(state, {"spiky": spiky, "calm": noisy(90, 9)})
    model = FleetModel(state)
    model.timer.stop()
    insights = FleetInsights(state)
    done: list[str] = []
    insights.finished.connect(lambda kind, _cost: done.append(kind))
    insights.start()
    try:
        insights.tick()  # both jobs are due at once
        qtbot.waitUntil(lambda: sorted(done) == ["anomaly", "forecast"], timeout=60_000)
    finally:
        assert insights.stop(10.0)
    # The jobs ran on the pool's thread, the maths in the child process.
    assert insights.job_threads and threading.main_thread().ident not in insights.job_threads
    assert insights.worker_pids and os.getpid() not in insights.worker_pids
    assert all(cost > 0.0 for costs in insights.costs.values() for cost in costs)
    model.refresh()
    shown = model.visible_hosts().index("spiky")
    assert model.index(shown, ANOMALY).data() == "⚠ anomaly"
    tooltip = model.index(shown, ANOMALY).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip.startswith("CombinedDetector")
    assert model.index(shown, PEAK).data().endswith(" %")
    assert "profile_trend" in model.index(shown, PEAK).data(Qt.ItemDataRole.ToolTipRole)
    calm = model.visible_hosts().index("calm")
    assert model.index(calm, ANOMALY).data() == ""


def test_a_dead_child_is_reported_and_replaced(qtbot, state):
    feed(state, {"a": noisy(40, 11)})
    insights = FleetInsights(state)
    failures: list[str] = []
    done: list[str] = []
    insights.failed.connect(failures.append)
    insights.finished.connect(lambda kind, _cost: done.append(kind))
    try:
        insights.run_now("anomaly")
        qtbot.waitUntil(lambda: done == ["anomaly"], timeout=60_000)
        first = set(insights.worker_pids)
        insights._child.process.kill()  # as the OOM killer would
        insights._child.process.join(5)
        insights.run_now("anomaly")
        qtbot.waitUntil(lambda: len(failures) == 1, timeout=10_000)
        assert "insights process ended" in failures[0]
        insights.run_now("anomaly")
        qtbot.waitUntil(lambda: done == ["anomaly", "anomaly"], timeout=60_000)
        assert insights.worker_pids - first  # a new process took over
    finally:
        started = time.monotonic()
        assert insights.stop(10.0)
        assert time.monotonic() - started < 3.0  # closing the fleet never hangs on the child
