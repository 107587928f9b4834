"""Sliding-window statistics equal the obvious (slow) computation."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from models.anomaly.windows import sliding_median


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=60),
    width=st.integers(1, 20),
    quantised=st.booleans(),
)
def test_sliding_median_is_numpys_median_of_every_full_window(
    values: list[float], width: int, quantised: bool
) -> None:
    data = np.round(np.asarray(values, dtype=float) / 1e5) if quantised else np.asarray(values)
    got = sliding_median(data, width)
    if len(data) < width:
        assert len(got) == 0
        return
    expected = np.median(sliding_window_view(data, width), axis=1)
    np.testing.assert_array_equal(got, expected)  # ties and even widths included
