"""The drift component: a sustained shift too small and slow for the hour-against-a-day
level shift, on a series whose routine short bursts are larger."""

from __future__ import annotations

import numpy as np

from models.anomaly.combined import CombinedDetector

STEP = 300.0


def bursty_then_shifted(seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """Five-minute data around 50; a 90-minute burst of +6 every 8 hours (routine), and
    from day 12 a lasting shift of +3: half a burst, but it never goes back."""
    rng = np.random.default_rng(seed)
    n = 14 * 288
    values = 50 + rng.normal(0, 1, n)
    for start in range(100, 12 * 288, 96):
        values[start : start + 18] += 6
    shift_at = 12 * 288 + 40
    values[shift_at:] += 3
    return values, 1.7e9 + STEP * np.arange(n), shift_at


def test_a_lasting_small_shift_is_unprecedented_only_on_the_slow_scale() -> None:
    values, stamps, shift_at = bursty_then_shifted()
    after = slice(shift_at, shift_at + 144)  # the 12 hours after the shift began
    week_before = slice(shift_at - 7 * 288, shift_at)
    with_drift = CombinedDetector().score_components(values, stamps)
    without = CombinedDetector(drift_seconds=None).score_components(values, stamps)
    assert "drift" not in without.components
    drift = with_drift.components["drift"]
    # Bursts move a 6-hour median little; the shift moves it by 3.
    assert drift[after].max() > 3 * drift[week_before].max()
    # The shift is more unusual than anything in the past week (score > 0.5) only with it.
    assert with_drift.score[after].max() > 0.5
    assert without.score[after].max() < 0.5
    # Everything the other components say is unchanged.
    for name, raw in without.components.items():
        np.testing.assert_array_equal(with_drift.components[name], raw)


def test_the_slow_scale_is_sized_in_time() -> None:
    values, stamps, _ = bursty_then_shifted()
    detector = CombinedDetector()
    detector.score(values[:20], stamps[:20])
    drift = detector.components["drift"]
    assert (drift.recent, drift.reference) == (72, 864)  # 6 hours against 3 days
    half_hourly = CombinedDetector()
    half_hourly.score(values[:20], 1.7e9 + 1800.0 * np.arange(20))
    drift = half_hourly.components["drift"]
    assert (drift.recent, drift.reference) == (12, 288)  # never fewer rows than statistics need
    per_second = CombinedDetector()
    per_second.score(values[:20], 1.7e9 + np.arange(20.0))
    drift = per_second.components["drift"]
    assert (drift.recent, drift.reference) == (288, 15_000)  # bounded cost per point
