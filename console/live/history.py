"""Long time windows come from the store, queried in a thread-pool worker.

The query is a plain function (testable without a GUI) that opens its own
read-only store connection, so no SQLite handle is shared across threads. A new
request supersedes the one in flight (:class:`~console.workers.LatestOnlyRunner`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from console.workers import CancelToken, ErrorNotifier, LatestOnlyRunner


@dataclass(frozen=True)
class HistoryRequest:
    store_path: Path
    host: str
    metrics: tuple[str, ...]  # empty: every series the store has for the host...
    start: float
    end: float
    max_points: int = 1500
    # ...kept if this says so (a pure function, it runs on the worker thread)
    select: Callable[[list[str]], list[str]] | None = None


@dataclass(frozen=True)
class HistoryResult:
    request: HistoryRequest
    series: dict[str, Any]  # metric -> QueryResult (timestamps, mean, minimum, maximum, count)


def query_history(request: HistoryRequest, token: CancelToken) -> HistoryResult | None:
    """Run one request; ``None`` when cancelled part-way."""
    from connectors.store import MetricStore

    store = MetricStore(request.store_path, readonly=True)
    try:
        metrics = list(request.metrics)
        if not metrics:
            metrics = sorted({key.metric for key in store.series(host=request.host)})
            if request.select is not None:
                metrics = request.select(metrics)
        series: dict[str, Any] = {}
        for metric in metrics:
            if token.cancelled:
                return None
            series[metric] = store.query(
                request.host, metric, request.start, request.end, max_points=request.max_points
            )
        return HistoryResult(request, series)
    finally:
        store.close()


class HistoryLoader(QObject):
    loaded = Signal(object)  # HistoryResult

    def __init__(
        self,
        notifier: ErrorNotifier,
        pool: QThreadPool | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self.runner = LatestOnlyRunner(pool or QThreadPool.globalInstance(), "store query", self)
        self.runner.result.connect(self._on_result)
        self.runner.error.connect(self._on_error)

    def request(self, request: HistoryRequest) -> None:
        self.runner.submit(lambda token: query_history(request, token))

    def cancel(self) -> None:
        self.runner.cancel()

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        return self.runner.wait(timeout_s)

    @property
    def busy(self) -> bool:
        return self.runner.busy

    @Slot(object)
    def _on_result(self, result: HistoryResult | None) -> None:
        if result is not None:
            self.loaded.emit(result)

    @Slot(str, str)
    def _on_error(self, message: str, details: str) -> None:
        self.notifier.report("store", f"history query failed: {message}", details)
