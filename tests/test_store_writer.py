"""StoreWriter: batching on its own thread, flush and stop, errors, and a reader alongside."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from connectors.store import MetricStore, StoreError, StoreWriter
from models.samples import Sample

T0 = 1_700_000_000.0


def batch(number: int, size: int = 500, metric: str = "cpu.percent") -> list[Sample]:
    return [
        Sample(T0 + number * size + i, "local", "h", metric, float(number)) for i in range(size)
    ]


@pytest.fixture
def writer(tmp_path: Path):
    started = StoreWriter(tmp_path / "m.sqlite", batch_size=1000, flush_interval=0.05)
    started.start()
    yield started
    started.stop()


def test_flush_commits_everything_put_before_it(writer: StoreWriter):
    for number in range(7):
        writer.put(batch(number))
    writer.flush(timeout=10)
    assert writer.written == 3500
    with MetricStore(writer.path, readonly=True) as reader:
        assert reader.count_samples() == 3500
    assert writer.last_error is None


def test_samples_are_committed_within_the_flush_interval_without_a_flush(writer: StoreWriter):
    writer.put(batch(0, size=10))  # far below batch_size: only the interval commits it
    with MetricStore(writer.path, readonly=True) as reader:
        deadline = time.monotonic() + 10
        while reader.count_samples() < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert reader.count_samples() == 10


def test_stop_commits_what_is_queued_and_refuses_more(tmp_path: Path):
    writer = StoreWriter(tmp_path / "m.sqlite", batch_size=10_000, flush_interval=60)
    writer.start()
    writer.put(batch(0))
    writer.put(batch(1))
    started = time.monotonic()
    writer.stop(timeout=10)
    assert time.monotonic() - started < 10
    assert not writer.running
    assert writer.written == 1000
    with pytest.raises(RuntimeError):
        writer.put(batch(2))
    writer.stop()  # twice is harmless
    with MetricStore(tmp_path / "m.sqlite") as store:
        assert store.count_samples() == 1000


def test_flush_with_nothing_queued_returns_at_once(writer: StoreWriter):
    started = time.monotonic()
    writer.flush(timeout=5)
    assert time.monotonic() - started < 1


def test_a_bad_batch_is_reported_and_writing_goes_on(tmp_path: Path):
    errors: list[Exception] = []
    writer = StoreWriter(tmp_path / "m.sqlite", flush_interval=0.05, on_error=errors.append)
    writer.start()
    try:
        writer.put([Sample(T0, "local", "h", "cpu.percent", "not a number")])  # type: ignore[arg-type]
        writer.flush(timeout=10)
        writer.put(batch(1))
        writer.flush(timeout=10)
    finally:
        writer.stop()
    assert len(errors) == 1 and writer.last_error is errors[0]
    assert writer.written == 500


def test_start_raises_store_error_on_an_unusable_path(tmp_path: Path):
    path = tmp_path / "m.sqlite"
    path.write_bytes(b"not a database" * 20)
    writer = StoreWriter(path)
    with pytest.raises(StoreError):
        writer.start()
    assert not writer.running


def test_a_reader_sees_whole_batches_while_the_writer_writes(writer: StoreWriter):
    batches, size = 60, 500
    failures: list[BaseException] = []

    def produce() -> None:
        try:
            for number in range(batches):
                writer.put(batch(number, size))
                time.sleep(0.002)
        except BaseException as error:  # surfaced by the assertion below
            failures.append(error)

    producer = threading.Thread(target=produce)
    producer.start()
    seen: list[int] = []
    with MetricStore(writer.path, readonly=True) as reader:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            seen.append(reader.count_samples())
            result = reader.query("h", "cpu.percent", T0, T0 + batches * size)
            # Every committed put is whole: counts only ever land on batch boundaries.
            assert result.count.sum() % size == 0
            if seen[-1] == batches * size:
                break
        producer.join(10)
        writer.flush(timeout=10)
        assert reader.count_samples() == batches * size
    assert not failures
    assert all(count % size == 0 for count in seen)
    assert seen == sorted(seen)
    assert len(set(seen)) > 2  # the reader really ran while writes were landing


def test_flush_before_start_says_so_instead_of_waiting(tmp_path: Path):
    writer = StoreWriter(tmp_path / "m.sqlite")
    writer.put(batch(0, size=3))
    with pytest.raises(RuntimeError, match="start"):
        writer.flush(timeout=1)
    writer.stop()
