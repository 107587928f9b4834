"""The trend component: a leak climbs too slowly for any level-shift score to notice."""

from __future__ import annotations

import numpy as np
import pytest

from models.anomaly import CombinedDetector, Pattern, TrendDetector, detect_series
from models.anomaly.trend import MAX_SCORE, trend_to_scatter

STEP = 300.0
LEAK_START = 6 * 288  # after six quiet days


def memory_percent(leak_per_day: float, daily_swing: float = 0.0, seed: int = 0) -> np.ndarray:
    """Nine days of five-minute memory use around 40 % (noise sd 2); from day 6 it climbs
    by ``leak_per_day`` points a day."""
    rng = np.random.default_rng(seed)
    rows = np.arange(9 * 288)
    values = 40 + rng.normal(0, 2, len(rows)) + daily_swing * np.sin(2 * np.pi * rows / 288)
    return values + np.clip(rows - LEAK_START, 0, None) * leak_per_day / 288


STAMPS = 1.7e9 + STEP * np.arange(9 * 288)


@pytest.mark.parametrize("leak_per_day", [8.0, 15.0])
def test_a_leak_opens_one_rising_trend_incident_within_a_day_and_a_half(leak_per_day):
    values = memory_percent(leak_per_day)
    result = detect_series(values, STAMPS, "mem.used.percent")
    (incident,) = result.incidents
    assert incident.pattern is Pattern.TREND
    assert incident.start_row > LEAK_START
    assert (incident.start_row - LEAK_START) * STEP <= 36 * 3600
    # Still open at the end: the leak has not stopped.
    assert incident.end_row == len(values) - 1
    assert "trend" in result.scores.components


def test_without_the_trend_component_the_same_leak_goes_unnoticed():
    values = memory_percent(15.0)
    detector = CombinedDetector(trend_seconds=None)
    result = detect_series(values, STAMPS, "mem.used.percent", detector=detector)
    assert result.incidents == ()
    assert "trend" not in result.scores.components


@pytest.mark.parametrize("daily_swing", [0.0, 8.0])
def test_steady_noise_and_a_daily_cycle_open_nothing(daily_swing):
    values = memory_percent(0.0, daily_swing)
    result = detect_series(values, STAMPS, "mem.used.percent")
    assert result.incidents == ()
    # Below the floor under which the component never contributes (half its alert level).
    assert result.scores.components["trend"].max() < 3.0


def test_score_is_rise_over_scatter():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 1, 2000)
    line = np.linspace(0, 10, 2000)
    (straight,), (noisy,), (flat,) = trend_to_scatter(np.vstack([line, line + noise, noise]))
    assert straight == MAX_SCORE  # a counter: no scatter at all
    assert noisy == pytest.approx(10.0, rel=0.1)  # rises 10 noise widths
    assert flat < 0.5


def test_window_is_two_days_in_rows_and_bounded():
    detector = CombinedDetector()
    detector.score(np.zeros(20), STAMPS[:20])
    assert detector.components["trend"].window == 576
    per_second = CombinedDetector()
    per_second.score(np.zeros(20), 1.7e9 + np.arange(20.0))
    assert per_second.components["trend"].window == 5_000


def test_scores_use_only_the_window_before():
    values = memory_percent(15.0)
    full = TrendDetector(576, 16).score(values)
    cut = LEAK_START + 100
    assert np.array_equal(TrendDetector(576, 16).score(values[:cut]), full[:cut])


def test_a_step_is_left_to_the_level_shift_components():
    rng = np.random.default_rng(2)
    noise = rng.normal(0, 1, 600)
    step = np.where(np.arange(600) < 300, 0.0, 10.0) + noise
    ramp = np.linspace(0, 10, 600) + noise
    (step_score,), (ramp_score,) = trend_to_scatter(np.vstack([step, ramp]))
    assert step_score == 0.0  # one step explains it better than any line
    assert ramp_score > 8.0


def test_a_leak_that_ends_on_a_low_reading_is_still_rising():
    values = memory_percent(15.0)
    values[-1] = 20.0  # one bad last sample, far below where the leak started
    (incident,) = detect_series(values, STAMPS, "mem.used.percent").incidents
    assert incident.pattern is Pattern.TREND
    assert "risen steadily" in incident.action
