"""The What-if workspace's work, as plain functions that run on a worker thread.

Reading a metric file, replaying a demand column under the chosen policies and writing
the results. No widgets here, so each job is testable without a window; the replay
itself is :func:`models.simulation.replay` (its docstring defines every figure).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from console.analysis.jobs import InvalidParameter  # the same form errors as Analysis
from console.workers import CancelToken
from models.simulation import POLICY_NAMES, ReplayCancelled, ReplayReport, ReplaySettings

Progress = Callable[[int, int], None]

LEVEL_CHOICES = (80, 95)
POLICY_LABELS = {"predictive": "Predictive", "reactive": "Reactive", "static": "Static (peak)"}


@dataclass(frozen=True)
class ReplayParams:
    """The form, as the operator set it (same meanings as ``headroom simulate``)."""

    unit_capacity: float
    price_per_unit_hour: float
    warmup_minutes: float = 5.0
    level: int = 95
    headroom: float = 0.0  # the engine's default: the calibrated bound is the margin
    hourly_calibration: bool = True  # the engine's default
    adaptive_margin: bool = True  # the engine's default
    policies: tuple[str, ...] = POLICY_NAMES

    def __post_init__(self) -> None:
        if not (math.isfinite(self.unit_capacity) and self.unit_capacity > 0):
            raise InvalidParameter("Unit capacity", "must be a positive number")
        if not (math.isfinite(self.price_per_unit_hour) and self.price_per_unit_hour > 0):
            raise InvalidParameter("Price", "must be a positive number")
        if not (math.isfinite(self.warmup_minutes) and self.warmup_minutes >= 0):
            raise InvalidParameter("Warm-up", "must be 0 minutes or more")
        if self.level not in LEVEL_CHOICES:
            raise InvalidParameter("Level", "choose 80 or 95 %")
        if not (math.isfinite(self.headroom) and self.headroom >= 0):
            raise InvalidParameter("Headroom", "must be 0 % or more")
        if not self.policies:
            raise InvalidParameter("Policies", "tick at least one policy")
        unknown = set(self.policies) - set(POLICY_NAMES)
        if unknown:
            raise InvalidParameter("Policies", f"unknown: {', '.join(sorted(unknown))}")

    def settings(self) -> ReplaySettings:
        return ReplaySettings(
            unit_capacity=self.unit_capacity,
            price_per_unit_hour=self.price_per_unit_hour,
            warmup=pd.Timedelta(minutes=self.warmup_minutes),
            level=self.level,
            headroom=self.headroom,
            hourly_calibration=self.hourly_calibration,
            adaptive_margin=self.adaptive_margin,
        )


@dataclass(frozen=True)
class ReplayOutcome:
    """A finished replay and what it was run on."""

    source: str  # file name (or "demo trace")
    column: str
    demand: pd.Series  # the whole column, history included, as read
    report: ReplayReport

    def cost_vs_static(self, policy: str) -> float | None:
        """Cost relative to the static fleet, in % (-30 = 30 % cheaper); None without it."""
        static = self.report.policies.get("static")
        if static is None or static.cost <= 0:
            return None
        return 100.0 * (self.report.policies[policy].cost / static.cost - 1.0)


def demand_series(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as floats, rows without a value dropped (the engine regrids them)."""
    series = frame[column].astype(float)
    return series[np.isfinite(series.to_numpy())]


def run_replay(
    series: pd.Series,
    column: str,
    source: str,
    params: ReplayParams,
    token: CancelToken | None = None,
    progress: Progress = lambda done, total: None,
) -> ReplayOutcome | None:
    """Replay ``series``; ``None`` when cancelled. SimulationError (typed) propagates."""
    from models.simulation import replay

    if len(series) < 3:
        raise InvalidParameter("Column", "fewer than three rows with a value; nothing to replay")

    def cancelled() -> bool:
        return token is not None and token.cancelled

    try:
        report = replay(series, params.settings(), params.policies, progress, cancelled)
    except ReplayCancelled:
        return None
    return ReplayOutcome(source, column, series, report)


# -- exports ---------------------------------------------------------------------------


def results_document(outcome: ReplayOutcome) -> dict[str, object]:
    """``headroom simulate --series`` JSON: the same schema, so tools read either."""
    document: dict[str, object] = {"input": {"path": outcome.source, "column": outcome.column}}
    document.update(outcome.report.to_dict(include_series=True))
    return document


def results_table(outcome: ReplayOutcome) -> pd.DataFrame:
    """One row per interval: demand, needed units, then requested/serving units per policy.

    A forecasting policy adds ``<name>_forecast_mean`` and ``<name>_forecast_bound``: the
    forecast *of that interval* (made ``lead`` intervals earlier, by the decision whose
    new units first served it) and the demand the plan covered there; empty without one.
    """
    from models.simulation import needed_units

    report = outcome.report
    first = next(iter(report.policies.values()))
    columns: dict[str, object] = {
        "timestamp": report.timestamps().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "demand": first.demand,
        "needed_units": needed_units(first.demand, first.unit_capacity),
    }
    for name, result in report.policies.items():
        columns[f"{name}_requested_units"] = result.requested.astype(int)
        columns[f"{name}_serving_units"] = result.serving.astype(int)
        if result.forecast is not None:
            forecast = result.forecast
            for key, values in (("mean", forecast.mean), ("bound", forecast.bound)):
                aimed = np.full(len(values), np.nan)
                aimed[forecast.lead :] = values[: len(values) - forecast.lead]
                columns[f"{name}_forecast_{key}"] = aimed
    return pd.DataFrame(columns)


def write_results(outcome: ReplayOutcome, path: Path) -> Path:
    """JSON or CSV by extension, written beside the target and renamed into place."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        text = json.dumps(results_document(outcome), allow_nan=False) + "\n"
    else:
        text = results_table(outcome).to_csv(index=False)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def suggest_unit_capacity(series: pd.Series) -> float:
    """A round unit capacity that needs about a dozen units at the peak: a sane start."""
    peak = float(np.nanmax(series.to_numpy(dtype=float))) if len(series) else 0.0
    if not (math.isfinite(peak) and peak > 0):
        return 1.0
    raw = peak / 12
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if raw <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)
