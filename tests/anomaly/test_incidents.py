"""Incidents: each pattern recognised on a synthetic series, flap suppression, actions."""

from __future__ import annotations

import numpy as np
import pytest

from models.anomaly import Hysteresis, Pattern, Severity, detect_host, detect_series, incident_spans
from models.anomaly.actions import format_duration, recommended_action
from tests.anomaly.conftest import daily_noise, timestamps

N = 2600
ONSET = 2000


def only_incident_near(series: np.ndarray, metric: str = "cpu.percent"):
    result = detect_series(series, timestamps(len(series)), metric=metric, host="web-3")
    near = [i for i in result.incidents if i.start_row >= ONSET - 5]
    before = [i for i in result.incidents if i.end_row < ONSET - 5]
    assert not before, f"false alarms on the normal part: {before}"
    assert len(near) == 1, f"expected one incident at the anomaly, got {result.incidents}"
    return near[0]


def test_spike() -> None:
    values = daily_noise(N)
    values[ONSET] += 30
    incident = only_incident_near(values)
    assert incident.pattern is Pattern.SPIKE
    assert incident.start_row == ONSET
    assert incident.severity is Severity.HIGH


def test_dip() -> None:
    values = daily_noise(N, seed=1)
    values[ONSET : ONSET + 2] -= 30
    assert only_incident_near(values).pattern is Pattern.DIP


def test_level_shift() -> None:
    values = daily_noise(N, seed=2)
    values[ONSET:] += 15
    incident = only_incident_near(values)
    assert incident.pattern is Pattern.LEVEL_SHIFT
    assert ONSET <= incident.start_row <= ONSET + 3
    assert "higher level" in incident.action


def test_memory_leak_is_a_trend_with_a_restart_advice() -> None:
    rng = np.random.default_rng(3)
    values = 40 + rng.normal(0, 0.5, N)
    values[ONSET:] += 0.1 * np.arange(N - ONSET)  # +60 % in 50 h: a leak
    incident = only_incident_near(values, metric="mem.used.percent")
    assert incident.pattern is Pattern.TREND
    assert incident.action.startswith("Memory on web-3 has risen steadily for")
    assert "leak" in incident.action and "before it reaches 100 %" in incident.action


def test_flatline() -> None:
    values = daily_noise(N, seed=4)
    values[ONSET:] = values[ONSET]  # the exporter froze
    incident = only_incident_near(values)
    assert incident.pattern is Pattern.FLATLINE
    assert "collector" in incident.action


def test_broken_correlation_is_multivariate() -> None:
    rng = np.random.default_rng(5)
    load = np.zeros(N)
    for i in range(1, N):  # shared, autocorrelated demand
        load[i] = 0.9 * load[i - 1] + rng.normal(0, 0.5)
    cpu = 50 + 10 * load + rng.normal(0, 1, N)
    net = 20 + 4 * load + rng.normal(0, 0.4, N)
    net[ONSET : ONSET + 60] = 20 - 4 * load[ONSET : ONSET + 60]  # each in range, not together
    result = detect_host(
        np.column_stack([cpu, net]), timestamps(N), ("cpu.percent", "net.rx.bytes"), "web-3"
    )
    at_break = [i for i in result.incidents if ONSET <= i.start_row < ONSET + 60]
    assert at_break and at_break[0].start_row <= ONSET + 10
    for incident in at_break:
        assert incident.pattern is Pattern.MULTIVARIATE
        assert set(incident.metrics) == {"cpu.percent", "net.rx.bytes"}
    elsewhere = [i for i in result.incidents if i not in at_break]
    assert len(elsewhere) <= 2, elsewhere  # the forest's own tails rarely open one
    # Neither metric alone looks odd at the break.
    for per_metric in result.per_metric.values():
        assert per_metric.level[ONSET : ONSET + 60].max() < 0.6


def test_noisy_burst_is_one_incident() -> None:
    # A level that flaps across the opening threshold for an hour: one alert, not many.
    level = np.zeros(300)
    level[100:112] = [0.7, 0.5, 0.65, 0.3, 0.62, 0.2, 0.0, 0.7, 0.1, 0.61, 0.5, 0.3]
    assert incident_spans(level, Hysteresis(merge_gap=0)) != [(100, 111)]  # flaps without merge
    assert incident_spans(level) == [(100, 110)]


def test_hysteresis_opens_high_closes_low() -> None:
    level = np.array([0.0, 0.5, 0.59, 0.61, 0.5, 0.46, 0.44, 0.5, 0.59, 0.0] + [0.0] * 20)
    assert incident_spans(level, Hysteresis(merge_gap=0)) == [(3, 5)]


def test_minimum_duration_drops_blips() -> None:
    level = np.zeros(60)
    level[10] = 0.9
    level[30:35] = 0.9
    assert incident_spans(level, Hysteresis(min_rows=3)) == [(30, 34)]


def test_noisy_series_burst_end_to_end_gives_one_incident() -> None:
    rng = np.random.default_rng(6)
    values = daily_noise(N, seed=6)
    burst = slice(ONSET, ONSET + 30)
    values[burst] += rng.choice([0.0, 25.0], size=30)  # on/off for two and a half hours
    incident = only_incident_near(values)
    assert incident.end_row >= ONSET + 20


def test_actions_name_metric_and_host() -> None:
    text = recommended_action(Pattern.TREND, ("disk.used.percent:/var",), "db-1", 7200, True)
    assert text.startswith("Disk space (/var) on db-1 has risen steadily for 2 h")
    assert "free space" in text
    assert format_duration(6 * 3600) == "6 h"


@pytest.mark.parametrize("bad", [Hysteresis])
def test_hysteresis_rejects_inverted_thresholds(bad: type) -> None:
    with pytest.raises(ValueError):
        bad(open_above=0.4, close_below=0.6)
