"""GUI test fixtures: windows fed by a deterministic collector, and a guard that
fails any test leaving collection threads, store writers or pool workers running."""

from __future__ import annotations

import gc
import math
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from console.live.collection import CollectionThread
from console.settings import Settings
from models.samples import Sample

WORKER_GRACE_S = 3.0


@pytest.fixture(autouse=True, scope="session")
def gc_on_the_gui_thread(qapp) -> Iterator[None]:
    """As in the application (console.gc_guard): cyclic garbage, which may hold Qt
    objects from earlier tests, is collected on the GUI thread, never by a worker."""
    from console.gc_guard import GuiThreadCollector

    collector = GuiThreadCollector()
    yield
    collector.stop()


@pytest.fixture(autouse=True)
def collect_garbage_after_each_test() -> Iterator[None]:
    yield
    gc.collect()  # windows closed by this test are freed here, on the GUI thread


class SyntheticCollector:
    """A deterministic stand-in for LocalCollector: same protocol, known values.

    Values are functions of the call number so tests can predict what is drawn.
    """

    def __init__(self, host: str = "test-host", cores: int = 4, delay_s: float = 0.0) -> None:
        self.host = host
        self.source = "local"
        self.cores = cores
        self.delay_s = delay_s
        self.calls = 0

    def collect(self, now: float | None = None) -> list[Sample]:
        if self.delay_s:
            time.sleep(self.delay_s)  # a slow psutil/ssh call, on the collection thread
        self.calls += 1
        t = time.time() if now is None else now
        n = self.calls
        values = {
            "cpu.percent": 40.0 + 10.0 * math.sin(n / 3),
            "mem.used.percent": 55.0,
            "swap.used.percent": 3.0,
            "net.rx.bytes:eth0": 1_500_000.0 + 1000.0 * n,
            "net.tx.bytes:eth0": 250_000.0,
            "net.rx.bytes:lo": 9e9,  # loopback: must not count in the total
            "disk.read.bytes:sda": 2_000_000.0,
            "disk.write.bytes:sda": 500_000.0,
            "disk.used.percent:/": 61.0,
            "disk.used.percent:/home": 20.0,
            "load.1m": 0.5,
            "load.5m": 0.4,
            "load.15m": 0.3,
        }
        for core in range(self.cores):
            values[f"cpu.core.percent:{core}"] = 10.0 * (core + 1)
        return [Sample(t, self.source, self.host, m, v) for m, v in values.items()]


def leaked_workers(python_threads_before: set[threading.Thread]) -> list[str]:
    """Collection threads, store-writer threads and pool workers still running.

    Threads are compared as objects, not by ``ident``: a thread that ends just after the
    snapshot frees its ident for the next one, which would then pass for an old thread."""
    leaks = [f"collection thread {t}" for t in list(CollectionThread.instances) if t.running]
    leaks += [
        f"python thread {t.name!r}"
        for t in threading.enumerate()
        if t not in python_threads_before
        and t.is_alive()
        and not isinstance(t, threading._DummyThread)  # Qt threads seen from Python
    ]
    if QThreadPool.globalInstance().activeThreadCount():
        leaks.append("QThreadPool.globalInstance() still has active workers")
    return leaks


@pytest.fixture(autouse=True)
def no_leaked_workers(request: pytest.FixtureRequest) -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + WORKER_GRACE_S
    leaks = leaked_workers(before)
    while leaks and time.monotonic() < deadline:
        time.sleep(0.05)
        leaks = leaked_workers(before)
    if leaks:
        for thread in list(CollectionThread.instances):
            thread.stop(2.0)  # don't let one leak cascade into every later test
        pytest.fail(f"{request.node.nodeid} left workers running: {', '.join(leaks)}")


@pytest.fixture
def settings() -> Settings:
    return Settings(interval_s=0.1)


@pytest.fixture
def make_window(qtbot, tmp_path: Path, settings: Settings) -> Iterator[Callable[..., object]]:
    """Build MainWindows; every one is closed (workers stopped) at teardown."""
    from console.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(
        collector: object | None = None,
        store_path: Path | None = None,
        start_collection: bool = True,
        use_store: bool = True,
    ) -> MainWindow:
        path = store_path or tmp_path / "store" / "metrics.sqlite"
        window = MainWindow(
            settings,
            path if use_store else None,
            collector=collector if collector is not None else SyntheticCollector(),
            start_collection=start_collection,
        )
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        window.shutdown()
