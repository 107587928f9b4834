"""A forecaster that follows a replay: refit on a schedule, filter new points in between.

Only the history handed to :meth:`RollingForecaster.upper` is ever seen, so a decision
can never use demand from its own interval or later. Refitting (model choice and
interval calibration included) every ``refit_every`` decisions and ``update()`` between
refits is what keeps ten thousand decisions within seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from models.simulation.policies import History

if TYPE_CHECKING:
    from models.forecast import Forecast

MIN_FIT_POINTS = 8


class RollingForecaster:
    def __init__(self, horizon: int, level: int, refit_every: int, fit_window: int) -> None:
        self.horizon = horizon
        self.level = level
        self.refit_every = refit_every
        self.fit_window = fit_window
        self.model: object | None = None
        self.seen = 0  # history length the model has consumed
        self.fitted_at = 0
        self.models: list[str] = []  # the model chosen at each refit
        self.failures = 0  # decisions without a usable forecast

    def forecast(self, history: History) -> Forecast | None:
        """Forecast of intervals now .. now+horizon-1 with the ``level`` % band, if usable."""
        from models.forecast import FAST_CANDIDATES, AutoForecaster, ForecastError

        now = history.now
        try:
            if self.model is None or now - self.fitted_at >= self.refit_every:
                if (
                    np.count_nonzero(np.isfinite(history.values[-self.fit_window :]))
                    < MIN_FIT_POINTS
                ):
                    self.failures += 1
                    return None
                model = AutoForecaster(candidates=FAST_CANDIDATES, calibration_horizon=self.horizon)
                model.fit(history.series(self.fit_window))
                # The fit ends at the last observed point: feed the unobserved tail as NaN.
                tail = int(
                    round(
                        (history.start + history.step * (now - 1) - model.last_timestamp)
                        / history.step
                    )
                )
                if tail > 0:
                    model.update(np.full(tail, np.nan))
                self.model, self.seen, self.fitted_at = model, now, now
                self.models.append(str(getattr(model, "chosen_", model.name)))
            elif now > self.seen:
                self.model.update(history.values[self.seen : now])  # type: ignore[attr-defined]
                self.seen = now
            forecast = self.model.predict(self.horizon, levels=(self.level,))  # type: ignore[attr-defined]
        except ForecastError:
            self.failures += 1
            return None
        if not np.all(np.isfinite(forecast.upper[self.level])):
            self.failures += 1
            return None
        return forecast
