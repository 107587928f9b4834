"""The embedded metric store: SQLite in WAL mode, raw samples plus 1-minute roll-ups.

``MetricStore`` reads and writes from the calling thread; ``StoreWriter`` batches
writes on a background thread with its own connection. See :mod:`.schema` for the
file layout and :mod:`.store` for the query and retention rules.
"""

from __future__ import annotations

from connectors.store.errors import StoreError
from connectors.store.schema import SCHEMA_VERSION
from connectors.store.store import MetricStore
from connectors.store.values import QueryResult, RetentionPolicy, RetentionReport, SeriesKey
from connectors.store.writer import StoreWriter

__all__ = [
    "SCHEMA_VERSION",
    "MetricStore",
    "QueryResult",
    "RetentionPolicy",
    "RetentionReport",
    "SeriesKey",
    "StoreError",
    "StoreWriter",
]
