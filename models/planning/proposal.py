"""What the planner proposes: settings, steps and the plan, serialisable to plain dicts."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

import pandas as pd

from models.planning.confidence import Confidence
from models.planning.cost import CostImpact
from models.planning.trace import Trace


class PlanningError(ValueError):
    """The inputs cannot be planned for (bad settings, a forecast without the band)."""

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        self.reason = reason
        super().__init__(f"cannot plan {target!r}: {reason}")


@dataclass(frozen=True)
class PlannerSettings:
    level: int = 95  # which band's upper bound is the need (80 or 95 with the default models)
    headroom: float = 0.10
    stabilisation: timedelta = timedelta(minutes=30)
    max_step: int = 2  # units per action

    def __post_init__(self) -> None:
        if not 0 < self.level < 100:
            raise ValueError(f"level must be between 0 and 100, got {self.level}")
        if not (math.isfinite(self.headroom) and self.headroom >= 0):
            raise ValueError(f"headroom must be 0 or more, got {self.headroom}")
        if self.stabilisation < timedelta(0):
            raise ValueError("stabilisation must not be negative")
        if self.max_step < 1:
            raise ValueError(f"max_step must be at least 1, got {self.max_step}")

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "headroom": self.headroom,
            "stabilisation": self.stabilisation.total_seconds(),
            "max_step": self.max_step,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> PlannerSettings:
        return cls(
            level=int(data["level"]),  # type: ignore[arg-type]
            headroom=float(data["headroom"]),  # type: ignore[arg-type]
            stabilisation=timedelta(seconds=float(data["stabilisation"])),  # type: ignore[arg-type]
            max_step=int(data["max_step"]),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class ScalingStep:
    at: pd.Timestamp  # when to act
    from_units: int
    to_units: int
    serves: pd.Timestamp  # the interval whose need drove the step
    hourly_change: float  # $/hour
    horizon_change: float  # $ from ``at`` to the end of the horizon
    trace: Trace

    @property
    def change(self) -> int:
        return self.to_units - self.from_units

    @property
    def is_scale_out(self) -> bool:
        return self.change > 0

    def to_dict(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "from_units": self.from_units,
            "to_units": self.to_units,
            "serves": self.serves.isoformat(),
            "hourly_change": self.hourly_change,
            "horizon_change": self.horizon_change,
            "trace": self.trace.to_list(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ScalingStep:
        return cls(
            at=pd.Timestamp(data["at"]),  # type: ignore[arg-type]
            from_units=int(data["from_units"]),  # type: ignore[arg-type]
            to_units=int(data["to_units"]),  # type: ignore[arg-type]
            serves=pd.Timestamp(data["serves"]),  # type: ignore[arg-type]
            hourly_change=float(data["hourly_change"]),  # type: ignore[arg-type]
            horizon_change=float(data["horizon_change"]),  # type: ignore[arg-type]
            trace=Trace.from_list(data["trace"]),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class CapacityPlan:
    """The planner's proposal for one target: steps, schedule, cost and confidence."""

    target: str
    created_at: pd.Timestamp
    start: pd.Timestamp  # first forecast interval
    interval: pd.Timedelta
    current: int
    need: tuple[float, ...]  # units per interval with headroom, before any other rule
    capacity: tuple[int, ...]  # planned units per interval
    steps: tuple[ScalingStep, ...]
    cost: CostImpact
    confidence: Confidence
    late: tuple[pd.Timestamp, ...]  # intervals whose need cannot be served in time
    anomaly_hold: bool
    forecast_model: str
    settings: PlannerSettings = field(default_factory=PlannerSettings)

    @property
    def timestamps(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=len(self.capacity), freq=self.interval)

    @property
    def first_step_at(self) -> pd.Timestamp | None:
        return self.steps[0].at if self.steps else None

    @property
    def largest_step(self) -> int:
        return max((abs(step.change) for step in self.steps), default=0)

    @property
    def scales_in(self) -> bool:
        return any(step.change < 0 for step in self.steps)

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "created_at": self.created_at.isoformat(),
            "start": self.start.isoformat(),
            "interval": self.interval.total_seconds(),
            "current": self.current,
            "need": list(self.need),
            "capacity": list(self.capacity),
            "steps": [step.to_dict() for step in self.steps],
            "cost": self.cost.to_dict(),
            "confidence": self.confidence.to_dict(),
            "late": [stamp.isoformat() for stamp in self.late],
            "anomaly_hold": self.anomaly_hold,
            "forecast_model": self.forecast_model,
            "settings": self.settings.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> CapacityPlan:
        return cls(
            target=str(data["target"]),
            created_at=pd.Timestamp(data["created_at"]),  # type: ignore[arg-type]
            start=pd.Timestamp(data["start"]),  # type: ignore[arg-type]
            interval=pd.Timedelta(seconds=float(data["interval"])),  # type: ignore[arg-type]
            current=int(data["current"]),  # type: ignore[arg-type]
            need=tuple(float(v) for v in data["need"]),  # type: ignore[attr-defined]
            capacity=tuple(int(v) for v in data["capacity"]),  # type: ignore[attr-defined]
            steps=tuple(ScalingStep.from_dict(s) for s in data["steps"]),  # type: ignore[attr-defined]
            cost=CostImpact.from_dict(data["cost"]),  # type: ignore[arg-type]
            confidence=Confidence.from_dict(data["confidence"]),  # type: ignore[arg-type]
            late=tuple(pd.Timestamp(s) for s in data["late"]),  # type: ignore[attr-defined]
            anomaly_hold=bool(data["anomaly_hold"]),
            forecast_model=str(data["forecast_model"]),
            settings=PlannerSettings.from_dict(data["settings"]),  # type: ignore[arg-type]
        )
