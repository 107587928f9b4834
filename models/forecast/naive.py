"""Seasonal naive: the value one season ago (averaged over the last ``seasons`` seasons).

The baseline every other model must beat, and the fallback when a fit fails. With no
season (``season_ == 1``) it is the plain naive forecast: the last value, flat.
"""

from __future__ import annotations

import numpy as np

from models.forecast.core import DEFAULT_CALIBRATION_ORIGINS, BaseForecaster


class SeasonalNaive(BaseForecaster):
    name = "naive"

    def __init__(
        self,
        season: int | None = None,
        seasons: int = 1,
        calibration_horizon: int | None = None,
        calibration_origins: int = DEFAULT_CALIBRATION_ORIGINS,
        seed: int = 0,
    ) -> None:
        super().__init__(season, calibration_horizon, calibration_origins, seed)
        self.seasons = seasons

    def _min_train(self) -> int:
        return self.season_ * self.seasons + 1

    def _fit_core(self) -> None:
        if self.n_ < 1:
            raise ValueError("no history")

    def _advance_core(self, old_n: int) -> None:
        pass  # the state is the history itself

    def _predict_core(self, horizon: int, exog_future: np.ndarray | None) -> np.ndarray:
        history = self.history()
        n, m = len(history), self.season_
        k = np.arange(1, horizon + 1)
        target = n + k - 1
        total = np.zeros(horizon)
        used = 0
        for j in range(self.seasons):
            source = target - m * (np.ceil(k / m).astype(int) + j)
            if source.min() < 0:
                break
            total += history[source]
            used += 1
        if used == 0:  # shorter than one season: repeat the last value
            return np.full(horizon, history[-1])
        return total / used
