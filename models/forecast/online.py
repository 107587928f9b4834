"""Keeps the automatic choice current between refits: the rolling-origin backtest, continued.

The fit-time backtest picks a model from the history as it was. When the series changes
afterwards (a level shift, a new daily shape), the chosen model can stay wrong until the
next refit. :class:`OnlineScores` carries on the same backtest as new points arrive: every
``stride`` points each candidate forecasts the next ``horizon`` steps, and every arriving
value is scored against the forecasts made before it. Absolute errors are averaged with
exponential forgetting (``half_life`` points) and start from the fit-time backtest errors,
so a few noisy points cannot move the choice; :meth:`OnlineScores.better` asks for a clear
margin before the caller switches.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class OnlineScores:
    """Exponentially forgotten mean absolute error of each candidate's forecasts."""

    def __init__(
        self,
        prior_mae: Mapping[str, float],
        horizon: int,
        half_life: float,
        prior_weight: float | None = None,
    ) -> None:
        self.horizon = max(1, int(horizon))
        self.decay = 0.5 ** (1.0 / max(half_life, 1.0))
        # The fit-time errors count as much as one half-life of new points.
        weight = half_life * self.horizon if prior_weight is None else prior_weight
        finite = {name: mae for name, mae in prior_mae.items() if np.isfinite(mae)}
        self.sums = {name: mae * weight for name, mae in finite.items()}
        self.weights = dict.fromkeys(finite, weight)
        self.position = 0  # points observed since the fit
        self.pending: list[tuple[int, dict[str, np.ndarray]]] = []  # (origin, forecasts)

    def record(self, forecasts: Mapping[str, np.ndarray]) -> None:
        """Forecasts made now (before the next point) for steps 1..horizon."""
        self.pending.append((self.position, {n: f for n, f in forecasts.items() if n in self.sums}))

    def observe(self, values: np.ndarray) -> None:
        """Score the arriving ``values`` against every forecast still waiting for them."""
        for value in np.asarray(values, dtype=float).ravel():
            for name in self.sums:
                self.sums[name] *= self.decay
                self.weights[name] *= self.decay
            if np.isfinite(value):
                for origin, forecasts in self.pending:
                    step = self.position - origin
                    for name, forecast in forecasts.items():
                        if step < len(forecast) and np.isfinite(forecast[step]):
                            self.sums[name] += abs(value - forecast[step])
                            self.weights[name] += 1.0
            self.position += 1
        self.pending = [(o, f) for o, f in self.pending if self.position - o < self.horizon]

    def mae(self, name: str) -> float:
        weight = self.weights.get(name, 0.0)
        return self.sums[name] / weight if weight > 0 else float("inf")

    def better(self, current: str, margin: float) -> str:
        """The candidate to use now: ``current`` unless another is better by ``margin``."""
        best = min(self.sums, key=self.mae, default=current)
        if best != current and self.mae(best) < (1.0 - margin) * self.mae(current):
            return best
        return current


def prior_mae(errors: np.ndarray, horizon: int) -> float:
    """Mean absolute fit-time backtest error over steps 1..horizon (inf when none)."""
    block = np.abs(np.asarray(errors, dtype=float)[:, :horizon]) if errors.size else errors
    known = block[np.isfinite(block)] if block.size else block
    return float(np.mean(known)) if known.size else float("inf")
