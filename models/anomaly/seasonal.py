"""Forecast-band breach on seasonal residuals.

A seasonal profile is learnt online: one exponentially weighted mean per phase bin
(time of day, or of week), fed through a median of three so that one anomalous
value never bends it (fed raw, a single blip on a constant series left an error in
its bin for days, and against the zero spread of a constant series that error
scored as huge). The forecast for a point is its bin's mean *before* the point
arrives; the residual is measured against a robust band (median and sigma) of the
residuals of the ``window`` points before it.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from models.anomaly.base import UnivariateDetector
from models.anomaly.robust_z import standardised_distance
from models.anomaly.windows import TrailingBaseline, median_and_iqr_scale

DAY = 86_400.0
WEEK = 7 * DAY
FILTER_WIDTH = 3  # values per median before they reach a bin's mean (a median of three)
UNIFORM_TO_SIGMA = 1 / np.sqrt(12)  # standard deviation of rounding to a step of 1


class SeasonalBandDetector(UnivariateDetector):
    """Score = ``|residual - median| / sigma`` of past residuals (like a robust z-score).

    ``period`` and ``bin_seconds`` set the seasonal phase (default: time of day in
    half-hour bins); ``alpha`` is how fast each bin's mean follows new values. A bin
    scores 0 until it has values from ``min_cycles`` earlier periods: one day says
    nothing about what is normal at 3 am, and these early residuals are kept out of
    the band too, so they cannot make it look narrower than it is.
    """

    def __init__(
        self,
        period: float = DAY,
        bin_seconds: float = 1800.0,
        alpha: float = 0.1,
        window: int = 288,
        refresh: int = 4,
        min_periods: int = 30,
        min_cycles: int = 1,
    ) -> None:
        if period <= 0 or bin_seconds <= 0 or not 0.0 < alpha <= 1.0 or min_cycles < 1:
            raise ValueError("need period, bin_seconds > 0, alpha in (0, 1], min_cycles >= 1")
        self.period = period
        self.bin_seconds = bin_seconds
        self.alpha = alpha
        self.window = window
        self.refresh = refresh
        self.min_periods = min_periods
        self.min_cycles = min_cycles
        self.reset()

    @property
    def bins(self) -> int:
        return int(np.ceil(self.period / self.bin_seconds))

    def reset(self) -> None:
        self.profile_ = np.full(self.bins, np.nan)
        self.recent_ = np.full((self.bins, FILTER_WIDTH - 1), np.nan)  # last values per bin
        self.cycles_ = np.zeros(self.bins, dtype=np.int64)  # periods each bin has seen
        self.last_cycle_ = np.full(self.bins, -(2**62), dtype=np.int64)
        self.last_ = np.nan
        self.resolution_ = np.inf
        self.baseline_ = TrailingBaseline(
            median_and_iqr_scale, 2, self.window, self.refresh, self.min_periods
        )

    def expected(self, values: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
        """Each point's forecast from its bin's profile (NaN while the bin is too young); learns."""
        cycle = np.floor(timestamps / self.period).astype(np.int64)
        phase = np.floor(np.mod(timestamps, self.period) / self.bin_seconds).astype(np.int64)
        phase = np.minimum(phase, self.bins - 1)
        if len(values) == 1:  # live feeding: skip the grouping machinery
            forecast = self._learn_bin(int(phase[0]), values)
            return forecast if self._count_cycles(int(phase[0]), cycle)[0] else np.full(1, np.nan)
        forecast = np.full(len(values), np.nan)
        order = np.argsort(phase, kind="stable")  # group points by bin, time order within
        bounds = np.flatnonzero(np.diff(phase[order])) + 1
        for positions in np.split(order, bounds):
            if not len(positions):
                continue
            bin_index = phase[positions[0]]
            forecast[positions] = self._learn_bin(bin_index, values[positions])
            forecast[positions[~self._count_cycles(bin_index, cycle[positions])]] = np.nan
        return forecast

    def _count_cycles(self, bin_index: int, cycle: np.ndarray) -> np.ndarray:
        """Whether each point's bin already has values from ``min_cycles`` earlier periods."""
        previous = np.concatenate([[self.last_cycle_[bin_index]], cycle[:-1]])
        seen = self.cycles_[bin_index] + np.cumsum(cycle != previous)  # including this one
        self.cycles_[bin_index], self.last_cycle_[bin_index] = seen[-1], cycle[-1]
        return seen - 1 >= self.min_cycles

    def _learn_bin(self, bin_index: int, x: np.ndarray) -> np.ndarray:
        """The bin's mean before each of ``x`` (NaN before its first value); learns ``x``.

        The mean is fed the median of each value and the two before it in the bin,
        so an isolated outlier never enters the profile, while a lasting change
        does after two values.
        """
        if len(x) == 1 and not np.isnan(self.recent_[bin_index][0]):
            return self._learn_one(bin_index, float(x[0]))
        extended = np.concatenate([self.recent_[bin_index], x])  # NaN: not seen yet
        windows = sliding_window_view(extended, FILTER_WIDTH)
        complete = ~np.isnan(windows[:, 0])  # NaNs only ever pad the front
        filtered = np.empty(len(x))
        a, b, c = windows[complete].T
        filtered[complete] = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
        for row in np.flatnonzero(~complete):  # a bin's first values see fewer
            filtered[row] = np.median(windows[row][~np.isnan(windows[row])])
        self.recent_[bin_index] = extended[len(extended) - (FILTER_WIDTH - 1) :]
        last = float(self.profile_[bin_index])
        forecast = np.full(len(x), np.nan)
        start = 0
        if np.isnan(last):
            last, start = float(filtered[0]), 1
        means = _exponential_means(filtered[start:].tolist(), last, self.alpha, 1.0 - self.alpha)
        forecast[start:] = [last, *means[:-1]]
        self.profile_[bin_index] = means[-1] if means else last
        return forecast

    def _learn_one(self, bin_index: int, value: float) -> np.ndarray:
        """``_learn_bin`` for one value of a bin that has seen two already: same arithmetic."""
        first, second = self.recent_[bin_index]
        low, high = min(first, second), max(first, second)
        filtered = max(low, min(high, value))
        self.recent_[bin_index] = (second, value)
        last = float(self.profile_[bin_index])
        self.profile_[bin_index] = self.alpha * filtered + (1.0 - self.alpha) * last
        return np.array([last])

    def _score_finite(self, values: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
        forecast = self.expected(values, timestamps)
        known = ~np.isnan(forecast)
        resolution = self._resolution(values)
        scores = np.zeros(len(values))
        if known.any():
            residual = values[known] - forecast[known]
            stats = self.baseline_.apply(residual)
            scale = np.maximum(stats[:, 1], resolution[known] * UNIFORM_TO_SIGMA)
            scores[known] = standardised_distance(residual, stats[:, 0], scale)
        return scores

    def _resolution(self, values: np.ndarray) -> np.ndarray:
        """Smallest change between consecutive values seen before each point (inf: none).

        A forecast error below the metric's own resolution is rounding, not news: on
        a series that was constant apart from one burst, what is left of the burst in
        the profile would otherwise be measured against a spread of zero.
        """
        if len(values) == 1:  # live feeding
            before, step = self.resolution_, abs(float(values[0]) - self.last_)
            if step > 0:  # False for NaN (no previous value)
                self.resolution_ = min(self.resolution_, step)
            self.last_ = float(values[0])
            return np.array([0.0 if np.isinf(before) else before])
        steps = np.abs(np.diff(np.concatenate([[self.last_], values])))
        steps = np.where(steps > 0, steps, np.inf)  # also NaN: no previous value
        smallest = np.minimum.accumulate(np.concatenate([[self.resolution_], steps]))
        self.last_, self.resolution_ = float(values[-1]), float(smallest[-1])
        before = smallest[:-1]  # strictly before each point: a first change scores in full
        return np.where(np.isinf(before), 0.0, before)


def _exponential_means(values: list[float], last: float, alpha: float, keep: float) -> list[float]:
    """y_j = alpha * x_j + keep * y_(j-1). A plain loop (about 0.1 us a point) keeps the
    arithmetic identical for any chunk size, and avoids importing scipy.signal (slow)."""
    means = []
    for value in values:
        last = alpha * value + keep * last
        means.append(last)
    return means
