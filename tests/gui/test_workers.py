"""Background work: ring buffers, superseding queries, error reporting, the leak guard."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QThreadPool

from console.live.buffers import LiveBuffers
from console.live.collection import CollectionThread
from console.live.ring import RingBuffer
from console.workers import ErrorNotifier, LatestOnlyRunner, Task
from models.samples import Sample
from tests.gui.conftest import SyntheticCollector, leaked_workers


def test_ring_buffer_keeps_the_newest_points_in_order() -> None:
    ring = RingBuffer(4)
    for i in range(10):
        ring.append(float(i), float(i * 10))
    times, values = ring.arrays()
    assert times.tolist() == [6.0, 7.0, 8.0, 9.0]
    assert values.tolist() == [60.0, 70.0, 80.0, 90.0]
    assert len(ring) == 4 and ring.appended == 10
    assert ring.last == (9.0, 90.0)
    since_times, _ = ring.since(7.5)
    assert since_times.tolist() == [8.0, 9.0]


def test_ring_buffer_reads_are_views_not_copies() -> None:
    ring = RingBuffer(1000)
    for i in range(1500):
        ring.append(float(i), 1.0)
    times, _ = ring.arrays()
    assert times.base is not None  # a view into the preallocated storage
    assert np.all(np.diff(times) == 1.0)


def test_buffers_sum_interfaces_into_a_total_without_loopback() -> None:
    buffers = LiveBuffers(10)
    buffers.add(
        [
            Sample(1.0, "local", "h", "net.rx.bytes:eth0", 100.0),
            Sample(1.0, "local", "h", "net.rx.bytes:eth1", 50.0),
            Sample(1.0, "local", "h", "net.rx.bytes:lo", 1e9),
            Sample(1.0, "local", "h", "disk.read.bytes", 7.0),  # already a total: kept as is
            Sample(1.0, "local", "h", "disk.read.bytes:sda", 5.0),
        ]
    )
    assert buffers.get("h", "net.rx.bytes").last == (1.0, 150.0)
    assert buffers.get("h", "disk.read.bytes").last == (1.0, 7.0)
    assert buffers.total_samples == 5


def test_a_newer_query_supersedes_the_older_one(qtbot) -> None:
    runner = LatestOnlyRunner(QThreadPool.globalInstance(), "query")
    results: list[object] = []
    runner.result.connect(results.append)
    release = threading.Event()
    old_saw_cancel = threading.Event()

    def slow(token):
        release.wait(5)
        if token.cancelled:
            old_saw_cancel.set()
        return "old"

    runner.submit(slow)
    runner.submit(lambda token: "new")
    release.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    qtbot.wait(50)
    assert results == ["new"]
    assert old_saw_cancel.is_set()


def test_a_failing_job_reports_one_line_not_a_traceback(qtbot) -> None:
    runner = LatestOnlyRunner(QThreadPool.globalInstance(), "query")

    def broken(token):
        raise ValueError("disk.used.percent: no such series\nsecond line")

    with qtbot.waitSignal(runner.error, timeout=5000) as blocker:
        runner.submit(broken)
    message, details = blocker.args
    assert message == "disk.used.percent: no such series"
    assert "ValueError" in details and "Traceback" not in details
    assert runner.wait(5)


def test_notifier_delivers_reports_from_other_threads_on_its_own_thread(qtbot) -> None:
    notifier = ErrorNotifier()
    seen: list[tuple[str, bool]] = []
    main = threading.get_ident()
    notifier.reported.connect(lambda s, m, d: seen.append((m, threading.get_ident() == main)))
    worker = threading.Thread(target=lambda: notifier.report("store", "write failed"))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(seen), timeout=2000)
    assert seen == [("write failed", True)]
    assert notifier.history[-1][:2] == ("store", "write failed")


def test_leak_guard_sees_a_running_collection_thread(qtbot) -> None:
    before = set(threading.enumerate())
    thread = CollectionThread(SyntheticCollector(), 0.05)
    thread.start()
    try:
        qtbot.waitUntil(lambda: thread.running, timeout=2000)
        assert any("collection thread" in leak for leak in leaked_workers(before))
    finally:
        assert thread.stop(5.0)
    assert leaked_workers(before) == []


def test_leak_guard_sees_a_python_worker_thread() -> None:
    before = set(threading.enumerate())
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, name="forgotten-writer")
    worker.start()
    try:
        assert leaked_workers(before) == ["python thread 'forgotten-writer'"]
    finally:
        stop.set()
        worker.join()


@pytest.mark.parametrize("interval_s", [0.05])
def test_collection_thread_emits_batches_and_stops_in_bounded_time(qtbot, interval_s) -> None:
    thread = CollectionThread(SyntheticCollector(), interval_s)
    batches: list[list[Sample]] = []
    thread.batch.connect(batches.append)
    thread.start()
    qtbot.waitUntil(lambda: len(batches) >= 3, timeout=5000)
    started = time.perf_counter()
    assert thread.stop(5.0)
    assert time.perf_counter() - started < 2.0
    assert not thread.running
    assert all(sample.host == "test-host" for sample in batches[0])


def test_finished_tasks_and_their_data_are_freed(qtbot) -> None:
    # PySide keeps QRunnable subclasses referenced from their pool forever; a Task is a
    # plain callable, so once its owner lets go, it and everything its job held are freed.
    import gc
    import weakref

    from PySide6.QtCore import QThreadPool

    class Payload:  # weak-referenceable, unlike bytes
        data = bytes(1_000)

    pool = QThreadPool()
    tasks, payloads = [], []
    for _ in range(50):
        payload = Payload()
        task = Task(lambda _token, kept=payload: len(kept.data), "leak check")
        tasks.append(weakref.ref(task))
        payloads.append(weakref.ref(payload))
        pool.start(task)
        del task, payload
    assert pool.waitForDone(5000)
    qtbot.wait(50)  # deliver the queued signals
    gc.collect()
    assert sum(ref() is not None for ref in tasks) == 0
    assert sum(ref() is not None for ref in payloads) == 0
