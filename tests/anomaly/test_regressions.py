"""Known defects that must not come back, and the time-based memory of the combination."""

from __future__ import annotations

import numpy as np

from models.anomaly import CombinedDetector, Pattern, detect_series
from models.anomaly.patterns import classify
from models.anomaly.seasonal import DAY
from models.anomaly.windows import TimedTrailingMax, range_max
from tests.anomaly.conftest import START, timestamps


def test_single_blip_on_a_constant_series_is_one_spike_and_nothing_after() -> None:
    # Used to leave an error in the blip's seasonal bin that scored ~1000 against the
    # zero spread of the series, and opened a "flatline" incident about 290 rows later.
    values = np.full(2000, 10.0)
    values[1000] = 60.0
    result = detect_series(values, timestamps(len(values)))
    assert [(i.start_row, i.pattern) for i in result.incidents] == [(1000, Pattern.SPIKE)]
    assert result.level[1001:].max() < 0.45


def test_short_burst_on_a_constant_series_leaves_no_echo_a_day_later() -> None:
    values = np.full(2000, 50.0)
    values[1500:1504] += 50
    result = detect_series(values, timestamps(len(values)))
    assert [(i.start_row, i.pattern) for i in result.incidents] == [(1500, Pattern.SPIKE)]


def test_short_burst_that_returns_to_the_baseline_is_a_spike_not_a_level_shift() -> None:
    rng = np.random.default_rng(1)
    values = 50 + rng.normal(0, 1, 2000)
    values[1500:1504] += 50
    values[1504:1507] = 50.5  # back to normal, just above the median: used to read as "shift"
    assert classify(values, 1500, 1506)[0] is Pattern.SPIKE
    incidents = detect_series(values, timestamps(len(values))).incidents
    assert [(i.start_row, i.pattern) for i in incidents] == [(1500, Pattern.SPIKE)]


def test_a_step_that_persists_is_a_level_shift_even_if_the_incident_is_short() -> None:
    rng = np.random.default_rng(2)
    values = 50 + rng.normal(0, 1, 2000)
    values[1500:] += 50
    assert classify(values, 1500, 1506) == (Pattern.LEVEL_SHIFT, True)


def test_plain_noise_raises_nothing_while_components_warm_up() -> None:
    # The seasonal bands come alive after a day; their first scores have no past to be
    # compared with and must not read as "more unusual than anything seen".
    values = 50 + np.random.default_rng(3).normal(0, 1, 2000)
    assert detect_series(values, timestamps(len(values))).incidents == ()


def spikes_scored(step_seconds: float, gap_days: float) -> float:
    """Onset score of a spike ``gap_days`` after an identical one, at a given sampling step."""
    rows = int(round((gap_days + 4) * DAY / step_seconds))
    stamps = START + step_seconds * np.arange(rows)
    values = 50 + np.random.default_rng(4).normal(0, 1, rows)
    first = int(round(2 * DAY / step_seconds))
    second = first + int(round(gap_days * DAY / step_seconds))
    values[[first, second]] += 40
    return float(CombinedDetector(memory_seconds=7 * DAY).score(values, stamps)[second])


def test_memory_is_defined_in_time_whatever_the_sampling_rate() -> None:
    for step in (300.0, 900.0):
        assert spikes_scored(step, gap_days=3) < 0.55, "within a week: not news"
        assert spikes_scored(step, gap_days=9) > 0.8, "a week later: forgotten, news again"


def test_timed_trailing_max_matches_brute_force_in_chunks() -> None:
    rng = np.random.default_rng(5)
    times = np.cumsum(rng.integers(0, 3, 600)) * 100.0  # irregular, with repeats
    values = rng.normal(size=600)
    expected = []
    for i in range(600):
        inside = [j for j in range(max(0, i - 40), i) if times[j] > times[i] - 1000]
        expected.append(values[inside].max() if inside else -np.inf)
    chunked = TimedTrailingMax(1000.0, max_rows=40)
    parts = [chunked.apply(values[a:b], times[a:b]) for a, b in [(0, 1), (1, 250), (250, 600)]]
    np.testing.assert_array_equal(np.concatenate(parts), expected)


def test_range_max_handles_every_length() -> None:
    rng = np.random.default_rng(6)
    values = rng.normal(size=300)
    first, stop = rng.integers(0, 300, 1000), rng.integers(0, 301, 1000)
    expected = [values[a:b].max() if b > a else -np.inf for a, b in zip(first, stop, strict=True)]
    np.testing.assert_array_equal(range_max(values, first, stop), expected)
