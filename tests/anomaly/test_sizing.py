"""The combined detector's windows mean the same time span at any sampling rate."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from models.anomaly import CombinedDetector
from tests.anomaly.conftest import START


def _fed(step: float, n: int = 400, seed: int = 0) -> tuple[CombinedDetector, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = 50 + rng.normal(0, 1, n)
    detector = CombinedDetector()
    detector.score(values, START + step * np.arange(n))
    return detector, values


@pytest.mark.parametrize(
    ("step", "baseline", "recent"),
    [
        (300.0, 288, 12),  # 5 minutes: a day is 288 points, an hour 12
        (60.0, 1440, 60),  # 1 minute: a day is 1,440 points
        (1.0, 5_000, 120),  # 1 second: capped, to bound the cost per point
        (1800.0, 288, 12),  # 30 minutes: never fewer points than robust statistics need
    ],
)
def test_windows_are_a_day_and_an_hour_within_row_bounds(step, baseline, recent):
    detector, _ = _fed(step)
    assert detector.step_ == step
    assert detector.components["robust_z"].window == baseline
    assert detector.components["level_shift"].recent == recent
    assert detector.components["flatline"].min_run == recent
    assert detector.warmup_rows == 288  # reporting starts as soon as statistics are sound


def test_unknown_timestamps_fall_back_to_the_row_defaults():
    detector = CombinedDetector()
    detector.score(np.arange(50, dtype=float))  # no timestamps: all 0
    assert detector.step_ == 0.0
    assert detector.components["robust_z"].window == 288


def test_a_gap_among_the_first_points_does_not_change_the_sizing():
    stamps = START + 60.0 * np.arange(400)
    stamps[3:] += 3600  # an hour missing after the third point
    detector = CombinedDetector()
    detector.score(np.ones(400), stamps)
    assert detector.step_ == 60.0


def test_saved_state_restores_the_sized_windows():
    detector, values = _fed(60.0)
    state = pickle.loads(pickle.dumps(detector.get_state()))
    resumed = CombinedDetector()
    resumed.set_state(state)
    assert resumed.components["robust_z"].window == 1440
    more = START + 60.0 * np.arange(400, 500)
    np.testing.assert_array_equal(
        resumed.score(values[:100], more), detector.score(values[:100], more)
    )


def test_the_weekly_band_waits_for_two_earlier_weeks() -> None:
    # Hourly data with a daily cycle and noise: a weekly bin learnt from one earlier
    # week would already score in week 2; it must stay silent until week 3.
    rng = np.random.default_rng(4)
    n = 4 * 168
    hours = np.arange(n)
    values = 50 + 10 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 1, n)
    scores = CombinedDetector().score_components(values, START + 3600.0 * hours)
    weekly = scores.components["seasonal_week"]
    assert not weekly[: 2 * 168].any()
    assert weekly[2 * 168 :].any()
