"""The predictive policy: Headroom's planner driven by rolling forecasts of the demand.

At each decision the forecaster (:mod:`models.simulation.rolling`, fitted on the past
only) forecasts the current interval, the warm-up after it and a few intervals more
(so the planner's ramp-ahead can see a rise coming). ``models.planning.plan_capacity``
turns that into a capacity schedule — the upper bound of the ``level`` % band, plus the
planner's headroom, in whole units, covering the warm-up lead, within min/max, ramped
to the step limit — and the policy takes the schedule's first slot: what the fleet
should be now.

The planner's own stabilisation is switched off inside each plan, because every plan
starts from today's fleet and would then never scale in; the same rule (scale in only
after the need stayed low for the whole window) is applied across decisions instead,
with the replay's window. With ``reactive_floor`` (the default) the fleet never goes
below the need of the last observed interval, so a level shift the seasonal forecast
cannot know about is followed at least as fast as the reactive policy would. With
``hourly_calibration`` (the default) the bound planned on is raised where this policy's
own past errors at that hour of day say it is too low (:mod:`models.planning.hourly`):
the forecaster's band is calibrated over the whole day, a nightly job is not. With
``adaptive_margin`` (the default) the margin above the mean widens while the bound has
been missing more often than its level allows (:mod:`models.planning.adaptive`): both
calibrations learn from weeks of errors and lag when demand turns more volatile.
Without a usable forecast (too little history, a failed fit) the policy falls back to
the need of the last observed interval.

Each decision records the forecast of the interval it acted on — the first one a unit
requested now can serve, ``warm-up`` intervals ahead: its mean and the bound planned on
(:meth:`PredictivePolicy.planned_forecast`, shown by the What-if chart).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from models.planning.adaptive import AdaptiveMargin, calibrated_forecast
from models.planning.hourly import HourlyCalibration
from models.simulation.policies import History, last_observed, stabiliser
from models.simulation.results import PlannedForecast
from models.simulation.rolling import RollingForecaster
from models.simulation.settings import ReplaySettings, needed_units

if TYPE_CHECKING:
    from models.forecast import Forecast
    from models.planning import PlannerSettings, ScalableTarget

# Intervals forecast beyond the warm-up lead: lets the step limit start a ramp early.
RAMP_LOOKAHEAD = 3
NO_MAXIMUM = 1_000_000
PLAN_CACHE_SIZE = 4096


class PredictivePolicy:
    name = "predictive"

    def __init__(self, settings: ReplaySettings, warmup_intervals: int) -> None:
        from models.planning import PlannerSettings

        self.settings = settings
        self.warmup_intervals = warmup_intervals
        self.planner_settings = PlannerSettings(
            level=settings.level,
            headroom=settings.headroom,
            stabilisation=timedelta(0),
            max_step=settings.max_step,
        )

    def forecaster(self, state: dict[str, object]) -> RollingForecaster:
        if "forecaster" not in state:
            state["forecaster"] = RollingForecaster(
                horizon=self.warmup_intervals + 1 + RAMP_LOOKAHEAD,
                level=self.settings.level,
                refit_every=self.settings.refit_every,
                fit_window=self.settings.fit_window,
            )
        return state["forecaster"]  # type: ignore[return-value]

    def initial_units(self, history: History, state: dict[str, object]) -> int:
        # Before the replay the fleet is whatever the plan wants for the first interval.
        return self._recommend(history, self.settings.min_units, state, ramp=False)[0]

    def decide(self, history: History, requested: int, state: dict[str, object]) -> int:
        log: list[tuple[int, float, float]] = state.setdefault("forecasts", [])  # type: ignore[assignment]
        self._learn_errors(history, log, state)
        recommendation, mean, bound = self._recommend(history, requested, state, ramp=True)
        log.append((history.now, mean, bound))  # bound: what was planned on, before headroom
        if self.settings.reactive_floor:
            # A seasonal forecast misses a sudden level shift for up to a season; never
            # plan below what the last observed interval needed (predictive + reactive).
            last = last_observed(history.values)
            if last is not None:
                floor = self.settings.clamp(int(needed_units(last, self.settings.unit_capacity)))
                recommendation = max(recommendation, floor)
        return stabiliser(state, self.settings, history.step).apply(recommendation, requested)

    def _recommend(
        self, history: History, requested: int, state: dict[str, object], ramp: bool
    ) -> tuple[int, float, float]:
        """Units wanted now, and the forecast mean and bound of the interval acted on."""
        from models.planning import plan_capacity

        forecast = self.forecaster(state).forecast(history)
        if forecast is None:
            last = last_observed(history.values)
            need = 0 if last is None else int(needed_units(last, self.settings.unit_capacity))
            return self.settings.clamp(need), np.nan, np.nan
        forecast = self._calibrated(forecast, state)
        acted_on = min(self.warmup_intervals, forecast.horizon - 1)
        mean = float(forecast.mean[acted_on])
        bound = float(forecast.upper[self.settings.level][acted_on])
        planner_settings = self.planner_settings
        if not ramp:  # the initial fleet is not built by actions: no step limit
            planner_settings = replace(planner_settings, max_step=NO_MAXIMUM)
        target = self._target(requested)
        # The schedule depends only on the whole units needed per interval and today's
        # fleet (the rest is fixed for the replay), and a plan with its traces costs
        # milliseconds: reuse the answer when those repeat, as they mostly do.
        key = (ramp, target.current, *whole_units(target, forecast, planner_settings))
        cache: dict[tuple[object, ...], int] = state.setdefault("plans", {})  # type: ignore[assignment]
        answer = cache.get(key)
        if answer is None:
            answer = int(plan_capacity(target, forecast, planner_settings).capacity[0])
            state["plans_made"] = int(state.get("plans_made", 0)) + 1  # type: ignore[call-overload]
            if len(cache) >= PLAN_CACHE_SIZE:
                cache.clear()
            if PLAN_CACHE_SIZE:
                cache[key] = answer
        return self.settings.clamp(answer), mean, bound

    def _hourly(self, state: dict[str, object]) -> HourlyCalibration | None:
        if not self.settings.hourly_calibration:
            return None
        if "hourly" not in state:
            state["hourly"] = HourlyCalibration(self.settings.level)
        return state["hourly"]  # type: ignore[return-value]

    def _adaptive(self, state: dict[str, object]) -> AdaptiveMargin | None:
        if not self.settings.adaptive_margin:
            return None
        if "adaptive" not in state:
            state["adaptive"] = AdaptiveMargin(self.settings.level)
        return state["adaptive"]  # type: ignore[return-value]

    def _learn_errors(
        self, history: History, log: list[tuple[int, float, float]], state: dict[str, object]
    ) -> None:
        """Learn from every logged decision whose aimed interval has now passed."""
        hourly, adaptive = self._hourly(state), self._adaptive(state)
        if hourly is None and adaptive is None:
            return
        done: int = state.get("errors_learnt", 0)  # type: ignore[assignment]
        start, step = history.start.timestamp(), history.step.total_seconds()
        while done < len(log) and log[done][0] + self.warmup_intervals < history.now:
            decided, mean, bound = log[done]
            aimed = decided + self.warmup_intervals
            actual = history.values[aimed]
            if hourly is not None:
                hourly.record(start + aimed * step, actual - mean)
            if adaptive is not None:
                adaptive.record(actual, bound)
            done += 1
        state["errors_learnt"] = done

    def _calibrated(self, forecast: Forecast, state: dict[str, object]) -> Forecast:
        """The forecast with its planned-on bound raised by the hour-of-day calibration
        and widened by the adaptive margin."""
        return calibrated_forecast(
            forecast, self.settings.level, self._hourly(state), self._adaptive(state)
        )

    def _target(self, requested: int) -> ScalableTarget:
        from models.planning import MetricKind, ScalableTarget, TargetKind

        s = self.settings
        maximum = s.max_units if s.max_units is not None else NO_MAXIMUM
        current = min(max(requested, s.min_units), maximum)
        return ScalableTarget(
            name="replay",
            kind=TargetKind.POOL,
            metric="demand",
            metric_kind=MetricKind.THROUGHPUT,
            per_unit=s.unit_capacity,
            current=current,
            desired=current,
            minimum=s.min_units,
            maximum=maximum,
            price_per_unit_hour=s.price_per_unit_hour,
            warmup=s.warmup.to_pytimedelta(),
            cooldown=timedelta(0),  # one decision per interval, like the other policies
        )

    def planned_forecast(self, state: dict[str, object], first: int, n: int) -> PlannedForecast:
        """What each decision of intervals ``first`` .. ``first + n - 1`` forecast."""
        mean, bound = np.full(n, np.nan), np.full(n, np.nan)
        with_headroom = 1.0 + self.planner_settings.headroom  # the planner adds it
        for now, m, b in state.get("forecasts", []):  # type: ignore[attr-defined]
            if 0 <= now - first < n:
                mean[now - first], bound[now - first] = m, b * with_headroom
        return PlannedForecast(lead=self.warmup_intervals, mean=mean, bound=bound)

    def details(self, state: dict[str, object]) -> dict[str, object]:
        forecaster = self.forecaster(state)
        return {
            "planner": "models.planning.plan_capacity",
            "level": self.settings.level,
            "headroom": self.settings.headroom,
            "reactive_floor": self.settings.reactive_floor,
            "hourly_calibration": self.settings.hourly_calibration,
            "adaptive_margin": self.settings.adaptive_margin,
            **adaptive_details(self._adaptive(state)),
            "max_step": self.settings.max_step,
            "refits": len(forecaster.models),
            "models": sorted(set(forecaster.models)),
            "decisions_without_forecast": forecaster.failures,
            "plans_computed": state.get("plans_made", 0),
        }


def whole_units(
    target: ScalableTarget, forecast: Forecast, settings: PlannerSettings
) -> tuple[int, ...]:
    """The planner's rules 1-2 (see models.planning.planner): whole units per interval."""
    upper = np.asarray(forecast.upper[settings.level], dtype=float)
    raw = target.units_needed(np.nan_to_num(upper, nan=0.0))
    raw = np.where(np.isnan(upper), float(target.current), raw)
    return tuple(int(v) for v in np.ceil(raw * (1.0 + settings.headroom) - 1e-9))


def adaptive_details(adaptive: AdaptiveMargin | None) -> dict[str, object]:
    """How often the planned-on bound was missed, and the margin's factor at the end."""
    if adaptive is None:
        return {}
    share = adaptive.misses / adaptive.checks if adaptive.checks else None  # JSON: null
    return {"bound_missed_share": share, "final_margin_factor": adaptive.factor}
