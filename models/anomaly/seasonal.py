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
FILTER_WIDTH = 3  # values per median before they reach a bin's mean


class SeasonalBandDetector(UnivariateDetector):
    """Score = ``|residual - median| / sigma`` of past residuals (like a robust z-score).

    ``period`` and ``bin_seconds`` set the seasonal phase (default: time of day in
    half-hour bins); ``alpha`` is how fast each bin's mean follows new values. The
    first value of a bin only initialises it (score 0).
    """

    def __init__(
        self,
        period: float = DAY,
        bin_seconds: float = 1800.0,
        alpha: float = 0.1,
        window: int = 288,
        refresh: int = 4,
        min_periods: int = 30,
    ) -> None:
        if period <= 0 or bin_seconds <= 0 or not 0.0 < alpha <= 1.0:
            raise ValueError("period and bin_seconds must be > 0 and alpha in (0, 1]")
        self.period = period
        self.bin_seconds = bin_seconds
        self.alpha = alpha
        self.window = window
        self.refresh = refresh
        self.min_periods = min_periods
        self.reset()

    @property
    def bins(self) -> int:
        return int(np.ceil(self.period / self.bin_seconds))

    def reset(self) -> None:
        self.profile_ = np.full(self.bins, np.nan)
        self.recent_ = np.full((self.bins, FILTER_WIDTH - 1), np.nan)  # last values per bin
        self.baseline_ = TrailingBaseline(
            median_and_iqr_scale, 2, self.window, self.refresh, self.min_periods
        )

    def expected(self, values: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
        """Each point's forecast from its bin's profile (NaN for a bin's first value); learns."""
        phase = np.floor(np.mod(timestamps, self.period) / self.bin_seconds).astype(np.int64)
        phase = np.minimum(phase, self.bins - 1)
        forecast = np.full(len(values), np.nan)
        order = np.argsort(phase, kind="stable")  # group points by bin, time order within
        bounds = np.flatnonzero(np.diff(phase[order])) + 1
        for positions in np.split(order, bounds):
            if not len(positions):
                continue
            bin_index = phase[positions[0]]
            forecast[positions] = self._learn_bin(bin_index, values[positions])
        return forecast

    def _learn_bin(self, bin_index: int, x: np.ndarray) -> np.ndarray:
        """The bin's mean before each of ``x`` (NaN before its first value); learns ``x``.

        The mean is fed the median of each value and the two before it in the bin,
        so an isolated outlier never enters the profile, while a lasting change
        does after two values.
        """
        extended = np.concatenate([self.recent_[bin_index], x])  # NaN: not seen yet
        windows = sliding_window_view(extended, FILTER_WIDTH)
        complete = ~np.isnan(windows[:, 0])  # NaNs only ever pad the front
        filtered = np.empty(len(x))
        filtered[complete] = np.median(windows[complete], axis=1)
        for row in np.flatnonzero(~complete):  # a bin's first values see fewer
            filtered[row] = np.median(windows[row][~np.isnan(windows[row])])
        self.recent_[bin_index] = extended[-(FILTER_WIDTH - 1) :]
        last = float(self.profile_[bin_index])
        forecast = np.full(len(x), np.nan)
        start = 0
        if np.isnan(last):
            last, start = float(filtered[0]), 1
        means = _exponential_means(filtered[start:].tolist(), last, self.alpha, 1.0 - self.alpha)
        forecast[start:] = [last, *means[:-1]]
        self.profile_[bin_index] = means[-1] if means else last
        return forecast

    def _score_finite(self, values: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
        forecast = self.expected(values, timestamps)
        known = ~np.isnan(forecast)
        residual = np.where(known, values - forecast, 0.0)
        stats = self.baseline_.apply(residual)
        return np.where(known, standardised_distance(residual, stats[:, 0], stats[:, 1]), 0.0)


def _exponential_means(values: list[float], last: float, alpha: float, keep: float) -> list[float]:
    """y_j = alpha * x_j + keep * y_(j-1). A plain loop (about 0.1 us a point) keeps the
    arithmetic identical for any chunk size, and avoids importing scipy.signal (slow)."""
    means = []
    for value in values:
        last = alpha * value + keep * last
        means.append(last)
    return means
