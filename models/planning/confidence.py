"""How far to trust a forecast, from the width of its band and its backtest score.

``confidence = 1 / (1 + relative width) x skill`` where the relative width is the band's
total width over the total of the mean (0 for a perfect band), and ``skill`` is
``min(1, 1 / MASE)`` when the forecast carries a backtest MASE (``details["scores"]``, from
:class:`models.forecast.AutoForecaster`): a model worse than seasonal naive loses trust.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the forecasting package loads statsmodels and scikit-learn: seconds
    from models.forecast import Forecast


MAX_RELATIVE_WIDTH = 1e6


@dataclass(frozen=True, slots=True)
class Confidence:
    value: float  # 0..1
    level: int  # the band the width was measured on
    relative_width: float
    backtest_mase: float | None

    def describe(self) -> str:
        score = "" if self.backtest_mase is None else f", backtest MASE {self.backtest_mase:.2f}"
        return (
            f"confidence {self.value:.2f} (p{self.level} band "
            f"{self.relative_width:.0%} of the forecast{score})"
        )

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Confidence:
        return cls(**data)  # type: ignore[arg-type]


def forecast_confidence(forecast: Forecast, level: int) -> Confidence:
    width = float(np.nansum(np.asarray(forecast.upper[level]) - np.asarray(forecast.lower[level])))
    scale = float(np.nansum(np.abs(forecast.mean)))
    # Capped so the figure stays finite (and valid JSON) when the mean is zero.
    relative = min(width / scale, MAX_RELATIVE_WIDTH) if scale > 1e-12 else 0.0
    if scale <= 1e-12 and width > 1e-12:
        relative = MAX_RELATIVE_WIDTH
    mase = backtest_mase(forecast)
    skill = 1.0 if mase is None else min(1.0, 1.0 / mase) if mase > 0 else 1.0
    value = skill / (1.0 + relative)
    return Confidence(float(value), level, float(relative), mase)


def backtest_mase(forecast: Forecast) -> float | None:
    """The chosen model's backtest MASE, when the forecast says which it is."""
    scores = forecast.details.get("scores")
    if forecast.details.get("metric", "mase") != "mase" or not isinstance(scores, Mapping):
        return None
    chosen = forecast.model.split(":", 1)[-1]
    score = scores.get(chosen)
    if score is None:
        finite = [float(s) for s in scores.values() if math.isfinite(float(s))]
        score = min(finite) if finite else None  # the auto model keeps (about) the best one
    return float(score) if score is not None and math.isfinite(float(score)) else None
