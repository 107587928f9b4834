"""The maths behind the fleet's anomaly flag and forecast peak (no Qt; runs in a child process).

* Anomalies: one streaming :class:`models.anomaly.CombinedDetector` per host on CPU
  (robust z-score and level shift over the last ``BASELINE_POINTS`` slots; the
  seasonal bands need days of history the fleet ring rarely has at first). Each
  cycle feeds every host the CPU slots completed since the last one (a few), so a
  cycle costs one detector update per host. The flag opens and closes with the
  anomaly module's hysteresis levels and stays up ``FLAG_HOLD_S`` after an incident
  ends, so a one-slot spike is still visible when the operator looks.
* Forecast peaks: the highest mean of the next hour of CPU from the damped-trend
  profile model (``models.forecast``, "profile_trend": numpy, ~10 ms per host) for
  hosts with ``MIN_FORECAST_POINTS`` of history.

:class:`console.fleet.insights.FleetInsights` calls these in one long-lived child
process (:func:`child_main`): their Python work would otherwise hold the GIL that
the GUI thread needs for every cell it paints. The detectors live in that process
between cycles.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BASELINE_POINTS = 60  # slots of trailing baseline per detector (10 min at 10 s)
WARMUP_POINTS = 30  # no flag before this many slots: a baseline of a few points is noise
BOOTSTRAP_POINTS = 120  # history fed to a new host's detector (20 min at 10 s: 2 baselines)
FLAG_HOLD_S = 600.0
FORECAST_MODEL = "profile_trend"
FORECAST_AHEAD_S = 3600.0
FORECAST_HISTORY_POINTS = 720  # 2 h at 10 s: the damped trend needs far less
MIN_FORECAST_POINTS = 30
COMPONENT_NAMES = {"robust_z": "robust z-score", "level_shift": "level shift"}


@dataclass
class Results:
    """Per-row results ready for ``FleetState.set_anomalies`` / ``set_forecasts``."""

    rows: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)  # flag (0/1) or peak (NaN: none)
    notes: list[str] = field(default_factory=list)  # what produced them: the cells' tooltip
    work: int = 0  # slots scored or hosts forecast
    cpu_s: float = 0.0  # CPU time of the process that computed them
    pid: int = 0

    def add(self, row: int, value: float, note: str) -> None:
        self.rows.append(row)
        self.values.append(value)
        self.notes.append(note)


def fleet_detector() -> Any:
    """The CombinedDetector the fleet keeps per host."""
    from models.anomaly import CombinedDetector, LevelShiftDetector, RobustZScore

    components = {
        "robust_z": RobustZScore(BASELINE_POINTS, refresh=4, min_periods=WARMUP_POINTS),
        "level_shift": LevelShiftDetector(
            recent=6, reference=BASELINE_POINTS, refresh=4, min_periods=WARMUP_POINTS
        ),
    }
    # One day of "worst recent past": the fleet ring rarely holds more.
    return CombinedDetector(warmup=WARMUP_POINTS, components=components, memory_seconds=86400.0)


@dataclass
class _HostTrack:
    detector: Any
    fed_slot: int  # last absolute slot given to the detector
    open: bool = False
    peak: float = 0.0  # highest level of the current incident
    alert: str = ""  # what the last incident was, for the tooltip
    ended_at: float = -np.inf  # timestamp of the last anomalous slot


class AnomalyScorer:
    """Per-host streaming detectors over the fleet's completed CPU slots."""

    def __init__(self, resolution_s: float, hold_s: float = FLAG_HOLD_S) -> None:
        from models.anomaly import Hysteresis

        self.resolution_s = resolution_s
        self.hold_s = hold_s
        self.policy = Hysteresis()  # the anomaly module's own open/close levels
        self.tracks: dict[int, _HostTrack] = {}

    def score(self, heads: np.ndarray, values: np.ndarray) -> Results:
        """``heads, values`` as from ``FleetState.cpu_window(BOOTSTRAP_POINTS)``."""
        results = Results()
        window = values.shape[1]
        for row, head in enumerate(heads.tolist()):
            last_complete = head - 1
            track = self.tracks.get(row)
            if track is None:
                if head < 0:
                    continue
                track = self.tracks[row] = _HostTrack(fleet_detector(), last_complete - window)
            new = min(last_complete - track.fed_slot, window)
            if new <= 0:
                continue
            chunk = values[row, window - new :]
            timestamps = np.arange(last_complete - new + 1, last_complete + 1) * self.resolution_s
            track.fed_slot = last_complete
            results.work += new
            self._follow(
                track, track.detector.score_components(chunk, timestamps), chunk, timestamps
            )
            flagged = track.open or timestamps[-1] - track.ended_at <= self.hold_s
            results.add(row, float(flagged), track.alert if flagged else "")
        return results

    def _follow(
        self, track: _HostTrack, scores: Any, values: np.ndarray, timestamps: np.ndarray
    ) -> None:
        """Open and close the host's incident point by point (hysteresis), noting its cause."""
        level = np.maximum(scores.score, scores.strength)  # the pipeline's alert level
        components: dict[str, np.ndarray] = scores.components
        for i, value in enumerate(level.tolist()):
            if value >= self.policy.open_above:
                if not track.open or value > track.peak:  # the note names the worst point
                    track.peak = value
                    name = max(components, key=lambda n: components[n][i])
                    stamp = time.strftime("%H:%M:%S", time.localtime(timestamps[i]))
                    track.alert = (
                        f"CombinedDetector on CPU: {COMPONENT_NAMES.get(name, name)} "
                        f"{components[name][i]:.1f} at {stamp}, {values[i]:.1f} % "
                        f"(level {value:.2f})"
                    )
                track.open = True
            elif not (track.open and value >= self.policy.close_below):
                track.open = False
                continue
            track.ended_at = float(timestamps[i])


