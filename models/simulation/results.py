"""What a replay measured, per policy, and its JSON form (schema in the package docstring)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.simulation.settings import ReplaySettings

SCHEMA = "headroom.simulation/1"


@dataclass(frozen=True)
class PlannedForecast:
    """What a forecasting policy planned on, one entry per replayed interval (decision).

    Decision ``i`` acted on interval ``i + lead`` (the first one a unit requested at ``i``
    serves): ``mean[i]`` is the forecast mean of that interval and ``bound[i]`` the demand
    the plan covered there (the upper bound planned on, headroom included). NaN where the
    decision had no usable forecast.
    """

    lead: int
    mean: np.ndarray
    bound: np.ndarray

    @property
    def decisions(self) -> int:
        """Decisions that had a forecast."""
        return int(np.count_nonzero(np.isfinite(self.mean)))

    def to_dict(self) -> dict[str, object]:
        return {
            "lead_intervals": self.lead,
            "mean": _floats(self.mean),
            "bound": _floats(self.bound),
        }


@dataclass(frozen=True)
class PolicyResult:
    """One policy over the replayed intervals; arrays are one entry per interval."""

    policy: str
    demand: np.ndarray  # NaN where nothing was observed
    requested: np.ndarray  # units paid for during the interval (warming ones included)
    serving: np.ndarray  # units warm enough to serve during the interval
    unit_capacity: float
    step_hours: float
    price_per_unit_hour: float
    details: Mapping[str, object] = field(default_factory=dict)
    forecast: PlannedForecast | None = None  # predictive: what each decision planned on

    @property
    def observed(self) -> np.ndarray:
        return np.isfinite(self.demand)

    @property
    def shortfall(self) -> np.ndarray:
        """Demand above what the serving units carry at the target utilisation (>= 0)."""
        excess = np.nan_to_num(self.demand, nan=0.0) - self.serving * self.unit_capacity
        # Relative slack so float noise on an exact fit is not counted as a shortfall.
        return np.where(excess > 1e-9 * self.unit_capacity, excess, 0.0)

    @property
    def unit_hours(self) -> float:
        return float(self.requested.sum() * self.step_hours)

    @property
    def cost(self) -> float:
        return self.unit_hours * self.price_per_unit_hour

    @property
    def intervals(self) -> int:
        return int(self.observed.sum())

    @property
    def intervals_under_capacity(self) -> int:
        return int(np.count_nonzero(self.shortfall > 0))

    @property
    def percent_under_capacity(self) -> float:
        return 100.0 * self.intervals_under_capacity / self.intervals if self.intervals else 0.0

    @property
    def unserved_demand(self) -> float:
        return float(self.shortfall.sum())

    @property
    def scaling_actions(self) -> int:
        return int(np.count_nonzero(np.diff(self.requested)))

    @property
    def peak_units(self) -> int:
        return int(self.requested.max()) if len(self.requested) else 0

    def summary(self) -> dict[str, object]:
        return {
            "unit_hours": round(self.unit_hours, 6),
            "cost": round(self.cost, 6),
            "intervals": self.intervals,
            "intervals_under_capacity": self.intervals_under_capacity,
            "percent_under_capacity": round(self.percent_under_capacity, 4),
            "unserved_demand": round(self.unserved_demand, 6),
            "scaling_actions": self.scaling_actions,
            "peak_units": self.peak_units,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class ReplayReport:
    start: pd.Timestamp  # first replayed interval (after the history-only prefix)
    step: pd.Timedelta
    history_intervals: int
    settings: ReplaySettings
    warmup_intervals: int
    policies: Mapping[str, PolicyResult]

    def timestamps(self) -> pd.DatetimeIndex:
        n = len(next(iter(self.policies.values())).demand) if self.policies else 0
        return pd.date_range(self.start, periods=n, freq=self.step, name="timestamp")

    def to_dict(self, include_series: bool = False) -> dict[str, object]:
        timestamps = self.timestamps()
        s = self.settings
        result: dict[str, object] = {
            "schema": SCHEMA,
            "replay": {
                "start": _iso(timestamps[0]) if len(timestamps) else None,
                "end": _iso(timestamps[-1]) if len(timestamps) else None,
                "intervals": len(timestamps),
                "step_seconds": self.step.total_seconds(),
                "history_intervals": self.history_intervals,
            },
            "parameters": {
                "unit_capacity": s.unit_capacity,
                "price_per_unit_hour": s.price_per_unit_hour,
                "warmup_minutes": s.warmup.total_seconds() / 60,
                "warmup_intervals": self.warmup_intervals,
                "scale_down_stabilisation_minutes": s.scale_down_stabilisation.total_seconds() / 60,
                "tolerance": s.tolerance,
                "min_units": s.min_units,
                "max_units": s.max_units,
                "level": s.level,
                "headroom": s.headroom,
                "max_step": s.max_step,
                "reactive_floor": s.reactive_floor,
                "hourly_calibration": s.hourly_calibration,
                "adaptive_margin": s.adaptive_margin,
                "refit_every": s.refit_every,
            },
            "policies": {name: r.summary() for name, r in self.policies.items()},
        }
        if include_series and self.policies:
            first = next(iter(self.policies.values()))
            result["series"] = {
                "timestamps": [_iso(t) for t in timestamps],
                "demand": _floats(first.demand),
                "needed_units": [int(v) for v in _needed(first)],
            }
            for name, r in self.policies.items():
                series: dict[str, object] = {
                    "requested_units": r.requested.astype(int).tolist(),
                    "serving_units": r.serving.astype(int).tolist(),
                }
                if r.forecast is not None:
                    series["forecast"] = r.forecast.to_dict()
                result["policies"][name]["series"] = series  # type: ignore[index]
        return result


def _floats(values: np.ndarray) -> list[float | None]:
    """JSON numbers, ``null`` where nothing is known."""
    return [float(v) if np.isfinite(v) else None for v in values]


def _needed(result: PolicyResult) -> np.ndarray:
    from models.simulation.settings import needed_units

    return needed_units(result.demand, result.unit_capacity)


def _iso(timestamp: pd.Timestamp) -> str:
    return pd.Timestamp(timestamp).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
