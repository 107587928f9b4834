"""Crash safety: a writer killed with SIGKILL mid-batch leaves a sound store holding
every batch it reported committed, and no partial batch."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from connectors.store import MetricStore

REPO = Path(__file__).resolve().parent.parent
HELPER = Path(__file__).with_name("store_crash_writer.py")
BATCH_SIZE = 2000


def run_and_kill(path: Path, mode: str, kill_after: int) -> list[int]:
    """Start the helper, SIGKILL it once it has reported ``kill_after`` commits; return
    every batch number it reported committed before dying."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, str(HELPER), str(path), mode, str(BATCH_SIZE), "100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    committed: list[int] = []
    # A child that hangs without printing would block the read below: bound it.
    watchdog = threading.Timer(60, child.kill)
    watchdog.start()
    try:
        assert child.stdout is not None and child.stderr is not None
        for line in child.stdout:  # one line per commit: the loop ends with the child
            if line.startswith("committed "):
                committed.append(int(line.split()[1]))
            if len(committed) >= kill_after:
                break
        # The child is busy writing the next batch: kill it in the middle of it.
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()  # what it printed before dying, buffered lines included
        errors = child.stderr.read()
        child.wait(30)
    finally:
        watchdog.cancel()
        if child.poll() is None:
            child.kill()
            child.wait(10)
    committed += [
        int(line.split()[1]) for line in rest.splitlines() if line.startswith("committed ")
    ]
    assert child.returncode == -signal.SIGKILL, errors
    assert len(committed) >= kill_after, errors
    return committed


@pytest.mark.parametrize("mode", ["direct", "writer"])
def test_sigkill_mid_batch_loses_no_committed_batch(tmp_path: Path, mode: str):
    path = tmp_path / "store" / "m.sqlite"
    committed = run_and_kill(path, mode, kill_after=15)
    leftovers = {p.name for p in path.parent.iterdir()}
    assert "m.sqlite-wal" in leftovers  # the kill really interrupted a live writer

    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        counts = dict(
            check.execute(
                "SELECT CAST(value AS INTEGER), count(*) FROM samples GROUP BY value"
            ).fetchall()
        )
    check.close()
    assert all(counts.get(number) == BATCH_SIZE for number in committed)
    # Transactions are all or nothing: at most one batch beyond the last reported one
    # (committed but killed before it could print), and no batch is partial.
    assert set(counts) - set(committed) <= {max(committed) + 1}
    assert set(counts.values()) == {BATCH_SIZE}

    with MetricStore(path) as store:  # and the application opens it as usual
        assert store.count_samples(metric="crash.batch") == BATCH_SIZE * len(counts)