def forecast_peaks(
    resolution_s: float, heads: np.ndarray, values: np.ndarray, rows: list[int]
) -> Results:
    """The next hour's CPU peak for state rows ``rows``; ``heads, values`` are those rows'
    lines of ``FleetState.cpu_window(FORECAST_HISTORY_POINTS)``, in the same order."""
    import pandas as pd

    from models.forecast import forecast_one

    horizon = max(1, int(round(FORECAST_AHEAD_S / resolution_s)))
    window = values.shape[1]
    results = Results()
    for line, row in enumerate(rows):
        head = int(heads[line])
        finite = np.isfinite(values[line])
        if head < 0 or finite.sum() < MIN_FORECAST_POINTS:
            results.add(row, np.nan, f"forecast after {MIN_FORECAST_POINTS} slots of history")
            continue
        first = int(np.argmax(finite))
        slots = np.arange(head - window + first, head)
        index = pd.to_datetime(slots * resolution_s, unit="s", utc=True)
        try:
            forecast = forecast_one(
                pd.Series(values[line, first:], index=index), horizon, (80,), model=FORECAST_MODEL
            )
        except Exception as error:  # one host's odd series must not lose the others
            results.add(row, np.nan, f"no forecast: {type(error).__name__}: {error}")
            continue
        results.work += 1
        peak = float(np.clip(np.max(forecast.mean), 0.0, 100.0))
        upper = float(np.clip(np.max(forecast.upper[80]), 0.0, 100.0))
        results.add(
            row,
            peak,
            f"{forecast.model} forecast of CPU, next {horizon * resolution_s / 60:.0f} min "
            f"({horizon} steps of {resolution_s:g} s): "
            f"peak {peak:.0f} %, 80 % upper bound {upper:.0f} %",
        )
    return results


# -- entry points of the child process --------------------------------------------------

_scorers: dict[float, AnomalyScorer] = {}


def child_init() -> None:
    """Run below the GUI's priority (the child shares the machine with the console) and
    load the engines once, so that no cycle pays for the imports."""
    with contextlib.suppress(OSError):  # not allowed here: run at the normal priority
        os.nice(10)
    import pandas  # noqa: F401

    import models.anomaly  # noqa: F401
    import models.forecast  # noqa: F401


def child_main(connection: Any) -> None:
    """The child's loop: ``(sequence, job, args)`` in, ``(sequence, Results | error)`` out."""
    child_init()
    jobs = {"anomaly": child_score, "forecast": child_forecast}
    while True:
        try:
            sequence, job, args = connection.recv()
        except (EOFError, OSError):
            return  # the console closed the pipe: its fleet stopped
        try:
            reply: object = jobs[job](*args)
        except Exception as error:  # reported by the console, one line; the loop goes on
            reply = RuntimeError(f"{job} failed: {type(error).__name__}: {error}")
        connection.send((sequence, reply))


def child_score(resolution_s: float, heads: np.ndarray, values: np.ndarray) -> Results:
    """Anomaly cycle in the child; its detectors persist there between cycles."""
    started = time.process_time()
    scorer = _scorers.get(resolution_s)
    if scorer is None:
        scorer = _scorers[resolution_s] = AnomalyScorer(resolution_s)
    results = scorer.score(heads, values)
    results.cpu_s, results.pid = time.process_time() - started, os.getpid()
    return results


def child_forecast(
    resolution_s: float, heads: np.ndarray, values: np.ndarray, rows: list[int]
) -> Results:
    started = time.process_time()
    results = forecast_peaks(resolution_s, heads, values, rows)
    results.cpu_s, results.pid = time.process_time() - started, os.getpid()
    return results
