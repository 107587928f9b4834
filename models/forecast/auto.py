"""Automatic model choice per series, by rolling-origin backtest.

Every candidate is fitted on the same prepared series; fitting already runs a
rolling-origin backtest over the end of the history (it calibrates the intervals, see
:mod:`models.forecast.core`). The candidate with the best score on those backtest errors
wins — MASE by default, or ``rmse``, ``mae``, ``wape``, ``smape`` — and its calibrated
intervals come with it. Candidates are ordered simplest first and a more complex one
must beat the current choice by ``margin`` (2 %) to replace it. The mean of the best
``combine`` (3) candidates is scored too, as the last and most complex candidate
(:mod:`models.forecast.ensemble`); ``combine=1`` turns that off. Candidates that fell back to seasonal naive during fitting are
scored like any other (they are then simply a second naive). The scores are kept in
``scores_`` and in ``Forecast.details["scores"]``.

Between refits the choice stays current (:mod:`models.forecast.online`): ``update`` keeps
scoring every candidate's forecasts on the arriving points and switches to another
candidate when its recent error is lower by ``switch_margin`` (20 %). Candidates other
than the one in use catch up on new points only every few points, when they are scored,
so tracking costs little. With exogenous input only the chosen model is updated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd

from models.evaluation.metrics import mae, rmse, seasonal_scale, smape, wape
from models.forecast.base import DEFAULT_LEVELS, Forecast, NotFitted, check_levels
from models.forecast.cancel import check_cancelled
from models.forecast.core import DEFAULT_CALIBRATION_ORIGINS, BaseForecaster
from models.forecast.ensemble import Ensemble, combinable, effective_calibrator
from models.forecast.intervals import ResidualCalibrator
from models.forecast.online import OnlineScores, prior_mae
from models.forecast.prepare import PreparedSeries, prepare
from models.forecast.registry import FULL_CANDIDATES, make_model
from models.forecast.seasonality import detect_seasonality

METRICS = ("mase", "rmse", "mae", "wape", "smape")


class UnknownMetric(ValueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown selection metric {name!r}; choose from {', '.join(METRICS)}")


def backtest_score(model: BaseForecaster | Ensemble, metric: str, scale: float) -> float:
    """Score of ``model`` on its own fit-time rolling-origin errors (lower is better)."""
    calibrator = effective_calibrator(model)
    errors, actuals = calibrator.errors, calibrator.actuals
    if errors.size == 0 or actuals is None or not np.isfinite(errors).any():
        return float("inf")
    known = np.isfinite(errors)
    actual = actuals[known]
    forecast = actual - errors[known]
    if metric == "mase":
        return mae(actual, forecast) / scale
    return {"rmse": rmse, "mae": mae, "wape": wape, "smape": smape}[metric](actual, forecast)


class AutoForecaster:
    """Fits every candidate, keeps the best by backtest score. Same interface as a model."""

    name = "auto"

    def __init__(
        self,
        candidates: Sequence[str] = FULL_CANDIDATES,
        metric: str = "mase",
        season: int | None = None,
        calibration_horizon: int | None = None,
        calibration_origins: int = DEFAULT_CALIBRATION_ORIGINS,
        seed: int = 0,
        margin: float = 0.02,
        combine: int = 3,
        switch_margin: float | None = 0.2,
    ) -> None:
        if metric not in METRICS:
            raise UnknownMetric(metric)
        self.candidates = tuple(candidates)
        self.metric = metric
        self.season = season
        self.calibration_horizon = calibration_horizon
        self.calibration_origins = calibration_origins
        self.seed = seed
        self.margin = margin
        self.combine = combine  # also try the mean of the best ``combine`` candidates
        self.switch_margin = switch_margin  # None: keep the fit-time choice until refit

    def fit(self, series: pd.Series, exog: pd.DataFrame | None = None) -> Self:
        return self.fit_prepared(prepare(series), exog)

    def fit_prepared(self, prepared: PreparedSeries, exog: pd.DataFrame | None = None) -> Self:
        self.prepared_ = prepared
        self.models_: dict[str, BaseForecaster | Ensemble] = {}
        self.scores_: dict[str, float] = {}
        scale = 0.0
        seasonality = detect_seasonality(prepared.values, prepared.step)  # once for all
        for name in self.candidates:
            check_cancelled()
            model = make_model(
                name,
                season=self.season,
                calibration_horizon=self.calibration_horizon,
                calibration_origins=self.calibration_origins,
                seed=self.seed,
            ).fit_prepared(prepared, exog, seasonality)
            if not scale:
                scale = seasonal_scale(prepared.values, model.season_)
            self.models_[name] = model
            self.scores_[name] = backtest_score(model, self.metric, scale)
        self._add_ensemble(scale)
        self.chosen_ = self._choose()
        self.model_ = self.models_[self.chosen_]
        self.switches_ = 0
        self._start_online()
        return self

    def _add_ensemble(self, scale: float) -> None:
        """Score the mean of the best few candidates as one more (the most complex) one."""
        # Not the baseline: averaging with seasonal naive averages in yesterday's noise.
        ranked = sorted(
            (
                name
                for name in self.candidates
                if name != "naive" and np.isfinite(self.scores_[name])
            ),
            key=lambda name: self.scores_[name],
        )[: self.combine]
        members = [self.models_[name] for name in ranked]
        if len(members) < 2 or not combinable(members):
            return
        ensemble = Ensemble(members)
        self.models_[ensemble.name] = ensemble
        self.scores_[ensemble.name] = backtest_score(ensemble, self.metric, scale)

    def _choose(self) -> str:
        """Best score, but a later (more complex) candidate must win by ``margin``.

        Candidates are listed simplest first; scores on a few dozen origins are noisy, and
        a complex model that is only marginally better there is usually worse on new data.
        Ties (all inf when the series was too short to backtest) go to the first one.
        """
        chosen = self.candidates[0]
        for name in list(self.scores_)[1:]:  # candidates in order, then the ensemble
            if self.scores_[name] < self.scores_[chosen] * (1 - self.margin):
                chosen = name
        return chosen

    def predict(
        self,
        horizon: int,
        exog: pd.DataFrame | None = None,
        levels: Sequence[int] = DEFAULT_LEVELS,
    ) -> Forecast:
        model = self._model()
        inner = model.predict(horizon, exog, check_levels(levels))
        return Forecast(
            inner.timestamps,
            np.array(inner.mean),
            {k: np.array(v) for k, v in inner.lower.items()},
            {k: np.array(v) for k, v in inner.upper.items()},
            model=f"auto:{inner.model}",
            details={**inner.details, "scores": dict(self.scores_), "metric": self.metric},
        )

    def predict_mean(self, horizon: int, exog: pd.DataFrame | None = None) -> np.ndarray:
        return self._model().predict_mean(horizon, exog)

    def update(
        self, new_values: Sequence[float] | np.ndarray, exog: pd.DataFrame | None = None
    ) -> Self:
        model = self._model()
        if exog is not None or self.online_ is None:
            self.online_ = None  # exogenous input: only the chosen model follows the data
            model.update(new_values, exog)
            return self
        new = np.asarray(new_values, dtype=float).ravel()
        self.online_.observe(new)
        self._backlog.extend(new.tolist())
        self._catch_up(model)
        if self.online_.position - self._scored_at >= self._stride:
            self._score_all()
        return self

    # -- keeping the choice current ------------------------------------------------------

    def _start_online(self) -> None:
        base = [m for m in self.models_.values() if not isinstance(m, Ensemble)]
        if self.switch_margin is None or len(self.models_) < 2:
            self.online_: OnlineScores | None = None
            return
        horizon = self.calibrator_.errors.shape[1] or 1
        priors = {
            name: prior_mae(effective_calibrator(m).errors, horizon)
            for name, m in self.models_.items()
        }
        self.online_ = OnlineScores(priors, horizon, half_life=max(2 * horizon, 24))
        self._stride = max(1, horizon // 3)
        self._backlog: list[float] = []  # points since the fit
        self._consumed = {id(m): 0 for m in base}
        self._score_all()

    def _catch_up(self, model: BaseForecaster | Ensemble) -> None:
        """Feed ``model`` (or an ensemble's members) the points it has not seen yet."""
        for member in model.members if isinstance(model, Ensemble) else [model]:
            done = self._consumed[id(member)]
            if done < len(self._backlog):
                member.update(self._backlog[done:])
                self._consumed[id(member)] = len(self._backlog)

    def _score_all(self) -> None:
        assert self.online_ is not None
        horizon = self.online_.horizon
        own: dict[int, np.ndarray] = {}  # each fitted model forecasts once, by identity
        for model in self.models_.values():
            for member in model.members if isinstance(model, Ensemble) else [model]:
                if id(member) not in own:
                    self._catch_up(member)
                    own[id(member)] = member.predict_mean(horizon)
        self.online_.record(
            {
                name: np.mean([own[id(m)] for m in model.members], axis=0)
                if isinstance(model, Ensemble)
                else own[id(model)]
                for name, model in self.models_.items()
            }
        )
        self._scored_at = self.online_.position
        assert self.switch_margin is not None
        best = self.online_.better(self.chosen_, self.switch_margin)
        if best != self.chosen_:
            self.chosen_, self.model_ = best, self.models_[best]
            self.switches_ += 1

    @property
    def last_timestamp(self) -> pd.Timestamp:
        return self._model().last_timestamp

    @property
    def calibrator_(self) -> ResidualCalibrator:
        """The calibration of the chosen model (of its fallback if it fell back)."""
        return effective_calibrator(self._model())

    def _model(self) -> BaseForecaster | Ensemble:
        if not hasattr(self, "model_"):
            raise NotFitted(self.name)
        return self.model_
