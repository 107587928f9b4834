"""Forecast many series at once in a process pool, with progress and cancellation.

Series are sent in small chunks so progress moves steadily and cancellation is quick:
``cancelled()`` is polled at least every ``POLL_SECONDS``; once it returns True, chunks
not yet started are dropped and every series without a result maps to a
:class:`ForecastCancelled`. A series that fails maps to a :class:`SeriesFailed` (never
raised: one bad series must not lose the others). Workers are started with ``spawn``,
which is safe from a Qt process that already runs threads.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

import pandas as pd

from models.forecast.base import DEFAULT_LEVELS, Forecast, ForecastError
from models.forecast.registry import FAST_CANDIDATES

POLL_SECONDS = 0.1
CHUNK = 8


class ForecastCancelled(ForecastError):
    def __init__(self, series: str) -> None:
        self.series = series
        super().__init__(f"forecast of {series!r} cancelled")

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return (type(self), (self.series,))


class SeriesFailed(ForecastError):
    """Why one series could not be forecast (picklable, unlike arbitrary exceptions)."""

    def __init__(self, series: str, reason: str) -> None:
        self.series = series
        self.reason = reason
        super().__init__(f"{series}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return (type(self), (self.series, self.reason))


def forecast_one(
    series: pd.Series,
    horizon: int,
    levels: Sequence[int] = DEFAULT_LEVELS,
    model: str = "auto",
    candidates: Sequence[str] = FAST_CANDIDATES,
    metric: str = "mase",
) -> Forecast:
    """Fit ``model`` ("auto" or a registry name) and forecast ``horizon`` steps.

    ``metric`` is what the automatic choice minimises (see ``models.forecast.auto``)."""
    from models.forecast.auto import AutoForecaster
    from models.forecast.registry import make_model

    if model == "auto":
        forecaster = AutoForecaster(
            candidates=candidates, metric=metric, calibration_horizon=horizon
        )
    else:
        forecaster = make_model(model, calibration_horizon=horizon)
    return forecaster.fit(series).predict(horizon, levels=levels)


def _limit_worker_threads() -> None:
    # Our own worker process: one BLAS/OpenMP thread for its whole life (see threads.py);
    # the pool already runs one worker per core.
    from models.forecast.threads import limit_this_process

    limit_this_process()


def _chunk_worker(
    items: list[tuple[str, pd.Series]],
    horizon: int,
    levels: tuple[int, ...],
    model: str,
    candidates: tuple[str, ...],
) -> list[tuple[str, Forecast | ForecastError]]:
    results: list[tuple[str, Forecast | ForecastError]] = []
    for name, series in items:
        try:
            results.append((name, forecast_one(series, horizon, levels, model, candidates)))
        except Exception as error:  # noqa: BLE001 - reported per series, never raised
            results.append((name, SeriesFailed(name, f"{type(error).__name__}: {error}")))
    return results


def forecast_many(
    series: Mapping[str, pd.Series],
    horizon: int,
    levels: Sequence[int] = DEFAULT_LEVELS,
    max_workers: int | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
    cancelled: Callable[[], bool] = lambda: False,
    *,
    model: str = "auto",
    candidates: Sequence[str] = FAST_CANDIDATES,
    chunk_size: int = CHUNK,
) -> dict[str, Forecast | Exception]:
    """``{name: Forecast}`` for every series, or the exception that series ended with.

    ``model="auto"`` compares ``candidates`` per series (the fast numpy set by default;
    pass ``registry.FULL_CANDIDATES`` for everything, at about a hundred times the cost).
    """
    names = list(series)
    total = len(names)
    results: dict[str, Forecast | Exception] = {}
    progress(0, total)
    if not total:
        return results
    workers = max_workers or min(os.cpu_count() or 1, max(1, total // chunk_size))
    chunks = [names[i : i + chunk_size] for i in range(0, total, chunk_size)]
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_limit_worker_threads
    )
    pending: set[Future] = set()
    chunk_of: dict[Future, list[str]] = {}
    try:
        for chunk in chunks:
            items = [(name, series[name]) for name in chunk]
            future = executor.submit(
                _chunk_worker, items, horizon, tuple(levels), model, tuple(candidates)
            )
            chunk_of[future] = chunk
            pending.add(future)
        while pending:
            if cancelled():
                break
            done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = chunk_of[future]
                try:
                    for name, outcome in future.result():
                        results[name] = outcome
                except Exception as error:  # noqa: BLE001 - a dead worker loses its chunk only
                    for name in chunk:
                        results[name] = SeriesFailed(name, f"{type(error).__name__}: {error}")
            if done:
                progress(len(results), total)
    finally:
        for future in pending:
            future.cancel()
        # Do not wait for chunks already running: a cancelled GUI must not freeze.
        executor.shutdown(wait=not pending, cancel_futures=True)
    for name in names:
        results.setdefault(name, ForecastCancelled(name))
    return {name: results[name] for name in names}
