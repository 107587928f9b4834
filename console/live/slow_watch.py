"""What only days of history show, for live hosts: leaks, and when a disk will fill.

The live charts hold an hour of points. A leak takes days, and an hour says little about
whether a disk fills by Monday. So each insights pass also reads the store (5-minute
means, its own read-only connection, on the insights worker):

* the last 3 days of every analysed metric, run through the same detection; only *trend*
  incidents are kept (shorter patterns are the ring's job and would be reported twice);
* the last week of every metric that can run out (disk, memory, swap), forecast 48 h
  ahead for the time to exhaustion, once it has 2 days of history.

Plain functions, no Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.anomaly import Incident, Pattern, detect_series
from models.anomaly.actions import is_bounded
from models.anomaly.combined import TREND_SECONDS

if TYPE_CHECKING:
    from connectors.store import MetricStore
    from models.forecast import Exhaustion

DAY = 86_400.0
STEP_SECONDS = 300.0
TREND_WINDOW_SECONDS = 3 * DAY  # the trend line spans two days; one more to warm up
OUTLOOK_HISTORY_SECONDS = 7 * DAY
OUTLOOK_MIN_HISTORY_SECONDS = 2 * DAY
OUTLOOK_SECONDS = 2 * DAY


@dataclass(frozen=True)
class StoredFindings:
    trends: dict[str, tuple[Incident, ...]] = field(default_factory=dict)
    outlook: dict[str, tuple[Exhaustion, ...]] = field(default_factory=dict)  # 48 h ahead


def watch_stored_days(
    store_path: Path, host: str, metrics: Sequence[str], end: float
) -> StoredFindings:
    """Trends and the exhaustion outlook of ``metrics`` from the store, up to ``end``."""
    from connectors.store import MetricStore

    if not store_path.exists():
        return StoredFindings()
    trends: dict[str, tuple[Incident, ...]] = {}
    outlook: dict[str, tuple[Exhaustion, ...]] = {}
    store = MetricStore(store_path, readonly=True)
    try:
        for metric in metrics:
            bounded = is_bounded(metric)
            # One query per metric: the week an outlook needs holds the trend's 3 days.
            seconds = OUTLOOK_HISTORY_SECONDS if bounded else TREND_WINDOW_SECONDS
            times, values = _history(store, host, metric, end, seconds)
            recent = times >= end - TREND_WINDOW_SECONDS
            if found := _trends(times[recent], values[recent], metric, host, end):
                trends[metric] = found
            if bounded and (ahead := _outlook(times, values, metric)):
                outlook[metric] = ahead
    finally:
        store.close()
    return StoredFindings(trends, outlook)


def _history(
    store: MetricStore, host: str, metric: str, end: float, seconds: float
) -> tuple[np.ndarray, np.ndarray]:
    """5-minute means of the ``seconds`` before ``end`` (raw samples when sparser)."""
    result = store.query(host, metric, end - seconds, end, max_points=int(seconds / STEP_SECONDS))
    return result.timestamps, result.mean


def _trends(
    times: np.ndarray, values: np.ndarray, metric: str, host: str, end: float
) -> tuple[Incident, ...]:
    if len(times) < 2 or times[-1] - times[0] < TREND_SECONDS:
        return ()
    last_row = len(times) - 1
    return tuple(
        # Still rising in the last bucket: it lasts until now (the bucket's start is up
        # to 5 minutes earlier), so the panel lists it as current.
        replace(i, end=max(i.end, end)) if i.end_row == last_row else i
        for i in detect_series(values, times, metric, host).incidents
        if i.pattern is Pattern.TREND
    )


def _outlook(times: np.ndarray, values: np.ndarray, metric: str) -> tuple[Exhaustion, ...]:
    import pandas as pd

    from models.forecast import exhaustion_for_metric, forecast_one

    if len(times) < 2 or times[-1] - times[0] < OUTLOOK_MIN_HISTORY_SECONDS:
        return ()
    series = pd.Series(values, index=pd.to_datetime(times, unit="s", utc=True))
    forecast = forecast_one(series, int(OUTLOOK_SECONDS / STEP_SECONDS))
    return tuple(exhaustion_for_metric(metric, forecast))
