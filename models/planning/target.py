"""What can be scaled: :class:`ScalableTarget`, its modes, and how its metric becomes units.

Two kinds of driving metric, and the rule that turns a metric value into units needed:

* ``throughput`` (requests/s, jobs/min, bytes/s): the metric is the *total* demand on the
  target, ``per_unit`` is what one unit serves at the target utilisation (e.g. 500 req/s).
  ``units = value / per_unit``.
* ``utilisation`` (CPU %, memory %): the metric is the *average per-unit* utilisation,
  ``per_unit`` is the utilisation one unit should run at (e.g. 60 %). The total demand is
  ``value x current units`` (4 units at 90 % is 360 "unit-percent"), so
  ``units = value x current / per_unit`` — 6 units at 60 %. This assumes the forecast was
  made while the target ran at its current capacity.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from datetime import timedelta
from enum import StrEnum

import numpy as np


class TargetKind(StrEnum):
    POOL = "pool"  # a pool of instances scaled by some other means
    ASG = "asg"  # an AWS Auto Scaling group
    SSH_SERVICE = "ssh"  # a service scaled by a command over SSH


class MetricKind(StrEnum):
    THROUGHPUT = "throughput"
    UTILISATION = "utilisation"


class TargetMode(StrEnum):
    OFF = "off"  # no plans at all
    FORECAST_ONLY = "forecast_only"  # plans are shown, never executed
    APPROVAL_REQUIRED = "approval_required"  # a person approves every plan
    AUTO_APPROVE = "auto_approve"  # the auto-approve policy decides


class InvalidTarget(ValueError):
    """A target definition that cannot be planned for; says which field and why."""

    def __init__(self, name: str, field: str, reason: str) -> None:
        self.name = name
        self.field = field
        self.reason = reason
        super().__init__(f"target {name!r}: {field}: {reason}")


@dataclass(frozen=True)
class ScalableTarget:
    """Something with a capacity counted in whole units. The executor is attached by name."""

    name: str
    kind: TargetKind
    metric: str  # the driving metric, a catalogue name such as "cpu.percent"
    metric_kind: MetricKind
    per_unit: float  # what one unit serves at the target utilisation (see module docstring)
    current: int
    desired: int
    minimum: int
    maximum: int
    price_per_unit_hour: float  # $ per unit-hour
    warmup: timedelta  # how long a new unit takes to serve
    cooldown: timedelta  # least time between two scaling actions
    mode: TargetMode = TargetMode.APPROVAL_REQUIRED
    executor: str = ""  # name of the executor that applies plans (connectors/scaling)

    def __post_init__(self) -> None:
        # Accept plain strings (from settings files) for the enums.
        for field, enum in (
            ("kind", TargetKind),
            ("metric_kind", MetricKind),
            ("mode", TargetMode),
        ):
            value = getattr(self, field)
            try:
                object.__setattr__(self, field, enum(value))
            except ValueError:
                choices = ", ".join(e.value for e in enum)
                self._fail(field, f"{value!r} is not one of {choices}")
        if not self.name.strip():
            self._fail("name", "must not be empty")
        if not self.metric.strip():
            self._fail("metric", "must name the metric that drives the capacity")
        if not (np.isfinite(self.per_unit) and self.per_unit > 0):
            self._fail("per_unit", f"must be a positive number, got {self.per_unit}")
        if self.metric_kind is MetricKind.UTILISATION and self.per_unit > 100:
            self._fail("per_unit", f"a target utilisation is at most 100 %, got {self.per_unit}")
        if self.minimum < 0:
            self._fail("minimum", f"must be 0 or more, got {self.minimum}")
        if self.maximum < self.minimum:
            self._fail("maximum", f"{self.maximum} is below the minimum {self.minimum}")
        for field in ("current", "desired"):
            value = getattr(self, field)
            if not self.minimum <= value <= self.maximum:
                self._fail(field, f"{value} is outside the range {self.minimum}..{self.maximum}")
        if not (np.isfinite(self.price_per_unit_hour) and self.price_per_unit_hour >= 0):
            self._fail("price_per_unit_hour", f"must be 0 or more, got {self.price_per_unit_hour}")
        for field in ("warmup", "cooldown"):
            if getattr(self, field) < timedelta(0):
                self._fail(field, "must not be negative")

    def _fail(self, field: str, reason: str) -> None:
        raise InvalidTarget(self.name, field, reason)

    def units_needed(self, values: np.ndarray) -> np.ndarray:
        """Fractional units needed to serve metric ``values`` (the rule in the module docstring)."""
        demand = np.clip(np.asarray(values, dtype=float), 0.0, None)
        if self.metric_kind is MetricKind.UTILISATION:
            demand = demand * self.current
        return demand / self.per_unit

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.update(
            kind=self.kind.value,
            metric_kind=self.metric_kind.value,
            mode=self.mode.value,
            warmup=self.warmup.total_seconds(),
            cooldown=self.cooldown.total_seconds(),
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ScalableTarget:
        name = str(data.get("name", "?"))
        required = [f.name for f in fields(cls) if f.default is MISSING]
        for field in required:
            if field not in data:
                raise InvalidTarget(name, field, "missing")
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        for field in ("warmup", "cooldown"):
            try:
                values[field] = timedelta(seconds=float(values[field]))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise InvalidTarget(name, field, "must be a number of seconds") from None
        return cls(**values)  # type: ignore[arg-type]
