"""Cyclic garbage is collected on the GUI thread, not by whichever thread allocates."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject

from console.gc_guard import GuiThreadCollector


def test_automatic_collection_is_off_and_the_timer_collects(qtbot) -> None:
    enabled_before = gc.isenabled()
    guard = GuiThreadCollector()
    try:
        assert not gc.isenabled()
        freed_on: list[str] = []

        class Cycle(QObject):
            def __init__(self) -> None:
                super().__init__()
                self.me = self  # a reference cycle: only the cyclic collector frees it

            def __del__(self) -> None:
                freed_on.append(threading.current_thread().name)

        Cycle()
        # Live allocations past every threshold, from a worker: it must not collect there.
        worker = threading.Thread(target=lambda: [[] for _ in range(200_000)], name="worker")
        worker.start()
        worker.join(10)
        # Keep allocating on this (the GUI) thread while waiting: counts are net of frees,
        # and widgets torn down by earlier tests may free hundreds of objects meanwhile.
        kept: list[list[object]] = []

        def allocate_then_check() -> bool:
            kept.extend([] for _ in range(gc.get_threshold()[0] + 10))
            return bool(freed_on)

        qtbot.waitUntil(allocate_then_check, timeout=5000)
        assert freed_on == [threading.main_thread().name]
        kept.clear()
    finally:
        guard.stop()
    assert gc.isenabled() == enabled_before
