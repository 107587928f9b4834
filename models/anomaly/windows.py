"""Trailing-window statistics computed in bulk but exactly as a stream would.

``TrailingBaseline`` recomputes a statistic of the last ``width`` values *before* a
point every ``refresh`` points and holds it in between. Refreshing on a fixed global
count (not on chunk boundaries) makes chunked and point-by-point feeding give
bit-identical numbers, and refreshing every few points instead of every point is
what makes robust (median-based) baselines fast enough for 100k points/s.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from models.anomaly.base import StatefulMixin

# rows (k x width) -> statistics (k x outputs); must treat each row independently
RowStatistic = Callable[[np.ndarray], np.ndarray]

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation
MEAN_ABS_TO_SIGMA = 1.2533  # same for the mean absolute deviation
IQR_TO_SIGMA = 1 / 1.349  # same for the interquartile range


def median_and_scale(rows: np.ndarray) -> np.ndarray:
    """Median and a robust spread per row: MAD, or the mean absolute deviation when
    more than half the values are equal (MAD 0 on quantised or mostly flat data)."""
    median = np.median(rows, axis=1)
    deviation = np.abs(rows - median[:, None])
    mad = np.median(deviation, axis=1) * MAD_TO_SIGMA
    mean_abs = deviation.mean(axis=1) * MEAN_ABS_TO_SIGMA
    return np.column_stack([median, np.maximum(mad, mean_abs)])


def median_and_iqr_scale(rows: np.ndarray) -> np.ndarray:
    """Median and IQR / 1.349 (a standard deviation on normal data) from one partition,
    about twice as fast as the MAD; mean absolute deviation when the IQR is 0."""
    width = rows.shape[1]
    middle, low, high = width // 2, width // 4, (3 * width) // 4
    below_middle = middle - 1 if width % 2 == 0 and width > 1 else middle
    ordered = np.partition(rows, sorted({low, below_middle, middle, high}), axis=1)
    median = (ordered[:, below_middle] + ordered[:, middle]) / 2.0
    iqr = (ordered[:, high] - ordered[:, low]) * IQR_TO_SIGMA
    mean_abs = np.abs(rows - median[:, None]).mean(axis=1) * MEAN_ABS_TO_SIGMA
    return np.column_stack([median, np.maximum(iqr, mean_abs)])


def quartiles(rows: np.ndarray) -> np.ndarray:
    return np.percentile(rows, [25.0, 75.0], axis=1).T


class TrailingBaseline(StatefulMixin):
    """A statistic of the ``width`` values before each point, refreshed every ``refresh``."""

    def __init__(
        self,
        statistic: RowStatistic,
        outputs: int,
        width: int,
        refresh: int = 1,
        min_periods: int = 10,
        block: int = 4096,
    ) -> None:
        if width < 1 or refresh < 1 or min_periods < 1:
            raise ValueError("width, refresh and min_periods must be >= 1")
        self.statistic = statistic
        self.outputs = outputs
        self.width = width
        self.refresh = refresh
        self.min_periods = min(min_periods, width)
        self.block = block
        self.reset()

    def reset(self) -> None:
        self.history_ = np.empty(0)
        self.count_ = 0
        self.current_ = np.full(self.outputs, np.nan)

    def apply(self, chunk: np.ndarray) -> np.ndarray:
        """Statistics in effect at each point of ``chunk`` (n x outputs), then absorb it."""
        if len(chunk) == 1:
            return self._apply_one(float(chunk[0]))
        n = len(chunk)
        held = len(self.history_)
        extended = np.concatenate([self.history_, chunk])
        at = np.flatnonzero((self.count_ + np.arange(n)) % self.refresh == 0)
        fresh = np.full((len(at), self.outputs), np.nan)
        # Points whose past fills a whole window go through one vectorised call per block.
        full = at[held + at >= self.width]
        if len(full):
            windows = sliding_window_view(extended, self.width)
            first = np.searchsorted(at, full[0])
            for start in range(0, len(full), self.block):
                part = full[start : start + self.block]
                fresh[first + start : first + start + len(part)] = self.statistic(
                    windows[held + part - self.width]
                )
        # The first points of a stream see a shorter past.
        for slot in np.flatnonzero(held + at < self.width):
            past = held + at[slot]
            if past >= self.min_periods:
                fresh[slot] = self.statistic(extended[None, :past])[0]
        table = np.vstack([self.current_[None, :], fresh])
        segment = np.searchsorted(at, np.arange(n), side="right")
        self.current_ = table[-1].copy()
        self.history_ = extended[-self.width :].copy()
        self.count_ += n
        return table[segment]

    def _apply_one(self, value: float) -> np.ndarray:
        """The same numbers as ``apply`` on a one-point chunk, with less numpy overhead."""
        if self.count_ % self.refresh == 0:
            if len(self.history_) >= self.min_periods:
                self.current_ = self.statistic(self.history_[None, :])[0]
            else:
                self.current_ = np.full(self.outputs, np.nan)
        in_effect = self.current_[None, :].copy()
        self.history_ = np.append(self.history_, value)[-self.width :]
        self.count_ += 1
        return in_effect


class TrailingMax(StatefulMixin):
    """The maximum of the ``width`` values before each point (-inf before the first)."""

    def __init__(self, width: int) -> None:
        if width < 1:
            raise ValueError("width must be >= 1")
        self.width = width
        self.reset()

    def reset(self) -> None:
        self.history_ = np.empty(0)

    def apply(self, chunk: np.ndarray) -> np.ndarray:
        if len(chunk) == 1:  # live feeding: skip the block machinery
            before = self.history_.max() if len(self.history_) else -np.inf
            self.history_ = np.append(self.history_, chunk)[-self.width :]
            return np.array([before])
        # -inf stands for the values before the stream started.
        padded = np.concatenate(
            [np.full(self.width - len(self.history_), -np.inf), self.history_, chunk]
        )
        before = sliding_max(padded, self.width)[: len(chunk)]
        self.history_ = padded[-self.width :].copy()
        return before


def sliding_max(values: np.ndarray, width: int) -> np.ndarray:
    """``max(values[j : j + width])`` for every full window, O(1) a point (van Herk / Gil-Werman):
    the maximum of a window is the larger of a block suffix and the next block's prefix."""
    count = len(values) - width + 1
    if count <= 0:
        return np.empty(0)
    padded = np.concatenate([values, np.full(-len(values) % width, -np.inf)])
    blocks = padded.reshape(-1, width)
    prefix = np.maximum.accumulate(blocks, axis=1).ravel()
    suffix = np.maximum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    starts = np.arange(count)
    return np.maximum(suffix[starts], prefix[starts + width - 1])


