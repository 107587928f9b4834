"""When a plan may be approved without a person: the auto-approve policy.

Every configured rule must pass; a rule left as ``None`` (or an empty freeze list) is not
checked. Only targets in ``auto_approve`` mode are ever auto-approved: ``approval
required`` always waits for a person, ``forecast-only`` plans are never executed, ``off``
targets have no plans. Freeze windows are checked at ``now`` *and* at every step's time,
because an approved step runs when it is due.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from models.planning.lifecycle import Plan
from models.planning.proposal import CapacityPlan
from models.planning.target import ScalableTarget, TargetMode

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class FreezeWindow:
    """Weekdays (0 = Monday) and a local time range; ``end <= start`` runs past midnight."""

    days: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", frozenset(self.days))
        if not self.days or not self.days <= set(range(7)):
            raise ValueError(f"freeze window days must be 0 (Monday) .. 6, got {sorted(self.days)}")

    def contains(self, local: datetime) -> bool:
        clock, day = local.time().replace(tzinfo=None), local.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= clock < self.end
        # Overnight (or all day when start == end): the part after midnight belongs to
        # the window that started the day before.
        return (day in self.days and clock >= self.start) or (
            (day - 1) % 7 in self.days and clock < self.end
        )

    def describe(self) -> str:
        days = ",".join(WEEKDAYS[d] for d in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class PolicyDecision:
    approved: bool
    reasons: list[str]  # one per rule checked, saying whether it passed and why
    failed: tuple[str, ...] = ()  # names of the rules that failed


@dataclass(frozen=True)
class AutoApprovePolicy:
    max_step_units: int | None = 2
    max_hourly_increase: float | None = None  # $/hour above today's cost, at the plan's peak
    scale_out_only: bool = False
    min_confidence: float | None = None
    freeze_windows: tuple[FreezeWindow, ...] = ()
    timezone: str = "UTC"
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "freeze_windows", tuple(self.freeze_windows))
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        object.__setattr__(self, "_zone", zone)

    def to_dict(self) -> dict[str, object]:
        return {
            "max_step_units": self.max_step_units,
            "max_hourly_increase": self.max_hourly_increase,
            "scale_out_only": self.scale_out_only,
            "min_confidence": self.min_confidence,
            "freeze_windows": [
                {"days": sorted(w.days), "start": f"{w.start:%H:%M}", "end": f"{w.end:%H:%M}"}
                for w in self.freeze_windows
            ],
            "timezone": self.timezone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> AutoApprovePolicy:
        windows = tuple(
            FreezeWindow(
                frozenset(w["days"]),
                time.fromisoformat(w["start"]),
                time.fromisoformat(w["end"]),
            )
            for w in data.get("freeze_windows", [])  # type: ignore[union-attr]
        )
        return cls(
            max_step_units=data.get("max_step_units"),  # type: ignore[arg-type]
            max_hourly_increase=data.get("max_hourly_increase"),  # type: ignore[arg-type]
            scale_out_only=bool(data.get("scale_out_only", False)),
            min_confidence=data.get("min_confidence"),  # type: ignore[arg-type]
            freeze_windows=windows,
            timezone=str(data.get("timezone", "UTC")),
        )

    def evaluate(
        self, plan: Plan | CapacityPlan, target: ScalableTarget, now: pd.Timestamp
    ) -> PolicyDecision:
        proposal = plan.proposal if isinstance(plan, Plan) else plan
        checks = [self._mode(target), *self._rules(proposal, _utc(now))]
        failed = tuple(name for name, passed, _ in checks if not passed)
        reasons = [f"{name}: {'passed' if ok else 'FAILED'} ({why})" for name, ok, why in checks]
        return PolicyDecision(not failed, reasons, failed)

    def _mode(self, target: ScalableTarget) -> tuple[str, bool, str]:
        if target.mode is TargetMode.AUTO_APPROVE:
            return ("mode", True, "target allows auto-approval")
        why = {
            TargetMode.OFF: "target is off: no plans",
            TargetMode.FORECAST_ONLY: "target is forecast-only: plans are never executed",
            TargetMode.APPROVAL_REQUIRED: "target requires a person's approval",
        }[target.mode]
        return ("mode", False, why)

    def _rules(self, proposal: CapacityPlan, now: pd.Timestamp) -> Iterable[tuple[str, bool, str]]:
        if self.max_step_units is not None:
            step = proposal.largest_step
            yield (
                "step size",
                step <= self.max_step_units,
                f"largest step {step} units, limit {self.max_step_units}",
            )
        if self.max_hourly_increase is not None:
            increase = proposal.cost.peak_hourly_increase
            yield (
                "cost",
                increase <= self.max_hourly_increase + 1e-9,
                f"up to ${increase:.2f}/hour more, limit ${self.max_hourly_increase:.2f}/hour",
            )
        if self.scale_out_only:
            yield (
                "scale-out only",
                not proposal.scales_in,
                "plan scales in" if proposal.scales_in else "no scale-in",
            )
        if self.min_confidence is not None:
            value = proposal.confidence.value
            yield (
                "confidence",
                value >= self.min_confidence,
                f"{value:.2f}, at least {self.min_confidence:.2f}",
            )
        if self.freeze_windows:
            yield self._freeze(proposal, now)

    def _freeze(self, proposal: CapacityPlan, now: pd.Timestamp) -> tuple[str, bool, str]:
        for moment, what in [(now, "now"), *((s.at, "step") for s in proposal.steps)]:
            window = self.frozen_at(moment)
            if window is not None:
                local = _utc(moment).tz_convert(self._zone)
                return (
                    "freeze window",
                    False,
                    f"{what} at {local:%a %H:%M} {self.timezone} is in {window.describe()}",
                )
        return ("freeze window", True, "now and every step are outside the freeze windows")

    def frozen_at(self, moment: pd.Timestamp) -> FreezeWindow | None:
        """The freeze window covering ``moment`` (naive times are UTC), if any."""
        local = _utc(moment).tz_convert(self._zone).to_pydatetime()
        return next((w for w in self.freeze_windows if w.contains(local)), None)


def _utc(moment: pd.Timestamp | datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
