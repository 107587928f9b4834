"""Rolling-origin backtest: forecasts from many origins, each using only earlier data.

An *origin* is a grid point; the model has seen every point strictly before it, and step
``k`` forecasts the point ``origin + (k - 1) * step`` (step 1 forecasts the origin itself).
The model is refitted every ``refit_every`` origins and, between refits, only filters the
new observations through its state (``update``), which is what makes ten thousand
origins affordable. Intervals use only past errors: those from the model's own fit-time
calibration plus the errors of earlier origins whose targets are already in the past,
recomputed every ``recalibrate_every`` origins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.evaluation.metrics import seasonal_scale
from models.evaluation.scoreboard import score
from models.forecast.auto import AutoForecaster
from models.forecast.base import DEFAULT_LEVELS, ForecastError, check_levels
from models.forecast.cancel import FitCancelled, cancellable
from models.forecast.core import BaseForecaster
from models.forecast.intervals import ResidualCalibrator
from models.forecast.prepare import regularise
from models.forecast.registry import FAST_CANDIDATES, make_model
from models.forecast.seasonality import detect_seasonality
from models.forecast.threads import single_threaded

MIN_HISTORY = 3
ONLINE_ROWS = 250  # past origins whose errors feed the intervals (a rolling window)
MIN_FEEDBACK = 200  # known (origin, step) outcomes before coverage feedback kicks in


class NoOrigins(ForecastError):
    """No grid point at or after the requested start has enough history before it."""

    def __init__(self, start: pd.Timestamp, last: pd.Timestamp) -> None:
        self.start = start
        self.last = last
        super().__init__(
            f"no origin with at least {MIN_HISTORY} earlier points between {start} and {last}"
        )


class BacktestCancelled(ForecastError):
    def __init__(self, done: int, total: int) -> None:
        self.done = done
        self.total = total
        super().__init__(f"backtest cancelled after {done} of {total} origins")


@dataclass(frozen=True)
class BacktestResult:
    frame: pd.DataFrame  # origin, step, timestamp, actual, mean, lo_L, hi_L, ... (see CLI)
    metrics: dict[str, float]
    origins: int
    refits: int
    models: tuple[str, ...]  # the model chosen at each refit (auto) or the model's name


def make_forecaster(
    model: str, horizon: int, candidates: Sequence[str] = FAST_CANDIDATES
) -> BaseForecaster | AutoForecaster:
    if model == "auto":
        return AutoForecaster(candidates=candidates, calibration_horizon=horizon)
    return make_model(model, calibration_horizon=horizon)


def rolling_origin_backtest(
    series: pd.Series,
    horizon: int,
    start: pd.Timestamp,
    *,
    model: str = "auto",
    candidates: Sequence[str] = FAST_CANDIDATES,
    refit_every: int = 288,
    levels: Sequence[int] = DEFAULT_LEVELS,
    recalibrate_every: int = 24,
    progress: Callable[[int, int], None] = lambda done, total: None,
    cancelled: Callable[[], bool] = lambda: False,
) -> BacktestResult:
    levels = check_levels(levels)
    grid = regularise(series)
    index, values = grid.index, grid.values
    start = pd.Timestamp(start)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    first = max(int(np.searchsorted(index, start, side="left")), MIN_HISTORY)
    origins = np.arange(first, len(values))
    if len(origins) == 0:
        raise NoOrigins(start, index[-1])
    # ``cancelled`` also stops a refit in the middle (models.forecast.cancel).
    with single_threaded(), cancellable(cancelled):
        return _run(index, values, origins, horizon, model, candidates, refit_every, levels,
                    recalibrate_every, progress, cancelled)  # fmt: skip


def _run(
    index: pd.DatetimeIndex,
    values: np.ndarray,
    origins: np.ndarray,
    horizon: int,
    model_name: str,
    candidates: Sequence[str],
    refit_every: int,
    levels: tuple[int, ...],
    recalibrate_every: int,
    progress: Callable[[int, int], None],
    cancelled: Callable[[], bool],
) -> BacktestResult:
    n_origins = len(origins)
    means = np.full((n_origins, horizon), np.nan)
    lowers = {level: np.full((n_origins, horizon), np.nan) for level in levels}
    uppers = {level: np.full((n_origins, horizon), np.nan) for level in levels}
    padded = np.concatenate([values, np.full(horizon, np.nan)])
    targets = origins[:, None] + np.arange(horizon)[None, :]
    actual = padded[targets]
    model: BaseForecaster | AutoForecaster | None = None
    seen = 0  # grid points the model has consumed
    refit_at = 0
    chosen: list[str] = []
    offsets: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for row, origin in enumerate(origins):
        if row % 50 == 0:
            if cancelled():
                raise BacktestCancelled(row, n_origins)
            progress(row, n_origins)
        if model is None or row - refit_at >= refit_every:
            model = make_forecaster(model_name, horizon, candidates)
            history = pd.Series(values[:origin], index=index[:origin])
            try:
                model.fit(history)
            except FitCancelled:
                raise BacktestCancelled(row, n_origins) from None
            # The prepared series ends at the last *valid* row: feed the missing tail as NaN.
            tail = int(round((index[origin - 1] - model.last_timestamp) / (index[1] - index[0])))
            if tail > 0:
                model.update(np.full(tail, np.nan))
            seen, refit_at = origin, row
            chosen.append(getattr(model, "chosen_", model_name))
            offsets = {}
        elif origin > seen:
            model.update(values[seen:origin])
            seen = origin
        if not offsets or (row - refit_at) % recalibrate_every == 0:
            offsets = _past_offsets(
                model, actual, means, (lowers, uppers), origins, row, levels, horizon
            )
        mean = model.predict_mean(horizon)
        means[row] = mean
        for level in levels:
            lowers[level][row] = mean + offsets[level][0]
            uppers[level][row] = mean + offsets[level][1]
    progress(n_origins, n_origins)
    frame = _frame(index, origins, horizon, actual, means, lowers, uppers, values)
    history = values[: origins[0]]
    season = _season(history, index)
    metrics = score(frame, seasonal_scale(history, season), levels)
    return BacktestResult(frame, metrics, n_origins, len(chosen), tuple(chosen))


def _past_offsets(
    model: BaseForecaster | AutoForecaster,
    actual: np.ndarray,
    means: np.ndarray,
    bounds: tuple[dict[int, np.ndarray], dict[int, np.ndarray]],
    origins: np.ndarray,
    row: int,
    levels: tuple[int, ...],
    horizon: int,
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Interval offsets from errors known before ``origins[row]`` only.

    Adaptive conformal step: when the intervals already issued missed more (or less) often
    than nominal over the recent origins, the quantile level used is moved by the gap,
    so coverage recovers after the data's behaviour changes (Gibbs & Candes, 2021).
    """
    begin = max(0, row - ONLINE_ROWS)
    target_positions = origins[begin:row, None] + np.arange(horizon)[None, :]
    known = (target_positions < origins[row]) & np.isfinite(actual[begin:row])
    errors = np.where(known, actual[begin:row] - means[begin:row], np.nan)
    fitted = model.calibrator_
    if fitted.errors.size:
        previous = fitted.errors[:, :horizon]
        if previous.shape[1] < horizon:
            previous = np.pad(previous, ((0, 0), (0, horizon - previous.shape[1])),
                              constant_values=np.nan)  # fmt: skip
        errors = np.vstack([previous, errors])
    used: dict[int, float] = {}
    floor = 0.0
    for level in levels:
        adjusted = float(level)
        if known.sum() >= MIN_FEEDBACK:
            lower, upper = bounds[0][level][begin:row], bounds[1][level][begin:row]
            observed = actual[begin:row][known]
            realised = np.mean((observed >= lower[known]) & (observed <= upper[known]))
            adjusted = float(np.clip(level + (level - 100 * realised), level - 10, 99.5))
        used[level] = floor = max(adjusted, floor + 0.5)  # keep levels strictly increasing
    calibrator = ResidualCalibrator(errors, fitted.fallback_scale)
    offsets = calibrator.offsets(tuple(used.values()), horizon)
    return {level: offsets[used[level]] for level in levels}


