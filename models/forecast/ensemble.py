"""An equal-weight combination of fitted models, with intervals from its own errors.

Scores of near-equal models on a few hundred backtest points are noisy, and picking one
of them per series picks its noise too; averaging the best few is steadier on new data.
The combination's backtest errors are the average of its members' errors at the same
origins (the members share the prepared series and the calibration origins), so its
intervals are calibrated exactly like a single model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd

from models.forecast.base import DEFAULT_LEVELS, Forecast, check_levels, future_timestamps
from models.forecast.core import BaseForecaster, never_negative
from models.forecast.intervals import ResidualCalibrator


def effective_calibrator(model: BaseForecaster | Ensemble) -> ResidualCalibrator:
    """The calibration that describes ``model``'s forecasts (its fallback's if it fell back)."""
    return model.calibrator_ if model.fallback_ is None else model.fallback_.calibrator_


def combinable(models: Sequence[BaseForecaster]) -> bool:
    """True when the members were backtested on the same origins and actual values."""
    calibrators = [effective_calibrator(m) for m in models]
    first = calibrators[0]
    if first.actuals is None or first.errors.size == 0:
        return False
    return all(
        c.actuals is not None
        and c.actuals.shape == first.actuals.shape
        and np.array_equal(c.actuals, first.actuals, equal_nan=True)
        for c in calibrators[1:]
    )


class Ensemble:
    """Mean of ``members``' forecasts. Same interface as a fitted model."""

    fallback_ = None

    def __init__(self, members: Sequence[BaseForecaster]) -> None:
        self.members = list(members)
        self.name = "ensemble(" + "+".join(m.name for m in self.members) + ")"
        calibrators = [effective_calibrator(m) for m in self.members]
        errors = np.mean([c.errors for c in calibrators], axis=0)
        self.calibrator_ = ResidualCalibrator(
            errors, calibrators[0].fallback_scale, calibrators[0].actuals
        )
        self.scale_ = self.members[0].scale_

    def predict_mean(self, horizon: int, exog: pd.DataFrame | None = None) -> np.ndarray:
        return np.mean([m.predict_mean(horizon, exog) for m in self.members], axis=0)

    def predict(
        self,
        horizon: int,
        exog: pd.DataFrame | None = None,
        levels: Sequence[int] = DEFAULT_LEVELS,
    ) -> Forecast:
        levels = check_levels(levels)
        mean = self.predict_mean(horizon, exog)
        offsets = self.calibrator_.offsets(levels, horizon, scale_hint=self.scale_)
        first = self.members[0]
        forecast = Forecast(
            timestamps=future_timestamps(self.last_timestamp, first.step_, horizon),
            mean=mean,
            lower={level: mean + offsets[level][0] for level in levels},
            upper={level: mean + offsets[level][1] for level in levels},
            model=self.name,
            details={**first.describe(), "members": [m.name for m in self.members]},
        )
        return forecast.floored(0.0) if never_negative(first.prepared_) else forecast

    def update(
        self, new_values: Sequence[float] | np.ndarray, exog: pd.DataFrame | None = None
    ) -> Self:
        for member in self.members:
            member.update(new_values, exog)
        return self

    @property
    def last_timestamp(self) -> pd.Timestamp:
        return self.members[0].last_timestamp
