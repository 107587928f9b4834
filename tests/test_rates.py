from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from models.rates import RateTracker, counter_delta, counter_rates


def test_plain_increase() -> None:
    rates = counter_rates(np.array([0.0, 1.0, 3.0]), np.array([100.0, 200.0, 600.0]))
    np.testing.assert_allclose(rates, [100.0, 200.0])


def test_32_bit_wrap_counts_the_increase_across_the_wrap() -> None:
    top = 2**32
    assert counter_delta(top - 100, 50) == 150


def test_64_bit_wrap() -> None:
    # Collectors pass raw Python ints, which keep full 64-bit precision.
    assert counter_delta(2**64 - 1000, 24) == 1024


def test_reset_counts_from_zero() -> None:
    # A host reboot: the counter restarts near zero. Rate = new value / interval.
    assert counter_delta(5_000_000, 1_000) == 1_000
    rates = counter_rates(np.array([0.0, 10.0, 20.0]), np.array([5_000_000.0, 5_001_000.0, 400.0]))
    np.testing.assert_allclose(rates, [100.0, 40.0])


def test_zero_length_interval_is_nan() -> None:
    rates = counter_rates(np.array([0.0, 0.0]), np.array([1.0, 2.0]))
    assert np.isnan(rates[0])


def test_tracker_first_reading_has_no_rate_and_later_ones_do() -> None:
    tracker = RateTracker()
    assert tracker.update("net", 0.0, 1000.0) is None
    assert tracker.update("net", 2.0, 3000.0) == 1000.0
    assert tracker.update("net", 3.0, 10.0) == 10.0  # reset
    assert tracker.update("net", 3.0, 20.0) is None  # clock did not move


@given(
    start=st.integers(min_value=0, max_value=2**32 - 1),
    steps=st.lists(st.integers(min_value=0, max_value=2**20), min_size=1, max_size=50),
)
def test_rates_of_a_wrapping_32_bit_counter_match_the_true_increments(
    start: int, steps: list[int]
) -> None:
    true_totals = np.cumsum([start, *steps])
    register = true_totals % 2**32
    rates = counter_rates(np.arange(len(register), dtype=float), register.astype(float))
    np.testing.assert_allclose(rates, np.array(steps, dtype=float))
