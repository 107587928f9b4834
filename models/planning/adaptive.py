"""An adaptive margin: widen the planned-on bound while it has been missing too often.

The forecaster's interval and the hour-of-day calibration (:mod:`models.planning.hourly`)
are both learnt from errors pooled over weeks. When demand turns more volatile than
those weeks were (a new release, a noisy neighbour, a level shift), the bound misses
far more often than its level promises until the old errors age out. Adaptive
conformal inference (Gibbs & Candès, 2021) corrects that online: after each interval
the policy acted on has passed, the miss indicator moves a log-scale factor on the
margin above the mean,

    log_factor += rate × (missed − target_miss_rate)

so a run of misses widens the margin at once and a run of hits lets it shrink slowly
(``target_miss_rate`` is 2.5 % for the 95 % band: one miss undoes 39 hits). It only
ever *widens* (the factor never drops below 1): narrowing a calibrated bound after a
quiet spell buys little and costs misses when the quiet ends, which measured worse in
the replay (bench_replay). The factor is also capped, so one wild stretch of data
cannot make every later plan absurd.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from models.anomaly.base import epoch_seconds
from models.planning.hourly import HourlyCalibration, lift_upper, raise_forecast

if TYPE_CHECKING:
    import pandas as pd

    from models.forecast import Forecast

# Step size of the update: 0.15-0.3 all measured alike in bench_replay; 0.6 oscillated.
RATE = 0.2
MAX_FACTOR = 3.0  # the margin is at most this many times the calibrated one
ADAPTIVE_FACTOR = "adaptive_factor"  # Forecast.details key: the factor applied


class AdaptiveMargin:
    def __init__(self, level: int, rate: float = RATE, max_factor: float = MAX_FACTOR) -> None:
        self.target_miss_rate = 0.5 - level / 200  # one side of the central band
        self.rate = rate
        self.max_log = math.log(max_factor)
        self.log_factor = 0.0
        self.misses = 0
        self.checks = 0

    @property
    def factor(self) -> float:
        return math.exp(self.log_factor)

    def record(self, actual: float, bound: float) -> None:
        """One passed interval: ``bound`` is what was planned on (before headroom)."""
        if not (math.isfinite(actual) and math.isfinite(bound)):
            return
        missed = actual > bound
        self.checks += 1
        self.misses += missed
        step = self.rate * (float(missed) - self.target_miss_rate)
        self.log_factor = min(max(self.log_factor + step, 0.0), self.max_log)

    def widen(self, forecast: Forecast, level: int) -> Forecast:
        """``forecast`` with the margin of ``level``'s upper bound (and of every wider
        band, so bands stay nested) scaled by the factor; unchanged at factor 1."""
        factor = self.factor
        if factor == 1.0:
            return forecast
        mean = np.asarray(forecast.mean, dtype=float)
        upper = np.asarray(forecast.upper[level], dtype=float)
        return lift_upper(forecast, level, self.widened(mean, upper), {ADAPTIVE_FACTOR: factor})

    def widened(self, mean: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """``upper`` with its margin above ``mean`` scaled by the factor (never lower)."""
        widened = mean + self.factor * np.maximum(upper - mean, 0.0)
        return np.where(np.isfinite(widened), np.maximum(widened, upper), upper)


def calibrated_forecast(
    forecast: Forecast,
    level: int,
    hourly: HourlyCalibration | None,
    margin: AdaptiveMargin | None,
) -> Forecast:
    """The forecast a plan covers: ``level``'s bound raised by the hour-of-day
    calibration, then its margin widened by the adaptive factor (either may be off)."""
    if hourly is not None:
        forecast = raise_forecast(forecast, level, hourly)
    if margin is not None:
        forecast = margin.widen(forecast, level)
    return forecast


def margin_from_backtest(frame: pd.DataFrame | None, level: int) -> AdaptiveMargin:
    """The margin a live target's own recent past calls for: its history backtest
    (:func:`models.planning.hourly.history_backtest`) replayed in time order, as the
    replay's policy learns as it goes. At each origin the one-step-ahead bound is
    raised by an hour-of-day calibration of the errors already known then (not the
    week's, which would know the misses in advance) and widened by the factor of that
    moment; its hit or miss moves the factor."""
    margin = AdaptiveMargin(level)
    if frame is None or frame.empty:
        return margin
    hourly = HourlyCalibration(level)
    by_time = frame.sort_values("timestamp", kind="stable")
    known_at = epoch_seconds(by_time["timestamp"])
    errors = (by_time["actual"] - by_time["mean"]).to_numpy(dtype=float)
    ahead = frame[frame["step"] == 1].sort_values("origin", kind="stable")
    origins = epoch_seconds(ahead["origin"])
    mean = ahead["mean"].to_numpy(dtype=float)
    upper = ahead[f"hi_{level}"].to_numpy(dtype=float)
    actual = ahead["actual"].to_numpy(dtype=float)
    learnt = 0
    for i, origin in enumerate(origins):
        while learnt < len(known_at) and known_at[learnt] < origin:  # passed by then
            hourly.record(float(known_at[learnt]), float(errors[learnt]))
            learnt += 1
        bound = hourly.raise_bound(origins[i : i + 1], mean[i : i + 1], upper[i : i + 1])
        margin.record(float(actual[i]), float(margin.widened(mean[i : i + 1], bound)[0]))
    return margin
