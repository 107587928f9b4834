"""Detection end to end: scores, then incidents with a pattern, severity and action.

``detect_series`` handles one metric; ``detect_host`` several metrics of one host
aligned on time, adding the IsolationForest detector across them so a break in how
the metrics move together becomes a *multivariate* incident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from models.anomaly.actions import recommended_action
from models.anomaly.combined import CombinedDetector, CombinedScores
from models.anomaly.incidents import (
    DEFAULT_POLICY,
    Hysteresis,
    Incident,
    incident_spans,
    severity_for,
)
from models.anomaly.isolation import IsolationForestDetector
from models.anomaly.patterns import Pattern, classify

# The forest score is 1 for the top 1 % of its training history; levels start above
# that so ordinary tails rarely open an incident (a mean of 1.2 opens at the default 0.6).
FOREST_QUIET = 0.6
FOREST_SMOOTHING = 3  # rows


@dataclass(frozen=True, slots=True)
class SeriesResult:
    scores: CombinedScores
    level: np.ndarray  # what incidents are cut from, in [0, 1]
    incidents: tuple[Incident, ...]


@dataclass(frozen=True, slots=True)
class HostResult:
    per_metric: dict[str, SeriesResult]
    multivariate: np.ndarray  # IsolationForest score mapped to [0, 1]
    level: np.ndarray  # max over metrics and the multivariate score
    incidents: tuple[Incident, ...]


def alert_level(scores: CombinedScores) -> np.ndarray:
    """The onset score and the sustained strength together: opens on either."""
    return np.maximum(scores.score, scores.strength)


def detect_series(
    values: np.ndarray,
    timestamps: np.ndarray,
    metric: str = "value",
    host: str = "this host",
    detector: CombinedDetector | None = None,
    policy: Hysteresis = DEFAULT_POLICY,
) -> SeriesResult:
    """Score a series (continuing ``detector``'s state if given) and cut incidents."""
    values = np.asarray(values, dtype=float)
    timestamps = np.asarray(timestamps, dtype=float)
    scores = (detector or CombinedDetector()).score_components(values, timestamps)
    level = alert_level(scores)
    flat = scores.components.get("flatline", np.zeros(len(values)))
    incidents = []
    for start, end in incident_spans(level, policy):
        pattern, rising = classify(values, start, end, flat=bool(flat[start : end + 1].max() >= 1))
        incidents.append(_incident(timestamps, level, start, end, pattern, rising, (metric,), host))
    return SeriesResult(scores, level, tuple(incidents))


def detect_host(
    matrix: np.ndarray,
    timestamps: np.ndarray,
    metrics: tuple[str, ...],
    host: str = "this host",
    forest: IsolationForestDetector | None = None,
    policy: Hysteresis = DEFAULT_POLICY,
    progress: Callable[[float], None] = lambda fraction: None,
) -> HostResult:
    """Per-metric detection plus the multivariate forest over all metrics (rows aligned)."""
    matrix = np.asarray(matrix, dtype=float)
    timestamps = np.asarray(timestamps, dtype=float)
    if matrix.ndim != 2 or matrix.shape[1] != len(metrics):
        raise ValueError("matrix must have one column per metric")
    per_metric = {}
    for index, metric in enumerate(metrics):
        per_metric[metric] = detect_series(matrix[:, index], timestamps, metric, host)
        progress((index + 1) / (len(metrics) + 1))
    forest_scores = (forest or IsolationForestDetector()).score(matrix)
    # A causal mean over a few rows: a broken relationship persists, a lone tail does not.
    smoothed = np.convolve(forest_scores, np.ones(FOREST_SMOOTHING) / FOREST_SMOOTHING)
    multivariate = np.clip(smoothed[: len(forest_scores)] - FOREST_QUIET, 0.0, 1.0)
    level = np.max([r.level for r in per_metric.values()] + [multivariate], axis=0)
    incidents = []
    for start, end in incident_spans(level, policy):
        rows = slice(start, end + 1)
        involved = tuple(
            m for m, r in per_metric.items() if r.level[rows].max() >= policy.close_below
        )
        single_peak = max((r.level[rows].max() for r in per_metric.values()), default=0.0)
        if multivariate[rows].max() > single_peak or not involved:
            # No metric is odd on its own: the relationship between them is.
            pattern, rising, involved = Pattern.MULTIVARIATE, True, metrics
        else:
            lead = max(involved, key=lambda m: per_metric[m].level[rows].max())
            result = per_metric[lead]
            flat = result.scores.components.get("flatline", np.zeros(len(level)))
            pattern, rising = classify(
                matrix[:, metrics.index(lead)], start, end, flat=bool(flat[rows].max() >= 1)
            )
            involved = (lead, *(m for m in involved if m != lead))
        incidents.append(_incident(timestamps, level, start, end, pattern, rising, involved, host))
    progress(1.0)
    return HostResult(per_metric, multivariate, level, tuple(incidents))


def _incident(
    timestamps: np.ndarray,
    level: np.ndarray,
    start: int,
    end: int,
    pattern: Pattern,
    rising: bool,
    metrics: tuple[str, ...],
    host: str,
) -> Incident:
    peak = float(level[start : end + 1].max())
    began, ended = float(timestamps[start]), float(timestamps[end])
    return Incident(
        start=began,
        end=ended,
        start_row=start,
        end_row=end,
        severity=severity_for(peak),
        pattern=pattern,
        metrics=metrics,
        peak_score=peak,
        action=recommended_action(pattern, metrics, host, ended - began, rising),
    )
