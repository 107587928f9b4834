"""Hour-of-day calibration of the bound a plan covers (live plans and the replay).

The forecaster's interval is calibrated on errors pooled over the whole day, so demand
whose surprises come at one time of day (a nightly batch job, a morning rush of varying
size) gets the same margin at 3 a.m. as at noon: too little when the surprise comes,
too much the rest of the day. The policy knows, for every past decision, the mean it
forecast for the interval it acted on and, once that interval has passed, the demand
there. Grouping those errors by the hour of day of the interval gives a group-
conditional (Mondrian) conformal bound: the mean plus the ``level`` quantile of that
hour's errors. The policy plans on the larger of this bound and the forecaster's; an
hour with fewer than ``min_samples`` errors keeps the forecaster's.

The replay's predictive policy records its errors as it goes; a live target has no
past decisions to learn from after a restart, so :func:`history_backtest` backtests
the forecaster over the last days of its history and :func:`hourly_from_backtest`
learns from those errors instead. Either way
:func:`raise_forecast` applies the result, and records what it added per step in
``details[HOURLY_RAISE]`` so the plan's reasoning can say why a number is higher than
the band.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.anomaly.base import epoch_seconds

if TYPE_CHECKING:
    from models.forecast import Forecast

DAY_SECONDS = 86_400.0
BIN_SECONDS = 3_600.0  # one hour of the day per group
# Fewer errors cannot give a finite conformal quantile at 97.5 % (one side of 95 %).
MIN_SAMPLES = 40
HOURLY_RAISE = "hourly_raise"  # Forecast.details key: what the calibration added per step
BACKTEST_DAYS = 7.0  # history a live target's calibration is learnt from
MEMORY = 400  # most recent errors kept per hour: weeks of 5-minute data, months of 30-minute


class HourlyCalibration:
    def __init__(
        self,
        level: int,
        bin_seconds: float = BIN_SECONDS,
        min_samples: int = MIN_SAMPLES,
        memory: int = MEMORY,
    ) -> None:
        self.quantile = 0.5 + level / 200  # upper bound of the central ``level`` % band
        self.bin_seconds = bin_seconds
        self.min_samples = min_samples
        self.memory = memory
        # Per hour: errors in arrival order (to forget the oldest) and sorted (to read a
        # quantile without sorting again at every decision).
        self._arrived: dict[int, deque[float]] = {}
        self._sorted: dict[int, list[float]] = {}

    def _bin(self, epoch_seconds: float) -> int:
        return int((epoch_seconds % DAY_SECONDS) // self.bin_seconds)

    def record(self, epoch_seconds: float, error: float) -> None:
        """``error`` = actual - forecast mean, for the interval starting at ``epoch_seconds``."""
        if not np.isfinite(error):
            return
        hour = self._bin(epoch_seconds)
        arrived = self._arrived.setdefault(hour, deque())
        ordered = self._sorted.setdefault(hour, [])
        if len(arrived) == self.memory:
            oldest = arrived.popleft()
            del ordered[bisect.bisect_left(ordered, oldest)]
        arrived.append(float(error))
        bisect.insort(ordered, float(error))

    def offset(self, epoch_seconds: float) -> float:
        """What to add to the mean at that time of day (NaN while the hour has too few)."""
        ordered = self._sorted.get(self._bin(epoch_seconds), [])
        n = len(ordered)
        if n < self.min_samples:
            return float("nan")
        # The finite-sample conformal correction, as for the forecaster's own intervals,
        # then numpy's default (linear) interpolation between order statistics.
        position = min(1.0, self.quantile * (n + 1) / n) * (n - 1)
        below = int(position)
        above = min(below + 1, n - 1)
        return ordered[below] + (position - below) * (ordered[above] - ordered[below])

    def raise_bound(
        self, epoch_seconds: np.ndarray, mean: np.ndarray, upper: np.ndarray
    ) -> np.ndarray:
        """``upper``, raised where the hour's errors say the mean needs more margin."""
        offsets = np.array([self.offset(t) for t in epoch_seconds])
        hourly = np.where(np.isfinite(offsets), mean + offsets, -np.inf)
        return np.maximum(upper, hourly)


def raise_forecast(forecast: Forecast, level: int, calibration: HourlyCalibration) -> Forecast:
    """``forecast`` with the upper bound of ``level`` (and of every wider band, so bands
    stay nested) raised by the calibration; unchanged when nothing is raised."""
    upper = np.asarray(forecast.upper[level], dtype=float)
    raised = calibration.raise_bound(
        epoch_seconds(forecast.timestamps), np.asarray(forecast.mean, dtype=float), upper
    )
    if np.array_equal(raised, upper):
        return forecast
    return lift_upper(
        forecast, level, raised, {HOURLY_RAISE: tuple(float(v) for v in raised - upper)}
    )


def lift_upper(
    forecast: Forecast, level: int, raised: np.ndarray, details: dict[str, object]
) -> Forecast:
    """``forecast`` with ``level``'s upper bound lifted to ``raised``, every wider band's
    at least as high (bands stay nested), and ``details`` added."""
    uppers = {
        other: np.maximum(np.asarray(bound, dtype=float), raised) if other >= level else bound
        for other, bound in forecast.upper.items()
    }
    return replace(forecast, upper=uppers, details={**forecast.details, **details})


def history_backtest(
    series: pd.Series,
    horizon: int,
    level: int,
    days: float = BACKTEST_DAYS,
    cancelled: Callable[[], bool] = lambda: False,
) -> pd.DataFrame | None:
    """Rolling-origin forecasts over the last ``days`` of ``series`` (each origin sees
    only the data before it), at every step up to ``horizon`` (None: too little data).
    ``cancelled()`` stops the backtest with ``BacktestCancelled``."""
    from models.forecast import ForecastError
    from models.forecast.backtest import BacktestCancelled, rolling_origin_backtest

    observed = series.dropna()
    if observed.empty:
        return None
    start = observed.index[-1] - pd.Timedelta(days=days)
    try:
        return rolling_origin_backtest(
            series, horizon, start, levels=(level,), cancelled=cancelled
        ).frame
    except BacktestCancelled:
        raise
    except ForecastError:
        return None


def hourly_from_backtest(frame: pd.DataFrame | None, level: int) -> HourlyCalibration:
    """Every error of a :func:`history_backtest`, by hour of day of its interval (no
    backtest, from too short a history: an empty calibration, which raises nothing)."""
    calibration = HourlyCalibration(level)
    if frame is None:
        return calibration
    errors = (frame["actual"] - frame["mean"]).to_numpy(dtype=float)
    for when, error in zip(epoch_seconds(frame["timestamp"]), errors, strict=True):
        calibration.record(float(when), float(error))
    return calibration