def _season(history: np.ndarray, index: pd.DatetimeIndex) -> int:
    finite = history[np.isfinite(history)]
    if len(finite) < 4:
        return 1
    periods = detect_seasonality(finite, index[1] - index[0]).periods
    return periods[0] if periods else 1


def _frame(
    index: pd.DatetimeIndex,
    origins: np.ndarray,
    horizon: int,
    actual: np.ndarray,
    means: np.ndarray,
    lowers: dict[int, np.ndarray],
    uppers: dict[int, np.ndarray],
    values: np.ndarray,
) -> pd.DataFrame:
    step = index[1] - index[0]
    origin_times = index[origins]
    steps = np.arange(1, horizon + 1)
    repeated = origin_times.repeat(horizon)
    columns: dict[str, object] = {
        "origin": repeated,
        "step": np.tile(steps, len(origins)),
        "timestamp": repeated + pd.to_timedelta(np.tile(steps - 1, len(origins)) * step),
        "actual": actual.ravel(),
        "mean": means.ravel(),
    }
    for level in sorted(lowers):
        columns[f"lo_{level}"] = lowers[level].ravel()
        columns[f"hi_{level}"] = uppers[level].ravel()
    # Last observed value before the origin, for directional accuracy.
    last_known = pd.Series(values).ffill().to_numpy()
    columns["reference"] = np.repeat(last_known[origins - 1], horizon)
    return pd.DataFrame(columns)
