"""The forecaster contract: the ``Forecast`` result, the ``Forecaster`` protocol, typed errors.

Every model in :mod:`models.forecast` satisfies :class:`Forecaster`: hyperparameters in
the constructor, ``fit(series, exog=None)`` returns ``self``, ``predict(horizon, exog=None,
levels=(80, 95))`` returns a frozen :class:`Forecast`, ``update(new_values)`` filters new
observations through the fitted state without refitting. Fitted state lives in attributes
whose names end in ``_``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd

DEFAULT_LEVELS: tuple[int, ...] = (80, 95)


class ForecastError(Exception):
    """Base class of every error raised by the forecasting engine."""


class InsufficientData(ForecastError):
    """Too few usable observations to fit anything."""

    def __init__(self, available: int, needed: int, reason: str = "") -> None:
        self.available = available
        self.needed = needed
        self.reason = reason
        detail = f": {reason}" if reason else ""
        super().__init__(f"{available} usable observations, need at least {needed}{detail}")


class NotFitted(ForecastError):
    """``predict`` or ``update`` called before ``fit``."""

    def __init__(self, model: str) -> None:
        self.model = model
        super().__init__(f"model {model!r} is not fitted")


class BadExog(ForecastError):
    """Exogenous input with the wrong shape or missing where required."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"exogenous input: {reason}")


@dataclass(frozen=True)
class Forecast:
    """A point forecast with prediction intervals.

    ``lower[level]`` / ``upper[level]`` hold the bounds of the central ``level`` % interval;
    intervals are nested (a wider level contains a narrower one) and contain ``mean``.
    """

    timestamps: pd.DatetimeIndex
    mean: np.ndarray
    lower: Mapping[int, np.ndarray]
    upper: Mapping[int, np.ndarray]
    model: str
    # How the forecast was produced (selected model, scores, preparation counts): for display.
    details: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.mean)
        if len(self.timestamps) != n:
            raise ValueError(f"{len(self.timestamps)} timestamps for {n} forecast values")
        if set(self.lower) != set(self.upper):
            raise ValueError("lower and upper bounds must have the same levels")
        for level in self.lower:
            if len(self.lower[level]) != n or len(self.upper[level]) != n:
                raise ValueError(f"interval {level} has the wrong length")
        # Freeze read-only copies: a frozen dataclass holding writable arrays is not frozen,
        # and the caller's own arrays must stay writable.
        object.__setattr__(self, "mean", _frozen(self.mean))
        object.__setattr__(
            self, "lower", MappingProxyType({k: _frozen(v) for k, v in self.lower.items()})
        )
        object.__setattr__(
            self, "upper", MappingProxyType({k: _frozen(v) for k, v in self.upper.items()})
        )
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    def floored(self, floor: float) -> Forecast:
        """The same forecast with nothing below ``floor`` (a count or a rate is never negative).

        Clipping is monotone, so intervals stay nested; and since the truth is never below
        the floor, coverage cannot drop."""
        return replace(
            self,
            mean=np.maximum(self.mean, floor),
            lower={k: np.maximum(v, floor) for k, v in self.lower.items()},
            upper={k: np.maximum(v, floor) for k, v in self.upper.items()},
        )

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        # MappingProxyType does not pickle; process pools need to send forecasts back.
        return (
            type(self),
            (
                self.timestamps,
                np.array(self.mean),
                {level: np.array(v) for level, v in self.lower.items()},
                {level: np.array(v) for level, v in self.upper.items()},
                self.model,
                dict(self.details),
            ),
        )

    @property
    def horizon(self) -> int:
        return len(self.mean)

    @property
    def levels(self) -> tuple[int, ...]:
        return tuple(sorted(self.lower))

    def to_frame(self) -> pd.DataFrame:
        """``timestamp, mean, lo_80, hi_80, lo_95, hi_95`` (levels ascending)."""
        columns: dict[str, object] = {"timestamp": self.timestamps, "mean": self.mean}
        for level in self.levels:
            columns[f"lo_{level}"] = self.lower[level]
            columns[f"hi_{level}"] = self.upper[level]
        return pd.DataFrame(columns)


def _frozen(values: np.ndarray) -> np.ndarray:
    array = np.array(values, dtype=float)
    array.flags.writeable = False
    return array


@runtime_checkable
class Forecaster(Protocol):
    """What every forecasting model offers."""

    name: str

    def fit(self, series: pd.Series, exog: pd.DataFrame | None = None) -> Self: ...

    def predict(
        self,
        horizon: int,
        exog: pd.DataFrame | None = None,
        levels: Sequence[int] = DEFAULT_LEVELS,
    ) -> Forecast: ...

    def update(self, new_values: Sequence[float] | np.ndarray) -> Self: ...


def future_timestamps(last: pd.Timestamp, step: pd.Timedelta, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` grid points after ``last``."""
    return pd.date_range(start=last + step, periods=horizon, freq=step, name="timestamp")


def check_levels(levels: Sequence[int]) -> tuple[int, ...]:
    cleaned = tuple(sorted({int(level) for level in levels}))
    if not cleaned or any(not 0 < level < 100 for level in cleaned):
        raise ValueError(f"interval levels must be between 0 and 100 exclusive, got {levels}")
    return cleaned
