"""One BLAS/OpenMP thread for model fitting and prediction.

On a loaded 2-core machine, scikit-learn's OpenMP threads and OpenBLAS threads
oversubscribe the cores: a gradient-boosting fit went from 4 s to 100 s and a 288-step
prediction from 5 ms to 2 s. threadpoolctl only limits libraries that are already loaded,
so scikit-learn's compiled boosting code (which loads the OpenMP runtime) is imported
before the limit is applied. Entering the limit costs ~10 ms, so nested uses (a backtest
wrapping thousands of predictions, a worker process limited for life) enter it once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

_depth = 0  # > 0 while a limit is in force in this process


def preload_threaded_libraries() -> None:
    import sklearn.ensemble  # noqa: F401 - loads libgomp so the limit reaches it


@contextmanager
def single_threaded() -> Iterator[None]:
    """BLAS and OpenMP pools limited to one thread inside the block."""
    global _depth
    if _depth:
        yield
        return
    preload_threaded_libraries()
    with threadpool_limits(1):
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1


def limit_this_process() -> None:
    """For worker processes we own: one thread for the rest of the process's life.

    OpenMP reads ``OMP_NUM_THREADS`` when scikit-learn first loads it, so setting the
    variable here avoids importing scikit-learn in workers that never use it.
    """
    global _depth
    os.environ["OMP_NUM_THREADS"] = "1"
    threadpool_limits(1)  # the BLAS numpy already loaded
    _depth += 1
