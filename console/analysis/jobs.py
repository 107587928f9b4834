"""The Analysis workspace's work, as plain functions that run on a worker thread.

Each job takes the series, the parameters, a cancel token and a ``progress(done,
total)`` callable, and returns a frozen outcome (or ``None`` when cancelled). No Qt
here beyond the token type, so every job is testable without a window.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from console.workers import CancelToken
from models.anomaly import Hysteresis, Incident, epoch_seconds
from models.forecast import (
    FAST_CANDIDATES,
    AutoForecaster,
    BacktestCancelled,
    BacktestResult,
    Exhaustion,
    FitCancelled,
    Forecast,
    Seasonality,
    cancellable,
    detect_seasonality,
    prepare,
    rolling_origin_backtest,
    time_to_exhaustion,
)

Progress = Callable[[int, int], None]

MODEL_CHOICES = ("auto", "naive", "ets", "arima", "gbm")
# "auto" compares the engine's fast candidates: a backtest refits it dozens of times, and
# ETS/ARIMA/boosting cost seconds to minutes per fit on a long file. They are one click
# away by name when the operator wants them.
AUTO_CANDIDATES = FAST_CANDIDATES
LEVEL_CHOICES = (50, 80, 90, 95, 99)
SENSITIVITY_RANGE = (1, 10)


class InvalidParameter(ValueError):
    """A parameter the operator typed that cannot be used; ``field`` names the form row."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True)
class AnalysisParams:
    horizon: int = 48  # forecast steps
    levels: tuple[int, ...] = (80, 95)
    model: str = "auto"
    backtest_start: float | None = None  # epoch seconds; None: the last fifth of the series
    refit_every: int = 288  # backtest origins between refits
    sensitivity: int = 5  # 1 (only the clearest incidents) .. 10 (everything unusual)
    capacity: float | None = None  # exhaustion threshold; None: 100 for a percentage series

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise InvalidParameter("Horizon", "must be at least 1 step")
        if not self.levels or any(not 0 < level < 100 for level in self.levels):
            raise InvalidParameter("Levels", "pick at least one level between 1 and 99 %")
        if self.model not in MODEL_CHOICES:
            raise InvalidParameter("Model", f"choose one of {', '.join(MODEL_CHOICES)}")
        if self.refit_every < 1:
            raise InvalidParameter("Refit every", "must be at least 1 origin")
        low, high = SENSITIVITY_RANGE
        if not low <= self.sensitivity <= high:
            raise InvalidParameter("Sensitivity", f"must be between {low} and {high}")

    def policy(self) -> Hysteresis:
        """Higher sensitivity opens incidents at a lower level (5 is the engine's default)."""
        open_above = min(0.9, max(0.35, 0.85 - 0.05 * self.sensitivity))
        return Hysteresis(open_above=open_above, close_below=0.75 * open_above)


# -- outcomes --------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedFile:
    path: Path
    frame: pd.DataFrame  # wide, float, indexed by UTC timestamps

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


@dataclass(frozen=True)
class LoadFailed:
    """A file that could not be read: what :class:`connectors.files.MetricFileError` says."""

    path: Path
    line: int | None
    reason: str

    def message(self) -> str:
        where = f", line {self.line}" if self.line is not None else ""
        return f"Cannot open {self.path.name}{where}: {self.reason}"


@dataclass(frozen=True)
class ForecastOutcome:
    series: str
    forecast: Forecast
    seasonality: Seasonality
    step_seconds: float
    season: int  # the period the chosen model used (1: none)
    scores: dict[str, float]  # candidate -> backtest MASE (auto), else the model's own
    exhaustion: tuple[Exhaustion, ...]
    capacity: float | None
    seconds: float = 0.0


@dataclass(frozen=True)
class BacktestOutcome:
    series: str
    start: pd.Timestamp
    scoreboard: pd.DataFrame  # one row per model, metric columns
    results: dict[str, BacktestResult] = field(default_factory=dict)


@dataclass(frozen=True)
class DetectionOutcome:
    series: str
    timestamps: np.ndarray  # epoch seconds
    values: np.ndarray
    level: np.ndarray
    incidents: tuple[Incident, ...]


# -- jobs ------------------------------------------------------------------------------


