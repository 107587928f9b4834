"""The reasoning behind one planned capacity: each rule the number went through, in order."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class Rule(StrEnum):
    FORECAST = "forecast"  # raw need from the forecast's upper bound
    HEADROOM = "headroom"
    WHOLE_UNITS = "whole units"
    WARMUP = "warm-up lead"  # start early enough for new units to be serving in time
    RAMP = "ramp ahead"  # start early enough for the step limit to reach a later need
    STABILISATION = "stabilisation"  # scale in only after the need stayed low long enough
    ANOMALY_HOLD = "anomaly hold"  # never scale in while the metrics are anomalous
    MIN_MAX = "min/max"
    COOLDOWN = "cooldown"  # an action covers the need until the next one is allowed
    STEP_LIMIT = "step limit"  # at most N units per action
    FINAL = "final"


@dataclass(frozen=True, slots=True)
class TraceStep:
    rule: Rule
    value: float  # units after this rule
    note: str  # the data the rule used, in words

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.rule.value, "value": self.value, "note": self.note}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> TraceStep:
        return cls(Rule(data["rule"]), float(data["value"]), str(data["note"]))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Trace:
    steps: tuple[TraceStep, ...]

    @property
    def final(self) -> float:
        return self.steps[-1].value if self.steps else math.nan

    def changed_by(self) -> list[Rule]:
        """The rules that changed the number (the first step sets it, so it always counts)."""
        rules = [self.steps[0].rule] if self.steps else []
        for before, step in zip(self.steps, self.steps[1:], strict=False):
            if step.rule is not Rule.FINAL and abs(step.value - before.value) > 1e-9:
                rules.append(step.rule)
        return rules

    def explain(self) -> str:
        """One line per rule, marking the rules that changed the number."""
        changed = set(self.changed_by())
        lines = []
        for step in self.steps:
            mark = "*" if step.rule in changed and step.rule is not Rule.FINAL else " "
            lines.append(f"{mark} {step.rule.value:<14} {step.value:>9.2f}  {step.note}")
        return "\n".join(lines)

    def to_list(self) -> list[dict[str, object]]:
        return [step.to_dict() for step in self.steps]

    @classmethod
    def from_list(cls, data: list[dict[str, object]]) -> Trace:
        return cls(tuple(TraceStep.from_dict(item) for item in data))


NO_TRACE = Trace(())  # for plans made with ``explain=False``
