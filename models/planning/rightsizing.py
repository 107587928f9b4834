"""Rightsizing from history: targets whose peak use stays far under their capacity.

The peak is a high quantile (99th percentile by default) of the units needed over the
last ``days`` — one stray sample should not block a saving. A target is suggested for
rightsizing when that peak uses at most ``max_peak_fraction`` of its current capacity;
the suggested capacity serves the peak with ``headroom`` and respects the minimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from models.planning.target import ScalableTarget

HOURS_PER_MONTH = 730.0  # 365 x 24 / 12


@dataclass(frozen=True, slots=True)
class RightsizingSuggestion:
    target: str
    current: int
    suggested: int
    peak_units: float  # units needed at the peak of the window
    peak_fraction: float  # peak_units / current
    samples: int
    saving_per_hour: float  # $
    saving_per_month: float  # $

    def describe(self) -> str:
        return (
            f"{self.target}: peak use {self.peak_fraction:.0%} of {self.current} units; "
            f"{self.suggested} units would save ${self.saving_per_month:,.0f}/month"
        )


def rightsize(
    target: ScalableTarget,
    history: pd.Series | np.ndarray,
    *,
    days: float = 14,
    max_peak_fraction: float = 0.5,
    headroom: float = 0.10,
    peak_quantile: float = 0.99,
    now: pd.Timestamp | None = None,
) -> RightsizingSuggestion | None:
    """Suggest a smaller capacity for ``target`` from ``history`` of its driving metric.

    A ``history`` Series is indexed by time and only its last ``days`` before ``now``
    (default: the last sample) count; a plain array counts whole. Returns None when the target is not over-provisioned or there
    is no usable history.
    """
    values = _window(history, days, now)
    if not len(values) or target.current == 0:
        return None
    peak = float(np.quantile(target.units_needed(values), peak_quantile))
    fraction = peak / target.current
    suggested = max(target.minimum, math.ceil(peak * (1 + headroom) - 1e-9))
    if fraction > max_peak_fraction or suggested >= target.current:
        return None
    saving = (target.current - suggested) * target.price_per_unit_hour
    return RightsizingSuggestion(
        target=target.name,
        current=target.current,
        suggested=suggested,
        peak_units=peak,
        peak_fraction=fraction,
        samples=len(values),
        saving_per_hour=saving,
        saving_per_month=saving * HOURS_PER_MONTH,
    )


def rightsizing_suggestions(
    targets: list[ScalableTarget],
    histories: dict[str, pd.Series | np.ndarray],
    **options: float,
) -> list[RightsizingSuggestion]:
    """:func:`rightsize` for every target with a history, biggest saving first."""
    found = []
    for target in targets:
        if target.name in histories:
            suggestion = rightsize(target, histories[target.name], **options)  # type: ignore[arg-type]
            if suggestion is not None:
                found.append(suggestion)
    return sorted(found, key=lambda s: -s.saving_per_hour)


def _window(history: pd.Series | np.ndarray, days: float, now: pd.Timestamp | None) -> np.ndarray:
    if not isinstance(history, pd.Series):
        values = np.asarray(history, dtype=float)
        return values[~np.isnan(values)]
    series = history.dropna()
    if not len(series):
        return np.empty(0)
    end = pd.Timestamp(now) if now is not None else series.index.max()
    start = end - timedelta(days=days)
    recent = series[(series.index > start) & (series.index <= end)]
    return recent.to_numpy(dtype=float)
