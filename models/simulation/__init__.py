"""Policy replay: what a scaling policy would have done on a recorded demand series (no Qt).

Public API (stable; the console's what-if workspace runs ``replay`` in a worker)::

    ReplaySettings(unit_capacity, price_per_unit_hour, warmup=5 min,
                   scale_down_stabilisation=5 min, tolerance=0.10, min_units=1,
                   max_units=None, level=95, headroom=0.0, max_step=2,
                   reactive_floor=True, hourly_calibration=True, adaptive_margin=True,
                   refit_every=288, fit_window=4032,
                   history_intervals=None)                  # BadReplayInput if invalid
    replay(demand: pd.Series | DemandGrid, settings, policies=("predictive", "reactive",
           "static"), progress=(done, total) -> None, cancelled=() -> bool) -> ReplayReport
    ReplayReport.policies[name] -> PolicyResult; ReplayReport.to_dict(include_series=False)
    PolicyResult: .requested .serving (units per interval) .unit_hours .cost .intervals
        .intervals_under_capacity .percent_under_capacity .unserved_demand
        .scaling_actions .peak_units .summary()
        .forecast: PlannedForecast | None  (predictive only)
    PlannedForecast: .lead (intervals) .mean .bound (one per replayed interval: decision i
        forecast interval i + lead, NaN without a forecast) .decisions .to_dict()
    Policy (Protocol): name; initial_units(history, state) -> int;
        decide(history: History, requested: int, state: dict) -> int
        optional: details(state) -> dict; planned_forecast(state, first, n) -> PlannedForecast
    demand_grid(series) -> DemandGrid;  needed_units(demand, U) -> ceil(demand / U)
    errors: SimulationError > BadReplayInput(field, reason), ReplayCancelled(done, total)

Model of time. The series is put on its regular grid (median spacing); missing intervals
stay missing (not scored, policies see NaN). The first ``history_intervals`` (default:
two days or a tenth of the series, at most half) are history only; every later interval
is replayed. At the start of each interval a policy chooses a fleet size seeing only
the demand of earlier intervals. Warm-up applies to every policy: a unit requested at
``t`` serves from ``t + warm-up`` (rounded up to whole intervals); scale-downs remove
warming units first and take effect at once; every requested unit is paid for, warming
or not. Each policy's fleet just before the replayed window is already warm.

Target utilisation. Demand is in the column's units; ``unit_capacity`` U is the demand
one unit serves at the target utilisation. Needed units = ``ceil(demand / U)``; an
interval is *under capacity* when ``demand > serving_units * U``; the shortfall is
``demand - serving_units * U`` there.

Policies:

* ``predictive`` — Headroom's planner (``models.planning.plan_capacity``: upper bound of
  the ``level`` % band, ``headroom``, whole units, warm-up lead, min/max, ramp to the
  ``max_step`` limit) on rolling forecasts (automatic choice among the fast models,
  refitted every ``refit_every`` decisions on at most ``fit_window`` recent intervals,
  ``update()`` in between; :mod:`models.simulation.rolling`); scale-in stabilised
  across decisions; never below the last observed need when ``reactive_floor``
  (:mod:`models.simulation.predictive`); with ``hourly_calibration`` the bound is raised
  where the policy's own past errors at that hour of day say it is too low (a nightly
  job, a rush whose size varies; :mod:`models.planning.hourly`); with
  ``adaptive_margin`` the margin above the mean widens while that bound has been
  missed more often than its level allows (:mod:`models.planning.adaptive`);
* ``reactive`` — Kubernetes-HPA-style target tracking on the last observed interval:
  10 % tolerance, immediate scale-up, 5-minute scale-down stabilisation;
* ``static`` — a fixed fleet at the replayed window's peak need (hindsight).

JSON written by ``headroom simulate`` (``ReplayReport.to_dict``), schema
``headroom.simulation/1``::

    {"schema": "headroom.simulation/1",
     "input": {"path": str, "column": str},                       # added by the CLI
     "replay": {"start": ISO-8601 UTC, "end": ISO, "intervals": int,
                "step_seconds": float, "history_intervals": int},
     "parameters": {"unit_capacity": U, "price_per_unit_hour": P, "warmup_minutes": W,
                    "warmup_intervals": int, "scale_down_stabilisation_minutes": 5.0,
                    "tolerance": 0.1, "min_units": 1, "max_units": int | null,
                    "level": 95, "headroom": 0.0, "max_step": 2, "reactive_floor": true,
                    "hourly_calibration": true, "adaptive_margin": true,
                    "refit_every": 288},
     "policies": {"<name>": {
         "unit_hours": float,             # sum of requested units x interval length (h)
         "cost": float,                   # unit_hours x P
         "intervals": int,                # replayed intervals with observed demand
         "intervals_under_capacity": int,
         "percent_under_capacity": float, # 100 x under / intervals
         "unserved_demand": float,        # sum of shortfalls, column units x intervals
         "scaling_actions": int,          # intervals where the requested fleet changed
         "peak_units": int,               # largest requested fleet
         "details": {...},                # policy specific (predictive: refits, models)
         "series": {"requested_units": [int], "serving_units": [int],  # --series only
                    "forecast": {"lead_intervals": int,        # predictive only: decision i
                                 "mean": [float | null],       # forecast interval i + lead
                                 "bound": [float | null]}}     # demand its plan covered
     }},
     "series": {"timestamps": [ISO], "demand": [float | null],          # --series only
                "needed_units": [int]}}
"""

from __future__ import annotations

from models.simulation.engine import POLICY_NAMES, make_policy, replay, replay_policy
from models.simulation.errors import BadReplayInput, ReplayCancelled, SimulationError
from models.simulation.policies import History, Policy, ReactivePolicy, StaticPolicy
from models.simulation.predictive import PredictivePolicy
from models.simulation.results import SCHEMA, PlannedForecast, PolicyResult, ReplayReport
from models.simulation.settings import DemandGrid, ReplaySettings, demand_grid, needed_units

__all__ = [
    "POLICY_NAMES",
    "SCHEMA",
    "BadReplayInput",
    "DemandGrid",
    "History",
    "PlannedForecast",
    "Policy",
    "PolicyResult",
    "PredictivePolicy",
    "ReactivePolicy",
    "ReplayCancelled",
    "ReplayReport",
    "ReplaySettings",
    "SimulationError",
    "StaticPolicy",
    "demand_grid",
    "make_policy",
    "needed_units",
    "replay",
    "replay_policy",
]
