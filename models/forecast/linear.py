"""Seasonal profile + an undamped linear trend: for metrics that fill up.

A disk filling at a steady rate keeps filling; the damped trend of ``profile_trend``
flattens within a season, so it puts a disk that will be full tomorrow at 90 % forever.
This model extrapolates the slope unchanged. The slope is the Theil-Sen slope (the median
of pairwise slopes, robust to one odd block) through the mean levels of the last
``cycles`` seasons (without a season, of ``cycles`` blocks over the last half of the
history): block means cancel the seasonal swing, so a daily peak is not mistaken for
growth. The level is smoothed around that line, so it does not lag behind a rising
series. The automatic choice only picks this model where the backtest says the trend
has held; elsewhere extrapolating it is a bet.
"""

from __future__ import annotations

import numpy as np

from models.forecast.profile import SeasonalProfile, smoothed_level


def theil_sen_slope(levels: np.ndarray) -> float:
    """Median of ``(levels[j] - levels[i]) / (j - i)`` over all pairs ``i < j``."""
    i, j = np.triu_indices(len(levels), k=1)
    return float(np.median((levels[j] - levels[i]) / (j - i))) if len(i) else 0.0


class LinearTrendProfile(SeasonalProfile):
    name = "linear"

    def _fit_level(self, deseasonalised: np.ndarray) -> None:
        self.slope_ = self._block_slope(deseasonalised)
        self.phi_ = 1.0
        # Smooth around the line: the level of x_t - slope * t, plus the line at the end.
        positions = np.arange(len(deseasonalised))
        detrended = deseasonalised - self.slope_ * positions
        self.alpha_ = self._choose_alpha(detrended)
        self.level_ = (
            float(smoothed_level(detrended, self.alpha_)[-1]) + self.slope_ * positions[-1]
        )

    def _block_slope(self, deseasonalised: np.ndarray) -> float:
        # Seasonal: one block per season. Otherwise the blocks span the last half of the
        # history, so a slope is not read off a few minutes of one-second data.
        n = len(deseasonalised)
        width = self.season_ if self.season_ > 1 else max(24, n // (2 * self.cycles))
        blocks = min(self.cycles, n // width)
        if blocks < 2:
            return 0.0
        tail = deseasonalised[len(deseasonalised) - blocks * width :]
        return theil_sen_slope(tail.reshape(blocks, width).mean(axis=1)) / width

    def _predict_core(self, horizon: int, exog_future: np.ndarray | None) -> np.ndarray:
        k = np.arange(1, horizon + 1)
        return self.level_ + self.slope_ * k + self._seasonal(self.n_ + k - 1)
