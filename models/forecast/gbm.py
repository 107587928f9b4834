"""Gradient boosting (scikit-learn HistGradientBoostingRegressor), direct multi-horizon.

One model for all horizon steps: each training row is (origin ``o``, step ``k``) with
features known at the origin — ``k``, the calendar of the target time (hour of day, day of
week), the seasonal-naive value for the target and the mean of the last 12 values, both
relative to the last value — plus the caller's exogenous columns at the target time
(holidays, events). The target is ``y[o + k - 1] - y[o - 1]``. Predicting a whole horizon
is one call, no recursion, so long horizons cost the same as short ones. Rows are
subsampled (about ``max_rows``) so a fit stays around a second.
"""

from __future__ import annotations

import numpy as np

from models.forecast.cancel import check_cancelled
from models.forecast.core import DEFAULT_CALIBRATION_ORIGINS, BaseForecaster

RECENT = 12  # values averaged into the "recent level" feature
ITERATIONS_PER_CHECK = 20  # boosting iterations between two checks for cancellation


class GradientBoosting(BaseForecaster):
    name = "gbm"
    heavy = True
    supports_exog = True

    def __init__(
        self,
        season: int | None = None,
        max_iter: int = 100,
        learning_rate: float = 0.08,
        max_rows: int = 20_000,
        calibration_horizon: int | None = None,
        calibration_origins: int = DEFAULT_CALIBRATION_ORIGINS,
        seed: int = 0,
    ) -> None:
        super().__init__(season, calibration_horizon, calibration_origins, seed)
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_rows = max_rows

    def _check_fit_possible(self, n: int) -> None:
        if n < 3 * RECENT:
            raise ValueError(f"gradient boosting needs at least {3 * RECENT} points")

    def _train_steps(self) -> np.ndarray:
        horizon = self.calibration_horizon or max(self.season_, 12)
        if horizon <= 48:
            return np.arange(1, horizon + 1)
        dense = np.arange(1, 13)
        spread = np.round(np.geomspace(13, horizon, 36)).astype(int)
        return np.unique(np.concatenate([dense, spread]))

    def _calendar(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(hour of day as a float, day of week Monday=0) of grid positions, in UTC."""
        seconds = self.start_.timestamp() + positions * self.step_.total_seconds()
        hour = (seconds % 86_400) / 3_600
        day_of_week = ((seconds // 86_400) + 3) % 7  # 1970-01-01 was a Thursday
        return hour, day_of_week

    def _features(
        self, origins: np.ndarray, steps: np.ndarray, history: np.ndarray, exog: np.ndarray | None
    ) -> np.ndarray:
        """Rows for every (origin, step) pair given ``history``; targets ``origin + step - 1``.

        ``origins`` and ``steps`` are equal-length 1-D arrays (one row each); ``exog`` holds
        the exogenous columns at each target.
        """
        anchor = history[origins - 1]
        targets = origins + steps - 1
        m = self.season_
        if m > 1:
            source = targets - m * np.ceil(steps / m).astype(int)
            seasonal = np.where(source >= 0, history[np.maximum(source, 0)], anchor) - anchor
        else:
            seasonal = np.zeros(len(steps))
        cumulative = np.concatenate([[0.0], np.cumsum(history)])
        begin = np.maximum(0, origins - RECENT)
        recent = (cumulative[origins] - cumulative[begin]) / (origins - begin) - anchor
        hour, day_of_week = self._calendar(targets)
        columns = [steps.astype(float), hour, day_of_week, seasonal, recent]
        if exog is not None:
            columns += list(np.asarray(exog, dtype=float).T)
        return np.column_stack(columns)

    def _fit_core(self) -> None:
        from sklearn.ensemble import HistGradientBoostingRegressor

        history = self.history()
        n = len(history)
        steps = self._train_steps()
        origins = np.arange(RECENT, n - steps[0] + 1)
        stride = max(1, int(np.ceil(len(origins) * len(steps) / self.max_rows)))
        origins = origins[::-1][::stride]  # newest origins first, always included
        grid_origins = np.repeat(origins, len(steps))
        grid_steps = np.tile(steps, len(origins))
        usable = grid_origins + grid_steps - 1 < n
        grid_origins, grid_steps = grid_origins[usable], grid_steps[usable]
        if len(grid_origins) == 0:
            raise ValueError("not enough history to build training rows")
        targets = grid_origins + grid_steps - 1
        exog = None if self.exog_ is None else self.exog_[targets]
        features = self._features(grid_origins, grid_steps, history, exog)
        change = history[targets] - history[grid_origins - 1]
        # Boosted in rounds of ITERATIONS_PER_CHECK trees (warm start adds trees to the
        # same ensemble), so a cancelled fit stops within a fraction of a second.
        regressor = HistGradientBoostingRegressor(
            learning_rate=self.learning_rate,
            early_stopping=False,
            random_state=self.seed,
            warm_start=True,
        )
        for trees in range(ITERATIONS_PER_CHECK, self.max_iter + ITERATIONS_PER_CHECK,
                           ITERATIONS_PER_CHECK):  # fmt: skip
            check_cancelled()
            regressor.set_params(max_iter=min(trees, self.max_iter))
            regressor.fit(features, change)
        self.regressor_ = regressor

    def _advance_core(self, old_n: int) -> None:
        pass  # features read the (extended) history; the trees are kept until the next fit

    def _predict_core(self, horizon: int, exog_future: np.ndarray | None) -> np.ndarray:
        history = self.history()
        steps = np.arange(1, horizon + 1)
        origins = np.full(horizon, self.n_)
        features = self._features(origins, steps, history, exog_future)
        return history[-1] + self.regressor_.predict(features)
