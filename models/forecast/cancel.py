"""Cancelling a model fit from another thread without passing a flag through every model.

A worker wraps its work in ``with cancellable(token_is_set):``; long loops inside the
engine (boosting iterations, calibration origins, candidates of the automatic choice)
call :func:`check_cancelled`, which raises :class:`FitCancelled` once the callable says
so. Outside such a block the check does nothing. The scope is a context variable, so
threads (and asyncio tasks) each see their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from models.forecast.base import ForecastError

_cancelled: ContextVar[Callable[[], bool] | None] = ContextVar("forecast_cancelled", default=None)


class FitCancelled(ForecastError):
    def __init__(self) -> None:
        super().__init__("forecast cancelled")


@contextmanager
def cancellable(cancelled: Callable[[], bool]) -> Iterator[None]:
    """Inside the block, engine loops stop with :class:`FitCancelled` once ``cancelled()``."""
    token = _cancelled.set(cancelled)
    try:
        yield
    finally:
        _cancelled.reset(token)


def check_cancelled() -> None:
    cancelled = _cancelled.get()
    if cancelled is not None and cancelled():
        raise FitCancelled
