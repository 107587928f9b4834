"""Opening the SQLite file: checks that never modify a file we cannot use, pragmas, migrations.

Layout (schema version 2):

* ``series(id, source, host, metric)``, unique on the three names.
* ``samples(series_id, ts, value)`` WITHOUT ROWID, keyed ``(series_id, ts)``: a range
  query of one series is one B-tree range scan and rows are stored compactly.
  ``ts`` is integer milliseconds since the epoch (UTC).
* ``rollup_1m(series_id, ts, minimum, maximum, total, count)``: 1-minute aggregates,
  kept up to date on every write (so long-range queries read 60x fewer rows) and
  kept longer than the raw samples.
* ``meta(key, value)``: ``raw_horizon_ms`` — raw samples before it were deleted by
  retention and only roll-ups remain.

The version lives in ``PRAGMA user_version``; ``MIGRATIONS[n]`` upgrades version n to
n + 1, and all pending ones run in a single transaction.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from connectors.store.errors import StoreError, from_sqlite

BUSY_TIMEOUT_SECONDS = 10.0
MINUTE_MS = 60_000

# floor(ts / 60 s) * 60 s in integer milliseconds, correct for negative times too.
MINUTE_FLOOR_SQL = f"(ts - (((ts % {MINUTE_MS}) + {MINUTE_MS}) % {MINUTE_MS}))"


def _v0_to_v1(connection: sqlite3.Connection) -> None:
    connection.execute(
        "CREATE TABLE series ("
        " id INTEGER PRIMARY KEY,"
        " source TEXT NOT NULL, host TEXT NOT NULL, metric TEXT NOT NULL,"
        " UNIQUE (source, host, metric))"
    )
    connection.execute(
        "CREATE TABLE samples ("
        " series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL,"
        " PRIMARY KEY (series_id, ts)) WITHOUT ROWID"
    )


def _v1_to_v2(connection: sqlite3.Connection) -> None:
    connection.execute(
        "CREATE TABLE rollup_1m ("
        " series_id INTEGER NOT NULL, ts INTEGER NOT NULL,"
        " minimum REAL NOT NULL, maximum REAL NOT NULL, total REAL NOT NULL,"
        " count INTEGER NOT NULL,"
        " PRIMARY KEY (series_id, ts)) WITHOUT ROWID"
    )
    connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID")
    # Version 1 stores had raw samples only: build their roll-ups now.
    connection.execute(
        "INSERT INTO rollup_1m (series_id, ts, minimum, maximum, total, count)"
        f" SELECT series_id, {MINUTE_FLOOR_SQL} AS minute,"
        " MIN(value), MAX(value), SUM(value), COUNT(*)"
        " FROM samples GROUP BY series_id, minute"
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v0_to_v1, _v1_to_v2]
SCHEMA_VERSION = len(MIGRATIONS)


def _uri(path: Path, mode: str) -> str:
    return f"{path.as_uri()}?mode={mode}"


def _newer_schema(path: Path, version: int) -> StoreError:
    return StoreError(
        path,
        f"was written by a newer Headroom (schema version {version}; this version knows "
        f"up to {SCHEMA_VERSION})",
        "Upgrade Headroom, or point it at another store path; the file was left unchanged",
    )


def probe_header(path: Path) -> int:
    """The schema version in an existing file's header, read as plain bytes.

    Reading the bytes ourselves means a file we refuse is never touched, not even by
    SQLite creating -wal/-shm files beside it. ``verify`` re-checks through SQLite.
    """
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as error:
        raise StoreError(
            path, f"cannot be read ({error.strerror or error})", "Check the file's permissions"
        ) from None
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise _not_a_database(path, "no SQLite header")
    version = int.from_bytes(header[60:64], "big", signed=True)
    if version > SCHEMA_VERSION:
        raise _newer_schema(path, version)
    return version


def _not_a_database(path: Path, detail: str) -> StoreError:
    return StoreError(
        path,
        f"is not a SQLite database or is corrupt ({detail})",
        "Move it aside or restore it from a backup; Headroom will not overwrite it",
    )


def verify(connection: sqlite3.Connection, path: Path) -> int:
    """Check through SQLite that this is a store we can use; returns its schema version."""
    try:
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise _not_a_database(path, str(error)) from None
    if version == 0 and tables:
        raise StoreError(
            path,
            "is a SQLite database but not a Headroom metric store",
            "Point Headroom at another store path; the file was left unchanged",
        )
    if version > SCHEMA_VERSION:
        raise _newer_schema(path, version)
    return version


def _check_writable(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(
            path,
            f"its folder cannot be created ({error.strerror or error})",
            "Check the permissions of the parent folder, or choose another store path",
        ) from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        # SQLite creates the -wal and -shm files beside the database.
        raise StoreError(
            path,
            "its folder is not writable",
            "Fix the folder's permissions, choose another store path, or open it read-only",
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(
            path,
            "is not writable",
            "Fix the file's permissions, choose another store path, or open it read-only",
        )


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """Open (creating and migrating if needed) the store at ``path``; raise StoreError.

    The connection is in autocommit mode: callers issue BEGIN/COMMIT themselves, so a
    batch is exactly one transaction.
    """
    path = Path(path).expanduser().absolute()
    if readonly and not path.exists():
        raise StoreError(path, "does not exist", "Check the path, or open it read-write once")
    if not readonly:
        _check_writable(path)
    if path.exists() and path.stat().st_size:
        probe_header(path)
    try:
        connection = sqlite3.connect(
            _uri(path, "ro" if readonly else "rwc"),
            uri=True,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,  # MetricStore serialises access with its own lock
        )
    except sqlite3.Error as error:
        raise from_sqlite(path, error, "opening") from None
    try:
        # Before any pragma that writes (journal_mode), so a refused file stays as it was.
        version = verify(connection, path)
        if readonly and version < SCHEMA_VERSION:
            raise StoreError(
                path,
                f"has an older schema (version {version}, current {SCHEMA_VERSION})",
                "Open it read-write once so Headroom can upgrade it",
            )
        _configure(connection, path, readonly)
        if not readonly:
            migrate(connection, path)
    except BaseException:
        connection.close()
        raise
    return connection


def _configure(connection: sqlite3.Connection, path: Path, readonly: bool) -> None:
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        if not readonly:
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(
                    path, f"cannot use write-ahead logging (mode {mode})", "Use a local disk"
                )
            # In WAL mode NORMAL survives an application crash; only a power cut can
            # lose the last commits, never corrupt the file.
            connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA temp_store = MEMORY")
        connection.execute("PRAGMA cache_size = -32000")  # 32 MB
    except sqlite3.Error as error:
        raise from_sqlite(path, error, "configuring") from None


def migrate(connection: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to SCHEMA_VERSION in one transaction (all or nothing)."""
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as error:
        raise from_sqlite(path, error, "locking for upgrade") from None
    try:
        # Read again under the write lock: another process may have migrated meanwhile.
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise _newer_schema(path, version)
        for step in MIGRATIONS[version:]:
            step(connection)
        if version != SCHEMA_VERSION:
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except StoreError:
        rollback_quietly(connection)
        raise
    except sqlite3.Error as error:
        rollback_quietly(connection)
        raise StoreError(
            path,
            f"could not be upgraded to schema version {SCHEMA_VERSION} ({error})",
            "The upgrade was rolled back and the data is intact; report this to the developers",
        ) from None


def rollback_quietly(connection: sqlite3.Connection) -> None:
    """Roll back if a transaction is open (SQLite may already have rolled it back)."""
    # The original error is the one worth reporting, not a failed rollback.
    if connection.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
