"""What a capacity schedule costs, against keeping today's capacity and static peak provisioning.

Each step's share of the horizon cost is its hourly change times the hours left until the
horizon ends, so the step shares add up exactly to ``plan - keep current``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class CostImpact:
    horizon_hours: float
    plan_total: float  # $ over the horizon with the planned capacity
    keep_current_total: float  # $ over the horizon keeping today's capacity
    static_peak_total: float  # $ over the horizon provisioned for the peak need throughout
    static_peak_units: int
    peak_hourly_increase: float  # largest $/hour above today's cost anywhere in the plan

    @property
    def change_vs_current(self) -> float:
        return self.plan_total - self.keep_current_total

    @property
    def change_vs_static_peak(self) -> float:
        return self.plan_total - self.static_peak_total

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> CostImpact:
        return cls(**data)  # type: ignore[arg-type]


def schedule_cost(
    capacity: np.ndarray,
    interval_hours: float,
    current: int,
    static_peak_units: int,
    price_per_unit_hour: float,
) -> CostImpact:
    """Cost of holding ``capacity[j]`` units during each interval of ``interval_hours``."""
    capacity = np.asarray(capacity, dtype=float)
    hours = len(capacity) * interval_hours
    increase = float(capacity.max() - current) if len(capacity) else 0.0
    return CostImpact(
        horizon_hours=hours,
        plan_total=float(capacity.sum() * interval_hours * price_per_unit_hour),
        keep_current_total=current * hours * price_per_unit_hour,
        static_peak_total=static_peak_units * hours * price_per_unit_hour,
        static_peak_units=static_peak_units,
        peak_hourly_increase=max(0.0, increase) * price_per_unit_hour,
    )


def step_horizon_change(
    units_change: int, slots_left: int, interval_hours: float, price_per_unit_hour: float
) -> float:
    """A step's share of the plan's cost change: its hourly change until the horizon ends."""
    return units_change * price_per_unit_hour * slots_left * interval_hours
