"""Leaks on live hosts: the trend over the stored days, not the one-hour ring.

The live charts hold an hour of points, and a leak takes days. So each insights pass
also reads the last three days of every analysed metric from the store, as 5-minute
means, and runs the same detection on them. Only *trend* incidents are kept: shorter
patterns are the ring's job and would be reported twice. Plain functions (no Qt): they
run on the insights worker with their own read-only store connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from models.anomaly import Incident, Pattern, detect_series
from models.anomaly.combined import TREND_SECONDS

SLOW_WINDOW_SECONDS = 3 * 86_400.0  # the trend line spans two days; one more to warm up
SLOW_STEP_SECONDS = 300.0


def slow_trends(
    store_path: Path, host: str, metrics: Sequence[str], end: float
) -> dict[str, tuple[Incident, ...]]:
    """Trend incidents of each metric over the stored ``SLOW_WINDOW_SECONDS`` before
    ``end``; metrics with less than the trend line's span of history get none."""
    from connectors.store import MetricStore

    found: dict[str, tuple[Incident, ...]] = {}
    if not store_path.exists():
        return found
    store = MetricStore(store_path, readonly=True)
    try:
        for metric in metrics:
            result = store.query(
                host,
                metric,
                end - SLOW_WINDOW_SECONDS,
                end,
                max_points=int(SLOW_WINDOW_SECONDS / SLOW_STEP_SECONDS),
            )
            times = result.timestamps
            if len(times) < 2 or times[-1] - times[0] < TREND_SECONDS:
                continue
            incidents = detect_series(result.mean, times, metric, host).incidents
            last_row = len(times) - 1
            trends = tuple(
                # Still rising in the last bucket: it lasts until now (the bucket's start
                # is up to 5 minutes earlier), so the panel lists it as current.
                replace(i, end=max(i.end, end)) if i.end_row == last_row else i
                for i in incidents
                if i.pattern is Pattern.TREND
            )
            if trends:
                found[metric] = trends
    finally:
        store.close()
    return found
