"""Helper for tests/test_store_crash.py: write numbered batches until killed.

    python tests/store_crash_writer.py STORE_PATH {direct|writer} BATCH_SIZE MAX_BATCHES

Batch n holds BATCH_SIZE samples of metric ``crash.batch`` whose value is n. The
line ``committed n`` is printed (and flushed) only after batch n is committed, so
every number the parent read must be in the store after a SIGKILL.
"""

from __future__ import annotations

import sys
from pathlib import Path

from connectors.store import MetricStore, StoreWriter
from models.samples import Sample


def make_batch(number: int, size: int) -> list[Sample]:
    first = 1_700_000_000.0 + number * size
    return [
        Sample(first + i, "local", f"host{i % 4}", "crash.batch", float(number))
        for i in range(size)
    ]


def main(argv: list[str]) -> int:
    path, mode, size, limit = Path(argv[0]), argv[1], int(argv[2]), int(argv[3])
    print("ready", flush=True)
    if mode == "direct":
        with MetricStore(path) as store:
            for number in range(limit):
                store.write(make_batch(number, size))
                print(f"committed {number}", flush=True)
    else:
        writer = StoreWriter(path, batch_size=size, flush_interval=0.01)
        writer.start()
        for number in range(limit):
            writer.put(make_batch(number, size))
            writer.flush(timeout=30)
            print(f"committed {number}", flush=True)
        writer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