def sliding_median(values: np.ndarray, width: int) -> np.ndarray:
    """``median(values[j : j + width])`` for every full window, equal to numpy's median
    (the mean of the two middle values for an even width). SciPy's 1-D rank filter keeps
    the window ordered as it slides: 40x faster than sorting every window at width 288.
    ``values`` must be finite (a NaN has no rank)."""
    from scipy.ndimage import rank_filter

    count = len(values) - width + 1
    if count <= 0:
        return np.empty(0)
    values = np.asarray(values, dtype=float)
    # origin (width - 1) // 2 ends each window at its output point: a trailing window.
    origin = (width - 1) // 2
    lower = rank_filter(values, (width - 1) // 2, size=width, mode="nearest", origin=origin)
    if width % 2:
        return lower[width - 1 :]
    upper = rank_filter(values, width // 2, size=width, mode="nearest", origin=origin)
    return ((lower + upper) / 2)[width - 1 :]


class TimedTrailingMax(StatefulMixin):
    """The maximum of the values of the last ``seconds`` before each point (-inf if none).

    The memory is defined in time so it means the same thing at any sampling rate;
    ``max_rows`` bounds it in rows too (and is the whole memory when timestamps are
    missing, i.e. all equal). Timestamps are treated as a clock that never goes back.
    Exact (a maximum involves no rounding), so chunked and point-by-point feeding agree.
    """

    def __init__(self, seconds: float, max_rows: int = 20_000) -> None:
        if seconds <= 0 or max_rows < 1:
            raise ValueError("seconds must be > 0 and max_rows >= 1")
        self.seconds = seconds
        self.max_rows = max_rows
        self.reset()

    def reset(self) -> None:
        self.values_ = np.empty(0)
        self.times_ = np.empty(0)

    def apply(self, chunk: np.ndarray, times: np.ndarray) -> np.ndarray:
        if len(chunk) == 1:
            return self._apply_one(float(chunk[0]), float(times[0]))
        held = len(self.values_)
        clock_start = self.times_[-1] if held else -np.inf
        clock = np.maximum.accumulate(np.concatenate([[clock_start], times]))[1:]
        values = np.concatenate([self.values_, chunk])
        stamps = np.concatenate([self.times_, clock])
        position = held + np.arange(len(chunk))
        # First row still inside the memory of each point: later than t - seconds, and
        # no more than max_rows rows back.
        first = np.searchsorted(stamps, clock - self.seconds, side="right")
        first = np.maximum(first, position - self.max_rows)
        before = range_max(values, first, position)
        keep = max(0, len(values) - self.max_rows)
        keep = max(keep, int(np.searchsorted(stamps, stamps[-1] - self.seconds, side="right")))
        self.values_, self.times_ = values[keep:].copy(), stamps[keep:].copy()
        return before

    def _apply_one(self, value: float, time: float) -> np.ndarray:
        """The same numbers as ``apply`` on a one-point chunk, with less numpy overhead."""
        clock = max(time, self.times_[-1]) if len(self.times_) else time
        first = int(np.searchsorted(self.times_, clock - self.seconds, side="right"))
        first = max(first, len(self.values_) - self.max_rows)
        before = self.values_[first:].max() if first < len(self.values_) else -np.inf
        values, stamps = np.append(self.values_, value), np.append(self.times_, clock)
        keep = max(len(values) - self.max_rows, first)
        self.values_, self.times_ = values[keep:], stamps[keep:]
        return np.array([before])


def range_max(values: np.ndarray, first: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """``max(values[first[k] : stop[k]])`` for every k (-inf for an empty range), with a
    sparse table: O(n log n) to build, O(1) per query, fully vectorised."""
    result = np.full(len(first), -np.inf)
    nonempty = stop > first
    if not nonempty.any() or not len(values):
        return result
    lo, hi = first[nonempty], stop[nonempty]
    length = hi - lo
    level = np.floor(np.log2(length)).astype(np.int64)
    # Guard against log2 rounding at exact powers of two.
    level -= (1 << level) > length
    level += (1 << (level + 1)) <= length
    # tables[k, j] = max(values[j : j + 2**k]), -inf past the end.
    tables = np.full((int(level.max()) + 1, len(values)), -np.inf)
    tables[0] = values
    for k in range(1, len(tables)):
        half = 1 << (k - 1)
        np.maximum(tables[k - 1, :-half], tables[k - 1, half:], out=tables[k, :-half])
    result[nonempty] = np.maximum(tables[level, lo], tables[level, hi - (1 << level)])
    return result
