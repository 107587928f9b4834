"""What a replay needs: the demand on a regular grid and the parameters shared by policies.

Target utilisation semantics: demand is in the column's own units (requests/s, CPU %,
...) and ``unit_capacity`` U is the demand one unit serves *at the target utilisation*,
so the units needed in an interval are ``ceil(demand / U)`` and "under capacity" means
the demand exceeded ``serving_units * U`` (the fleet ran hotter than the target; it
does not necessarily mean requests were dropped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.simulation.errors import BadReplayInput

# Below this fraction of a unit, ceil() sees float noise rather than a real need.
UNIT_EPSILON = 1e-9
DEFAULT_HISTORY = pd.Timedelta(days=2)


@dataclass(frozen=True)
class ReplaySettings:
    unit_capacity: float  # U: demand one unit serves at the target utilisation
    price_per_unit_hour: float  # P: cost of one unit for one hour (warming units are paid)
    warmup: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(minutes=5))
    scale_down_stabilisation: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(minutes=5))
    tolerance: float = 0.10  # reactive: no change while |utilisation / target - 1| <= this
    min_units: int = 1  # dynamic policies never go below (HPA's minReplicas default)
    max_units: int | None = None
    level: int = 95  # predictive: plan on the upper bound of this central interval
    # predictive: the planner's margin above the upper bound, as a share of that bound.
    # 0 by default: the bound is calibrated on past forecast errors (its misses match
    # its level; bench_replay measures it) and the target utilisation is already inside
    # unit_capacity, so a margin on top insures twice — and, being a share of the
    # demand's level, costs most on a series running near its peak, where the forecast
    # error is smallest (ec2_825cc2 cost 110 % of the static peak fleet with 10 %).
    headroom: float = 0.0
    max_step: int = 2  # predictive: the planner's most units per scaling action
    reactive_floor: bool = True  # predictive: never below the last observed interval's need
    # predictive: raise the bound where the policy's own past errors at that hour of day
    # say it is too low (models.planning.hourly)
    hourly_calibration: bool = True
    # predictive: widen the margin above the mean while the bound misses more often than
    # its level allows (models.planning.adaptive)
    adaptive_margin: bool = True
    refit_every: int = 288  # predictive: refit the forecaster every N decisions, update between
    fit_window: int = 4032  # predictive: fit on at most this many recent intervals
    history_intervals: int | None = None  # leading intervals used as history only (None: auto)

    def __post_init__(self) -> None:
        for name in ("unit_capacity", "price_per_unit_hour"):
            value = getattr(self, name)
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = math.nan
            if not (math.isfinite(number) and number > 0):
                raise BadReplayInput(name, f"must be a positive number, got {value!r}")
            object.__setattr__(self, name, number)
        object.__setattr__(self, "warmup", pd.Timedelta(self.warmup))
        object.__setattr__(
            self, "scale_down_stabilisation", pd.Timedelta(self.scale_down_stabilisation)
        )
        if self.warmup < pd.Timedelta(0):
            raise BadReplayInput("warmup", f"must not be negative, got {self.warmup}")
        if self.scale_down_stabilisation < pd.Timedelta(0):
            raise BadReplayInput("scale_down_stabilisation", "must not be negative")
        if not 0 <= self.tolerance < 1:
            raise BadReplayInput("tolerance", f"must be in [0, 1), got {self.tolerance}")
        if self.min_units < 0 or (self.max_units is not None and self.max_units < self.min_units):
            raise BadReplayInput("max_units", "need 0 <= min_units <= max_units")
        if not 0 < self.level < 100:
            raise BadReplayInput("level", f"must be between 1 and 99, got {self.level}")
        if not (math.isfinite(self.headroom) and self.headroom >= 0):
            raise BadReplayInput("headroom", f"must be 0 or more, got {self.headroom}")
        if self.max_step < 1:
            raise BadReplayInput("max_step", f"must be at least 1, got {self.max_step}")
        if self.refit_every < 1 or self.fit_window < 10:
            raise BadReplayInput("refit_every", "refit_every >= 1 and fit_window >= 10 needed")

    def clamp(self, units: int) -> int:
        upper = self.max_units if self.max_units is not None else units
        return int(min(max(units, self.min_units), upper))


@dataclass(frozen=True)
class DemandGrid:
    """Demand on a regular grid; NaN where nothing was observed."""

    values: np.ndarray
    start: pd.Timestamp
    step: pd.Timedelta

    def __len__(self) -> int:
        return len(self.values)

    @property
    def index(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=len(self.values), freq=self.step, name="timestamp")

    @property
    def step_hours(self) -> float:
        return self.step / pd.Timedelta(hours=1)

    def intervals(self, duration: pd.Timedelta) -> int:
        """Whole intervals covering ``duration`` (a 10-minute warm-up on 30-minute data is 1)."""
        return (
            int(math.ceil(duration / self.step - UNIT_EPSILON)) if duration > pd.Timedelta(0) else 0
        )


def demand_grid(series: pd.Series) -> DemandGrid:
    """Put a demand series (DatetimeIndex) on its regular grid (median spacing)."""
    from models.forecast import InsufficientData
    from models.forecast.prepare import regularise

    if not isinstance(series.index, pd.DatetimeIndex):
        raise BadReplayInput("series", "needs a DatetimeIndex")
    values = pd.to_numeric(series, errors="coerce").astype(float)
    if (values.dropna() < 0).any():
        raise BadReplayInput("series", "demand must not be negative")
    try:
        grid = regularise(values)
    except InsufficientData as error:
        raise BadReplayInput("series", str(error)) from None
    return DemandGrid(np.asarray(grid.values, dtype=float), grid.start, grid.step)


def needed_units(demand: np.ndarray | float, unit_capacity: float) -> np.ndarray:
    """``ceil(demand / U)`` per interval (0 where demand is missing)."""
    ratio = np.nan_to_num(np.asarray(demand, dtype=float), nan=0.0) / unit_capacity
    return np.ceil(ratio - UNIT_EPSILON).clip(min=0).astype(int)


def default_history(grid: DemandGrid) -> int:
    """Leading intervals kept as history: two days or a tenth of the series, at most half."""
    n = len(grid)
    wanted = max(grid.intervals(DEFAULT_HISTORY), n // 10)
    return max(1, min(wanted, n // 2))
