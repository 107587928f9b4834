"""The combined detector: several univariate detectors, one score in [0, 1].

Each component gives a raw score (robust z-score, seasonal-band breach, level
shift over an hour, slow shift or drift over a quarter day, flatline run). Raw scales
differ between components and between series, so each raw score is compared with the
largest value that same component gave over the last ``memory_seconds`` (at most
``memory`` rows): ``surprise = raw / past maximum``. The memory is in time so that it
means "the last few days" whatever the sampling rate. Above 1 the point is more
unusual than anything recently seen. The combined score is
``s / (1 + s)`` with ``s`` the largest surprise, so 0.5 means "as unusual as the
worst of the recent past" and the score peaks at the *onset* of an incident: once
an incident is under way it is part of the past maximum and scores lower. That is
what an alert needs (one page per incident) and what NAB rewards.

Nothing is reported during the first ``warmup`` points, and a component only
surprises once it has been alive (scored above 0) for ``warmup`` points of its own:
a seasonal band that starts scoring after its first full day has no past maximum
yet, and without this every one of its first scores would read as unprecedented.

Window lengths are set in time and turned into rows once the spacing of the data is
known (from its first ``RESOLVE_POINTS`` points, see :func:`components_for_step`): a
day of baseline at 5-minute resolution is 288 points, at 1-second resolution it is
capped at ``MAX_BASELINE_ROWS``, and it is never fewer than ``MIN_BASELINE_ROWS`` points,
which robust statistics need. Scores stay 0 until then (the warm-up is longer anyway).

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
from models.anomaly.trend import TrendDetector
from models.anomaly.windows import TimedTrailingMax

# Raw score at which each component's strength reaches 0.5 (clearly anomalous on its own).
ALERT_LEVELS = {
    "robust_z": 6.0,
    "seasonal_day": 6.0,
    "seasonal_week": 6.0,
    "level_shift": 4.0,
    "drift": 4.0,
    "trend": 4.0,
    "flatline": 1.0,
}
# How far back "the worst of the recent past" looks: one full cycle of the longest
# seasonality modelled (the week), so that ordinary weekly highs (Monday's peak, the
# weekend's trough) are part of the past and do not page anyone.
MEMORY_SECONDS = WEEK
# Row bound on that memory; it is the whole memory when timestamps are missing.
MEMORY_ROWS = 10_000
# Below these a component is never "surprising", however quiet its recent past was.
# A trend under half its alert level is a daily cycle or noise seen through a line.
MIN_RAW = {"flatline": 1.0, "trend": 3.0}
# Baselines cover a day (one daily cycle), within these row bounds (statistics, cost).
BASELINE_SECONDS = DAY
MIN_BASELINE_ROWS, MAX_BASELINE_ROWS = 288, 5_000
# A level shift or flatline must last an hour to count, within these row bounds.
RECENT_SECONDS = 3_600.0
MIN_RECENT_ROWS, MAX_RECENT_ROWS = 12, 120
# A slow shift or drift (a leak, a creeping load) barely moves an hour against a day:
# the same comparison a scale up, a quarter day against the three days before it.
DRIFT_RECENT_SECONDS = 6 * 3_600.0
DRIFT_REFERENCE_SECONDS = 3 * DAY
MAX_DRIFT_RECENT_ROWS = 288  # the recent median costs this much per point
MAX_DRIFT_REFERENCE_ROWS = 15_000
# A leak is judged by a line through two days: a daily cycle then scores low.
TREND_SECONDS = 2 * DAY
WEEKLY_MIN_CYCLES = 2  # earlier weeks a weekly bin needs before it scores
RESOLVE_POINTS = 8  # finite points whose spacing sets the windows in rows


@dataclass(frozen=True, slots=True)
class CombinedScores:
    score: np.ndarray  # onset-weighted, in [0, 1]
    strength: np.ndarray  # sustained, in [0, 1]
    components: dict[str, np.ndarray]  # raw score of each component


def default_components(
    window: int = 288,
    refresh: int = 16,
    recent: int = 12,
    drift_recent: int = 72,
    drift_reference: int = 864,
    trend_window: int = 576,
) -> dict[str, UnivariateDetector]:
    """The standard set. ``window`` points of trailing baseline, refreshed every ``refresh``;
    level shifts and flat runs count from ``recent`` points; a drift is the median of
    ``drift_recent`` points against the ``drift_reference`` before them (0: no drift); a
    trend is a line through ``trend_window`` points (0: no trend)."""
    components: dict[str, UnivariateDetector] = {
        "robust_z": RobustZScore(window, refresh),
        "seasonal_day": SeasonalBandDetector(DAY, 1800.0, window=window, refresh=refresh),
        # One earlier week says little about what is normal on a Tuesday at 3 am: the
        # weekly band waits for two (the daily band and the z-score cover meanwhile).
        "seasonal_week": SeasonalBandDetector(
            WEEK, 3600.0, window=window, refresh=refresh, min_cycles=WEEKLY_MIN_CYCLES
        ),
        "level_shift": LevelShiftDetector(recent=recent, reference=window, refresh=refresh),
        "flatline": FlatlineDetector(min_run=recent),
    }
    if drift_recent >= 1:
        components["drift"] = LevelShiftDetector(
            recent=drift_recent, reference=drift_reference, refresh=max(1, drift_reference // 18)
        )
    if trend_window >= 3:
        components["trend"] = TrendDetector(trend_window, refresh=max(1, trend_window // 36))
    return components


def rows_for(seconds: float, step: float, low: int, high: int) -> int:
    """``seconds`` of data at one point every ``step`` seconds, within [low, high] rows
    (``low`` when the spacing is unknown)."""
    if not step > 0:
        return low
    return int(np.clip(round(seconds / step), low, high))


def components_for_step(
    step: float,
    drift_seconds: tuple[float, float] | None = (DRIFT_RECENT_SECONDS, DRIFT_REFERENCE_SECONDS),
    trend_seconds: float | None = TREND_SECONDS,
) -> dict[str, UnivariateDetector]:
    """The standard set with its windows sized for data ``step`` seconds apart;
    ``drift_seconds`` = (recent, reference) of the slow level-shift component and
    ``trend_seconds`` the span of the trend line (None: without that component)."""
    window = rows_for(BASELINE_SECONDS, step, MIN_BASELINE_ROWS, MAX_BASELINE_ROWS)
    recent = rows_for(RECENT_SECONDS, step, MIN_RECENT_ROWS, MAX_RECENT_ROWS)
    drift_recent, drift_reference = (
        (0, 0)
        if drift_seconds is None
        else (
            rows_for(drift_seconds[0], step, MIN_RECENT_ROWS, MAX_DRIFT_RECENT_ROWS),
            rows_for(drift_seconds[1], step, MIN_BASELINE_ROWS, MAX_DRIFT_REFERENCE_ROWS),
        )
    )
    # Refreshing every 1/18 of the window keeps the cost per point the same at any size.
    return default_components(
        window=window,
        refresh=max(1, window // 18),
        recent=recent,
        drift_recent=drift_recent,
        drift_reference=drift_reference,
        trend_window=0
        if trend_seconds is None
        else rows_for(trend_seconds, step, MIN_BASELINE_ROWS, MAX_BASELINE_ROWS),
    )


class CombinedDetector(StatefulMixin):
    """Streaming combination of the univariate detectors (same interface as each of them)."""

    def __init__(
        self,
        memory: int = MEMORY_ROWS,
        warmup: int | None = None,
        components: dict[str, UnivariateDetector] | None = None,
        alert_levels: dict[str, float] | None = None,
        memory_seconds: float = MEMORY_SECONDS,
        drift_seconds: tuple[float, float] | None = (
            DRIFT_RECENT_SECONDS,
            DRIFT_REFERENCE_SECONDS,
        ),
        trend_seconds: float | None = TREND_SECONDS,
    ) -> None:
        """``warmup`` rows (default ``MIN_BASELINE_ROWS``); ``components`` given explicitly
        are used as they are, otherwise the standard set is sized to the data's spacing."""
        self.memory = memory
        self.memory_seconds = memory_seconds
        self.warmup = warmup
        self.sized_to_data = components is None
        self.drift_seconds = drift_seconds
        self.trend_seconds = trend_seconds
        self.components = components if components is not None else self._sized(0.0)
        self.alert_levels = {**ALERT_LEVELS, **(alert_levels or {})}
        self.reset()

    def reset(self) -> None:
        self.step_: float | None = None if self.sized_to_data else 0.0  # None: not sized yet
        if self.sized_to_data:
            self.components = self._sized(0.0)
        for detector in self.components.values():
            detector.reset()
        self.held_values_ = np.empty(0)  # points waiting for the spacing to be known
        self.held_times_ = np.empty(0)
        self.past_max_ = {
            name: TimedTrailingMax(self.memory_seconds, self.memory) for name in self.components
        }
        self.seen_ = 0  # finite points so far
        self.live_ = dict.fromkeys(self.components, 0)  # finite points since first score > 0

    def _sized(self, step: float) -> dict[str, UnivariateDetector]:
        return components_for_step(step, self.drift_seconds, self.trend_seconds)

    @property
    def warmup_rows(self) -> int:
        """Points before anything is reported: ``warmup``, or ``MIN_BASELINE_ROWS`` (enough
        for robust statistics; waiting for a whole day of 1-second data would leave a new
        host unwatched for over an hour)."""
        return MIN_BASELINE_ROWS if self.warmup is None else self.warmup

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
        step = state.get("step_")
        if self.sized_to_data and isinstance(step, float):
            self.components = self._sized(step)
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
        if self.step_ is None:
            return self._size_then_score(values, timestamps)
        return self._score_sized(values, timestamps)

    def _size_then_score(self, values: np.ndarray, timestamps: np.ndarray) -> CombinedScores:
        """Hold points until ``RESOLVE_POINTS`` finite ones give the spacing, then size the
        components and score everything held. Held points score 0 (as they did when fed)."""
        held = len(self.held_values_)
        values = np.concatenate([self.held_values_, values])
        timestamps = np.concatenate([self.held_times_, timestamps])
        finite = np.flatnonzero(np.isfinite(values))
        if len(finite) < RESOLVE_POINTS:
            self.held_values_, self.held_times_ = values, timestamps
            return _silent(len(values) - held, self.components)
        first = timestamps[finite[:RESOLVE_POINTS]]
        self.step_ = max(float(np.median(np.diff(first))), 0.0)
        self.components = self._sized(self.step_)
        self.held_values_, self.held_times_ = np.empty(0), np.empty(0)
        result = self._score_sized(values, timestamps)
        sized_at = finite[RESOLVE_POINTS - 1]  # points before it were answered while held
        keep = slice(held, None)
        return CombinedScores(
            _zero_before(result.score, sized_at)[keep],
            _zero_before(result.strength, sized_at)[keep],
            {name: _zero_before(raw, sized_at)[keep] for name, raw in result.components.items()},
        )

    def _score_sized(self, values: np.ndarray, timestamps: np.ndarray) -> CombinedScores:
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
            ratio = np.where(self._live_for(name, component, finite) > self.warmup_rows, ratio, 0.0)
            surprise = np.maximum(surprise, ratio)
            level = self.alert_levels.get(name, 1.0)
            strength = np.maximum(strength, component / (component + level))
        # Baselines learnt from a handful of points are noise: stay silent while warming up.
        order = self.seen_ + np.cumsum(finite)
        self.seen_ = int(order[-1]) if len(order) else self.seen_
        warmup = self.warmup_rows
        warm = finite & (order > warmup)
        score = np.where(warm, surprise / (1.0 + surprise), 0.0)
        return CombinedScores(score, np.where(warm, strength, 0.0), raw)


def _silent(n: int, components: dict[str, UnivariateDetector]) -> CombinedScores:
    return CombinedScores(np.zeros(n), np.zeros(n), {name: np.zeros(n) for name in components})


def _zero_before(scores: np.ndarray, position: int) -> np.ndarray:
    scores = scores.copy()
    scores[:position] = 0.0
    return scores
