"""One series analysed for the report: preparation, seasonality, forecast, scoreboard,
time to exhaustion and anomalies. No Qt and no HTML here: the result is plain data.

Time to exhaustion only makes sense for something that can run out. The rule:

* a column whose name is a catalogue metric (``host/metric`` from long files, or a bare
  ``family[:instance]``) gets it when the catalogue marks the family ``bounded``
  (disk, memory, swap, GPU memory %) — and never otherwise (CPU % saturates, it does not
  fill up);
* any other column gets it when its name looks like a percentage (``percent``, ``pct``
  or ``%``), does not name a rate of work (``cpu``, ``util``, ``load``, ``busy``), and
  every value lies within 0–100.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.anomaly import Incident, detect_series, epoch_seconds
from models.catalogue import MetricSpec, UnknownMetric, describe, spec_for
from models.forecast import (
    FAST_CANDIDATES,
    AutoForecaster,
    Exhaustion,
    Forecast,
    ForecastError,
    PreparedSeries,
    Seasonality,
    detect_seasonality,
    prepare,
    rolling_origin_backtest,
    time_to_exhaustion,
)

LEVELS = (80, 95)
THRESHOLDS = (90.0, 100.0)
SCORE_COLUMNS = ("mase", "smape", "wape", "rmse", "coverage_80", "coverage_95")
MAX_HORIZON_STEPS = 2000  # beyond this a report chart and backtest stop being useful
MAX_HORIZON = pd.Timedelta(hours=48)  # the models learn daily cycles; further is guesswork
_PERCENT_NAME = re.compile(r"percent|pct|%", re.IGNORECASE)
_WORK_RATE_NAME = re.compile(r"cpu|util|load|busy", re.IGNORECASE)


@dataclass(frozen=True)
class ModelScore:
    """One row of the scoreboard: a model's rolling-origin backtest metrics."""

    model: str
    metrics: dict[str, float]  # SCORE_COLUMNS; empty when the backtest failed
    error: str | None = None


@dataclass(frozen=True)
class SeriesAnalysis:
    name: str  # the column name, as in the file
    label: str  # what the chart's value axis says, with the unit
    unit: str
    times: np.ndarray  # epoch seconds of the finite rows, ascending (as read)
    values: np.ndarray
    step: pd.Timedelta | None
    horizon: int  # forecast steps
    prepared: PreparedSeries | None
    seasonality: Seasonality | None
    forecast: Forecast | None
    chosen_model: str | None
    scores: tuple[ModelScore, ...]
    backtest_origins: int
    exhaustion_rule: str  # why time to exhaustion applies or not, for the report
    exhaustion: tuple[Exhaustion, ...] | None  # None: not applicable
    incidents: tuple[Incident, ...]
    problems: tuple[str, ...]  # what could not be done, in words


def catalogue_spec(column: str) -> MetricSpec | None:
    """The catalogue entry a column name refers to: ``family[:instance]`` or ``host/...``."""
    candidates = [column]
    if "/" in column:
        candidates.append(column.split("/", 1)[1])
    for candidate in candidates:
        try:
            return spec_for(candidate)
        except UnknownMetric:
            continue
    return None


def catalogue_name(column: str) -> str | None:
    """The catalogue metric name inside a column name, or None."""
    for candidate in (column, column.split("/", 1)[-1]):
        try:
            spec_for(candidate)
        except UnknownMetric:
            continue
        return candidate
    return None


def host_of(column: str) -> str:
    """``host/metric`` columns (long files) name their host; others describe 'this host'."""
    name = catalogue_name(column)
    if name is not None and name != column:
        return column[: len(column) - len(name) - 1]
    return "this host"


def exhaustion_applies(column: str, values: np.ndarray) -> tuple[bool, str]:
    """Whether time to exhaustion applies, and why (see the module docstring)."""
    spec = catalogue_spec(column)
    if spec is not None:
        if spec.bounded:
            return True, f"{spec.family} is a bounded metric (it can run out)"
        return False, f"{spec.family} is not a bounded metric: it saturates, it does not fill up"
    if not _PERCENT_NAME.search(column):
        return False, "the column is not named like a percentage"
    if _WORK_RATE_NAME.search(column):
        return False, "the column names a rate of work (CPU, load), which cannot run out"
    finite = values[np.isfinite(values)]
    if len(finite) and (finite.min() < 0 or finite.max() > 100):
        return False, "values leave the 0–100 range, so this is not a percentage"
    return True, "a percentage column whose values stay within 0–100"


def unit_of(column: str) -> str:
    spec = catalogue_spec(column)
    if spec is not None:
        return spec.unit
    return "%" if _PERCENT_NAME.search(column) else ""


def value_label(column: str, unit: str) -> str:
    name = catalogue_name(column)
    if name is not None:
        return describe(name)
    return f"{column} [{unit}]" if unit else column


