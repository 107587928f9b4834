"""Schema versions, migrations, and opens that must fail loudly without touching the file."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from connectors.store import SCHEMA_VERSION, MetricStore, StoreError
from connectors.store import schema as store_schema
from connectors.store import store as store_module

T0 = 1_700_000_000.0


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in the folder, by name: a failed open must change none and add none."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def make_store(path: Path) -> None:
    with MetricStore(path) as store:
        store.write_arrays("local", "h", "cpu.percent", T0 + np.arange(100.0), np.arange(100.0))


def make_version_1_store(path: Path) -> np.ndarray:
    """A store as version 1 of the schema left it: raw samples, no roll-ups."""
    values = np.arange(600.0) % 37
    with sqlite3.connect(path) as connection:
        store_schema.MIGRATIONS[0](connection)
        connection.execute(
            "INSERT INTO series (id, source, host, metric) VALUES (1, 'local', 'h', 'cpu.percent')"
        )
        connection.executemany(
            "INSERT INTO samples VALUES (1, ?, ?)",
            [(int((T0 + i) * 1000), float(v)) for i, v in enumerate(values)],
        )
        connection.execute("PRAGMA user_version = 1")
    connection.close()
    return values


def user_version(path: Path) -> int:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as connection:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
    connection.close()
    return version


def test_a_new_store_has_the_current_schema_version(tmp_path: Path):
    path = tmp_path / "m.sqlite"
    make_store(path)
    assert user_version(path) == SCHEMA_VERSION == len(store_schema.MIGRATIONS)


def test_an_older_schema_is_migrated_keeping_its_data(tmp_path: Path):
    path = tmp_path / "m.sqlite"
    values = make_version_1_store(path)
    with MetricStore(path) as store:
        assert store.count_samples() == 600
        # The new roll-ups were built from the old raw samples: the roll-up path is exact.
        with mock.patch.object(store_module, "RAW_SCAN_LIMIT", 0):
            result = store.query("h", "cpu.percent", T0, T0 + 599, max_points=20)
        assert result.downsampled and result.bucket_seconds == 60
        assert result.count.sum() == 600
        assert result.maximum.max() == values.max() and result.minimum.min() == values.min()
    assert user_version(path) == SCHEMA_VERSION


def test_a_failed_migration_is_rolled_back(tmp_path: Path):
    path = tmp_path / "m.sqlite"
    make_version_1_store(path)
    with sqlite3.connect(path) as connection:  # a leftover that makes step 2 fail
        connection.execute("CREATE TABLE rollup_1m (x)")
    connection.close()
    with pytest.raises(StoreError) as caught:
        MetricStore(path)
    assert "could not be upgraded" in caught.value.reason
    assert "rolled back" in caught.value.advice
    assert user_version(path) == 1
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM samples").fetchone()[0] == 600
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert "meta" not in tables


def test_a_newer_schema_is_refused_and_left_unchanged(tmp_path: Path):
    path = tmp_path / "m.sqlite"
    make_store(path)
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    connection.close()
    before = snapshot(tmp_path)
    with pytest.raises(StoreError) as caught:
        MetricStore(path)
    assert snapshot(tmp_path) == before
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "newer Headroom" in message and "Upgrade Headroom" in message
    with pytest.raises(StoreError, match="newer"):
        MetricStore(path, readonly=True)


def test_a_file_that_is_not_a_database_is_refused_and_left_unchanged(tmp_path: Path):
    path = tmp_path / "m.sqlite"
    path.write_bytes(b"timestamp,host,value\n" * 500)
    before = snapshot(tmp_path)
    with pytest.raises(StoreError) as caught:
        MetricStore(path)
    assert snapshot(tmp_path) == before
    assert caught.value.path == path
    assert "not a SQLite database" in caught.value.reason
    assert "will not overwrite" in caught.value.advice


def test_someone_elses_sqlite_database_is_refused_and_left_unchanged(tmp_path: Path):
    path = tmp_path / "m.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
        connection.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    connection.close()
    before = snapshot(tmp_path)
    with pytest.raises(StoreError, match="not a Headroom metric store"):
        MetricStore(path)
    assert snapshot(tmp_path) == before


def test_corruption_inside_the_file_gives_a_store_error_and_no_rewrite(tmp_path: Path):
    path = tmp_path / "m.sqlite"
    with MetricStore(path) as store:
        store.write_arrays("local", "h", "cpu.percent", T0 + np.arange(50_000.0), np.ones(50_000))
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data) - page, page):  # scribble over every data page
        data[offset : offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    before = snapshot(tmp_path)
    with pytest.raises(StoreError) as caught, MetricStore(path) as store:
        store.query("h", "cpu.percent", T0, T0 + 50_000)
        store.count_samples()
    assert "malformed" in str(caught.value) or "corrupt" in str(caught.value)
    assert snapshot(tmp_path) == before


def test_a_folder_that_cannot_be_created_gives_a_store_error(tmp_path: Path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(StoreError, match="folder cannot be created") as caught:
        MetricStore(blocker / "store" / "m.sqlite")
    assert caught.value.path == blocker / "store" / "m.sqlite"
    assert blocker.read_text() == "a file where the folder should be"


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temp folder an unprivileged user can reach (pytest's own is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="headroom-store-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in folder.rglob("*"):
            path.chmod(0o700)
        shutil.rmtree(folder)


def _open_as_nobody(path: Path, results: Connection) -> None:
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    try:
        MetricStore(path).close()
        results.send((0, "opened"))
    except StoreError as error:
        results.send((3, str(error)))
    except BaseException as error:  # reported to the test rather than lost in the child
        results.send((4, repr(error)))


def open_unprivileged(path: Path) -> tuple[int, str]:
    """Open the store in a forked child that has no write permission on it.

    Root ignores file permissions, so when the tests run as root the child drops to
    ``nobody`` (a fork, not an exec: the interpreter lives under root's private home).
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_open_as_nobody, args=(path, sender))
    child.start()
    try:
        assert receiver.poll(60), "the child did not answer within 60 s"
        return receiver.recv()
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join(5)


def test_a_store_in_a_read_only_folder_is_refused_and_left_unchanged(shared_tmp: Path):
    folder = shared_tmp / "ro"
    folder.mkdir()
    path = folder / "m.sqlite"
    make_store(path)
    for item in folder.iterdir():
        item.chmod(0o644)
    folder.chmod(0o555)
    before = snapshot(folder)
    code, message = open_unprivileged(path)
    assert code == 3, message
    assert message.startswith(f"{path}: its folder is not writable.")
    assert "open it read-only" in message
    assert snapshot(folder) == before


def test_a_read_only_store_file_is_refused_and_left_unchanged(shared_tmp: Path):
    path = shared_tmp / "m.sqlite"
    make_store(path)
    path.chmod(0o444)
    shared_tmp.chmod(0o777)  # the folder is writable: only the file is not
    before = snapshot(shared_tmp)
    code, message = open_unprivileged(path)
    assert code == 3, message
    assert message.startswith(f"{path}: is not writable.")
    assert snapshot(shared_tmp) == before