def load_file(path: Path, token: CancelToken | None = None) -> LoadedFile | LoadFailed | None:
    from connectors.files import MetricFileError, read_metric_file

    try:
        frame = read_metric_file(Path(path))
    except MetricFileError as error:
        return LoadFailed(error.path, error.line, error.reason)
    if token is not None and token.cancelled:
        return None
    return LoadedFile(Path(path), frame)


def series_of(frame: pd.DataFrame, column: str) -> pd.Series:
    series = frame[column].astype(float)
    return series[np.isfinite(series.to_numpy())]


def step_seconds(series: pd.Series) -> float:
    spacing = np.diff(epoch_seconds(series.index))
    spacing = spacing[spacing > 0]
    return float(np.median(spacing)) if len(spacing) else 1.0


def default_horizon(series: pd.Series) -> int:
    """One day ahead at the series' step, within 12..500 steps and a tenth of the data."""
    per_day = int(round(86400 / step_seconds(series)))
    return int(max(1, min(per_day, 500, max(12, len(series) // 10))))


def default_backtest_start(series: pd.Series) -> float:
    return float(epoch_seconds(series.index[[int(len(series) * 0.8)]])[0])


def exhaustion_capacity(series: pd.Series, capacity: float | None) -> float | None:
    """The level that means "full": given, else 100 when the series looks like a percentage."""
    if capacity is not None:
        return capacity
    values = series.to_numpy()
    if len(values) and np.nanmin(values) >= 0 and np.nanmax(values) <= 100:
        return 100.0
    return None


def run_forecast(
    series: pd.Series,
    name: str,
    params: AnalysisParams,
    token: CancelToken | None = None,
    progress: Progress = lambda done, total: None,
) -> ForecastOutcome | None:
    """Fit the model (or every ``auto`` candidate, checking for cancel between them)."""
    import time

    started = time.perf_counter()
    prepared = prepare(series)
    seasonality = detect_seasonality(prepared.values, prepared.step)
    candidates = AUTO_CANDIDATES if params.model == "auto" else (params.model,)
    total = len(candidates) + 1
    progress(0, total)
    fitted: dict[str, AutoForecaster] = {}
    scores: dict[str, float] = {}
    for done, candidate in enumerate(candidates, start=1):
        if token is not None and token.cancelled:
            return None
        # One candidate per AutoForecaster: the engine's own scoring (fit-time backtest
        # MASE) for every model; a cancel also stops a slow fit in the middle.
        model = AutoForecaster(candidates=(candidate,), calibration_horizon=params.horizon)
        try:
            with cancellable(lambda: token is not None and token.cancelled):
                model.fit_prepared(prepared)
        except FitCancelled:
            return None
        scores[candidate] = float(model.scores_[candidate])
        fitted[candidate] = model
        progress(done, total)
    if token is not None and token.cancelled:
        return None
    best = min(candidates, key=lambda c: scores[c])
    chosen = fitted[best]
    # "auto:ets" when the engine chose; plain "ets" when the operator did.
    predictor = chosen if params.model == "auto" else chosen.model_
    forecast = predictor.predict(params.horizon, levels=params.levels)
    capacity = exhaustion_capacity(series, params.capacity)
    exhaustion: tuple[Exhaustion, ...] = ()
    if capacity is not None:
        exhaustion = tuple(time_to_exhaustion(forecast, (0.9 * capacity, capacity)))
    progress(total, total)
    return ForecastOutcome(
        series=name,
        forecast=forecast,
        seasonality=seasonality,
        step_seconds=prepared.step.total_seconds(),
        season=int(forecast.details.get("season", 1) or 1),
        scores=scores,
        exhaustion=exhaustion,
        capacity=capacity,
        seconds=time.perf_counter() - started,
    )


def backtest_models(model: str) -> tuple[str, ...]:
    """The chosen model, and seasonal naive as the baseline every scoreboard needs."""
    return (model,) if model == "naive" else (model, "naive")


def run_backtest(
    series: pd.Series,
    name: str,
    params: AnalysisParams,
    token: CancelToken | None = None,
    progress: Progress = lambda done, total: None,
) -> BacktestOutcome | None:
    start_seconds = params.backtest_start or default_backtest_start(series)
    start = pd.Timestamp(start_seconds, unit="s", tz="UTC")
    models = backtest_models(params.model)
    results: dict[str, BacktestResult] = {}
    # Each model's progress is a slice of one bar: 1000 units per model.
    for index, model in enumerate(models):

        def report(done: int, total: int, base: int = index * 1000) -> None:
            progress(base + int(1000 * done / max(total, 1)), 1000 * len(models))

        try:
            results[model] = rolling_origin_backtest(
                series,
                params.horizon,
                start,
                model=model,
                candidates=AUTO_CANDIDATES if model == "auto" else ("naive",),
                refit_every=params.refit_every,
                levels=params.levels,
                progress=report,
                cancelled=lambda: token is not None and token.cancelled,
            )
        except BacktestCancelled:
            return None
    return BacktestOutcome(name, start, scoreboard_frame(results), results)


def scoreboard_frame(results: dict[str, BacktestResult]) -> pd.DataFrame:
    """Rows: models, best MASE first. Columns: every metric, origins, refits, models used."""
    rows = []
    for model, result in results.items():
        used = pd.Series(result.models).value_counts()
        rows.append(
            {
                "model": model,
                **result.metrics,
                "origins": result.origins,
                "refits": result.refits,
                "chosen": ", ".join(f"{m} ×{n}" for m, n in used.items())
                if model == "auto"
                else "",
            }
        )
    frame = pd.DataFrame(rows).set_index("model")
    return frame.sort_values("mase", na_position="last")


def run_detection(
    series: pd.Series,
    name: str,
    params: AnalysisParams,
    token: CancelToken | None = None,
    progress: Progress = lambda done, total: None,
    host: str = "file",
) -> DetectionOutcome | None:
    from models.anomaly import detect_series

    progress(0, 1)
    times = epoch_seconds(series.index)
    values = series.to_numpy(dtype=float)
    result = detect_series(values, times, name, host, policy=params.policy())
    if token is not None and token.cancelled:
        return None
    progress(1, 1)
    return DetectionOutcome(name, times, values, result.level, result.incidents)


# -- exports ---------------------------------------------------------------------------


def forecast_table(outcome: ForecastOutcome) -> pd.DataFrame:
    frame = outcome.forecast.to_frame()
    frame.insert(0, "series", outcome.series)
    frame.insert(2, "model", outcome.forecast.model)
    return frame


def anomalies_table(outcome: DetectionOutcome) -> pd.DataFrame:
    rows = [
        {
            "series": outcome.series,
            "start": pd.Timestamp(i.start, unit="s", tz="UTC"),
            "end": pd.Timestamp(i.end, unit="s", tz="UTC"),
            "severity": i.severity.value,
            "pattern": i.pattern.value,
            "peak_score": i.peak_score,
            "action": i.action,
        }
        for i in outcome.incidents
    ]
    columns = ["series", "start", "end", "severity", "pattern", "peak_score", "action"]
    return pd.DataFrame(rows, columns=columns)


def write_csv(frame: pd.DataFrame, path: Path, index: bool = False) -> Path:
    """Write through a temporary name so a failed export leaves no half file behind."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.partial")
    try:
        frame.to_csv(temporary, index=index, date_format="%Y-%m-%dT%H:%M:%SZ")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def describe_period(steps: int, step_seconds_value: float) -> str:
    seconds = steps * step_seconds_value
    if seconds % 604800 == 0:
        weeks = int(seconds // 604800)
        return "1 week" if weeks == 1 else f"{weeks} weeks"
    if seconds % 86400 == 0:
        days = int(seconds // 86400)
        return "1 day" if days == 1 else f"{days} days"
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min"


def parse_levels(text: str) -> tuple[int, ...]:
    """``"80, 95"`` -> ``(80, 95)``; InvalidParameter names the field when it is not that."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        levels = tuple(sorted({int(float(p)) for p in parts}))
    except ValueError:
        raise InvalidParameter("Levels", f"{text!r} is not a list of percentages") from None
    if not levels or any(not 0 < level < 100 for level in levels):
        raise InvalidParameter("Levels", "use percentages between 1 and 99, e.g. 80, 95")
    return levels


def finite_or_dash(value: float, digits: int = 3) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


def levels_text(levels: Sequence[int]) -> str:
    return ", ".join(str(level) for level in levels)