def horizon_steps(
    horizon: pd.Timedelta | int, step: pd.Timedelta, points: int
) -> tuple[int, str | None]:
    """Forecast steps for a wanted horizon (a duration, or a number of steps), capped at
    48 h, ``MAX_HORIZON_STEPS`` and half the history; the note says what was capped."""
    if isinstance(horizon, pd.Timedelta):
        wanted = max(1, int(round(horizon / step)))
    else:
        wanted = max(1, int(horizon))
    caps = [
        (max(1, int(MAX_HORIZON / step)), "48 h"),
        (MAX_HORIZON_STEPS, f"{MAX_HORIZON_STEPS} steps"),
        (max(1, points // 2), "half the history"),
    ]
    cap, why = min(caps, key=lambda item: item[0])
    if wanted <= cap:
        return wanted, None
    unit = "step" if cap == 1 else "steps"
    return cap, f"forecast horizon capped at {cap:,} {unit} ({why}); {wanted:,} were asked for"


def analyze_series(
    name: str,
    series: pd.Series,
    horizon: pd.Timedelta | int,
    candidates: Sequence[str] = FAST_CANDIDATES,
) -> SeriesAnalysis:
    """Everything the report shows about one column. Model failures become ``problems``.

    ``horizon`` is a duration or a number of steps of the series' own grid.
    """
    clean = series[np.isfinite(series.to_numpy(dtype=float))].sort_index(kind="stable")
    times = epoch_seconds(clean.index)
    values = clean.to_numpy(dtype=float)
    unit = unit_of(name)
    problems: list[str] = []
    incidents = _incidents(name, values, times, problems)
    applies, rule = exhaustion_applies(name, values)
    base = {
        "name": name,
        "label": value_label(name, unit),
        "unit": unit,
        "times": times,
        "values": values,
        "exhaustion_rule": rule,
        "incidents": incidents,
    }
    try:
        prepared = prepare(clean)
    except (ForecastError, ValueError) as error:
        problems.append(f"cannot put the series on a regular grid: {error}")
        return SeriesAnalysis(**base, step=None, horizon=0, prepared=None, seasonality=None,
                              forecast=None, chosen_model=None, scores=(), backtest_origins=0,
                              exhaustion=None, problems=tuple(problems))  # fmt: skip
    steps, note = horizon_steps(horizon, prepared.step, len(prepared))
    if note:
        problems.append(note)
    seasonality = detect_seasonality(prepared.values, prepared.step)
    forecast, chosen = _forecast(clean, steps, candidates, problems)
    scores, origins = _scoreboard(clean, prepared, steps, candidates)
    exhaustion = None
    if applies and forecast is not None:
        exhaustion = tuple(time_to_exhaustion(forecast, THRESHOLDS))
    return SeriesAnalysis(
        **base,
        step=prepared.step,
        horizon=steps,
        prepared=prepared,
        seasonality=seasonality,
        forecast=forecast,
        chosen_model=chosen,
        scores=scores,
        backtest_origins=origins,
        exhaustion=exhaustion,
        problems=tuple(problems),
    )


def _incidents(
    name: str, values: np.ndarray, times: np.ndarray, problems: list[str]
) -> tuple[Incident, ...]:
    if len(values) < 2:
        problems.append("too few values for anomaly detection")
        return ()
    result = detect_series(values, times, metric=name, host=host_of(name))
    return result.incidents


def _forecast(
    series: pd.Series, horizon: int, candidates: Sequence[str], problems: list[str]
) -> tuple[Forecast | None, str | None]:
    model = AutoForecaster(candidates=candidates, calibration_horizon=horizon)
    try:
        model.fit(series)
        return model.predict(horizon, levels=LEVELS), model.chosen_
    except (ForecastError, ValueError) as error:
        problems.append(f"no forecast: {error}")
        return None, None


def _scoreboard(
    series: pd.Series, prepared: PreparedSeries, horizon: int, candidates: Sequence[str]
) -> tuple[tuple[ModelScore, ...], int]:
    """A short rolling-origin backtest of every candidate over the end of the history.

    Origins span the last two horizons (at most a third of the data), so the first half
    of them are scored on every step ahead; models refit once per horizon.
    """
    origins = min(2 * horizon, len(prepared) // 3)
    if origins < 1:
        return tuple(ModelScore(m, {}, "too little data to backtest") for m in candidates), 0
    start = prepared.end - prepared.step * (origins - 1)
    rows = []
    for model in candidates:
        try:
            result = rolling_origin_backtest(
                series, horizon, start, model=model, refit_every=max(horizon, 12), levels=LEVELS
            )
        except (ForecastError, ValueError) as error:
            rows.append(ModelScore(model, {}, str(error)))
            continue
        rows.append(ModelScore(model, {k: float(result.metrics[k]) for k in SCORE_COLUMNS}))
    return tuple(rows), origins
