"""The combined detector: several univariate detectors, one score in [0, 1].

Each component gives a raw score (robust z-score, seasonal-band breach, level
shift, flatline run). Raw scales differ between components and between series,
so each raw score is compared with the largest value that same component gave
over the last ``memory_seconds`` (at most ``memory`` rows): ``surprise = raw / past
maximum``. The memory is in time so that it means "the last few days" whatever the
sampling rate. Above 1 the
point is more unusual than anything recently seen. The combined score is
``s / (1 + s)`` with ``s`` the largest surprise, so 0.5 means "as unusual as the
worst of the recent past" and the score peaks at the *onset* of an incident: once
an incident is under way it is part of the past maximum and scores lower. That is
what an alert needs (one page per incident) and what NAB rewards.

Nothing is reported during the first ``warmup`` points, and a component only
surprises once it has been alive (scored above 0) for ``warmup`` points of its own:
a seasonal band that starts scoring after its first full day has no past maximum
yet, and without this every one of its first scores would read as unprecedented.

``strength`` is the sustained counterpart for incident tracking: how far each
component is beyond its own alert level, whatever the recent past, in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.anomaly.base import StatefulMixin, UnivariateDetector
from models.anomaly.flatline import FlatlineDetector
from models.anomaly.level_shift import LevelShiftDetector
from models.anomaly.robust_z import RobustZScore
from models.anomaly.seasonal import DAY, WEEK, SeasonalBandDetector
from models.anomaly.windows import TimedTrailingMax

# Raw score at which each component's strength reaches 0.5 (clearly anomalous on its own).
ALERT_LEVELS = {
    "robust_z": 6.0,
    "seasonal_day": 6.0,
    "seasonal_week": 6.0,
    "level_shift": 4.0,
    "flatline": 1.0,
}
# How far back "the worst of the recent past" looks: one full cycle of the longest
# seasonality modelled (the week), so that ordinary weekly highs (Monday's peak, the
# weekend's trough) are part of the past and do not page anyone.
MEMORY_SECONDS = WEEK
# Row bound on that memory; it is the whole memory when timestamps are missing.
MEMORY_ROWS = 10_000
# Below these a component is never "surprising", however quiet its recent past was.
MIN_RAW = {"flatline": 1.0}


@dataclass(frozen=True, slots=True)
class CombinedScores:
    score: np.ndarray  # onset-weighted, in [0, 1]
    strength: np.ndarray  # sustained, in [0, 1]
    components: dict[str, np.ndarray]  # raw score of each component


def default_components(window: int = 288, refresh: int = 16) -> dict[str, UnivariateDetector]:
    """The standard set. ``window`` points of trailing baseline, refreshed every ``refresh``."""
    return {
        "robust_z": RobustZScore(window, refresh),
        "seasonal_day": SeasonalBandDetector(DAY, 1800.0, window=window, refresh=refresh),
        "seasonal_week": SeasonalBandDetector(WEEK, 3600.0, window=window, refresh=refresh),
        "level_shift": LevelShiftDetector(recent=12, reference=window, refresh=refresh),
        "flatline": FlatlineDetector(min_run=12),
    }


class CombinedDetector(StatefulMixin):
    """Streaming combination of the univariate detectors (same interface as each of them)."""

    def __init__(
        self,
        memory: int = MEMORY_ROWS,
        warmup: int = 288,
        components: dict[str, UnivariateDetector] | None = None,
        alert_levels: dict[str, float] | None = None,
        memory_seconds: float = MEMORY_SECONDS,
    ) -> None:
        self.memory = memory
        self.memory_seconds = memory_seconds
        self.warmup = warmup
        self.components = components if components is not None else default_components()
        self.alert_levels = {**ALERT_LEVELS, **(alert_levels or {})}
        self.reset()

    def reset(self) -> None:
        for detector in self.components.values():
            detector.reset()
        self.past_max_ = {
            name: TimedTrailingMax(self.memory_seconds, self.memory) for name in self.components
        }
        self.seen_ = 0  # finite points so far
        self.live_ = dict.fromkeys(self.components, 0)  # finite points since first score > 0

    def _live_for(self, name: str, component: np.ndarray, finite: np.ndarray) -> np.ndarray:
        """Finite points since the component first scored above 0, up to each point."""
        started = np.logical_or.accumulate((component > 0) | (self.live_[name] > 0))
        live = self.live_[name] + np.cumsum(started & finite)
        self.live_[name] = int(live[-1]) if len(live) else self.live_[name]
        return live

    def get_state(self) -> dict[str, object]:
        state = super().get_state()
        state["components_"] = {name: d.get_state() for name, d in self.components.items()}
        return state

    def set_state(self, state: dict[str, object]) -> None:
        state = dict(state)
        for name, component_state in dict(state.pop("components_")).items():  # type: ignore[call-overload]
            self.components[name].set_state(component_state)
        super().set_state(state)

    def update(self, value: float, timestamp: float = 0.0) -> float:
        return float(self.score(np.array([value], dtype=float), np.array([timestamp]))[0])

    def score(self, values: np.ndarray, timestamps: np.ndarray | None = None) -> np.ndarray:
        return self.score_components(values, timestamps).score

    def score_components(
        self, values: np.ndarray, timestamps: np.ndarray | None = None
    ) -> CombinedScores:
        values = np.asarray(values, dtype=float)
        timestamps = np.zeros(len(values)) if timestamps is None else np.asarray(timestamps, float)
        finite = np.isfinite(values)
        surprise = np.zeros(len(values))
        strength = np.zeros(len(values))
        raw: dict[str, np.ndarray] = {}
        for name, detector in self.components.items():
            component = detector.score(values, timestamps)
            raw[name] = component
            # Past maxima only over real points: NaN rows must not dilute the memory.
            before = np.full(len(values), -np.inf)
            before[finite] = self.past_max_[name].apply(component[finite], timestamps[finite])
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(before > 0, component / before, 0.0)
            ratio = np.where(component >= MIN_RAW.get(name, 0.0), ratio, 0.0)
            # A component that has just come alive (a seasonal bin after its first cycles)
            # has no past worth comparing with: it only surprises after ``warmup`` live points.
            ratio = np.where(self._live_for(name, component, finite) > self.warmup, ratio, 0.0)
            surprise = np.maximum(surprise, ratio)
            level = self.alert_levels.get(name, 1.0)
            strength = np.maximum(strength, component / (component + level))
        # Baselines learnt from a handful of points are noise: stay silent while warming up.
        order = self.seen_ + np.cumsum(finite)
        self.seen_ = int(order[-1]) if len(order) else self.seen_
        warm = finite & (order > self.warmup)
        score = np.where(warm, surprise / (1.0 + surprise), 0.0)
        return CombinedScores(score, np.where(warm, strength, 0.0), raw)
