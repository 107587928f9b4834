"""Bulk inserts as multi-row ``INSERT ... VALUES (...), (...), ...`` statements.

Python's ``executemany`` binds and steps one row at a time; one statement carrying a
thousand rows moves the per-row work into SQLite's C code and is about three times
faster here (see bench/bench_store.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np

CHUNK_ROWS = 1000  # 3,000-6,000 parameters: well under SQLite's 32,766 limit


def insert_rows(
    connection: sqlite3.Connection, head: str, columns: Sequence[list], tail: str = ""
) -> int:
    """Run ``head VALUES-list tail`` over the rows formed by ``columns``; returns rows changed.

    ``head`` ends with ``VALUES``; ``columns`` are equally long lists of plain Python
    values (from ``ndarray.tolist()``); ``tail`` is an optional ``ON CONFLICT`` clause.
    Rows are applied in order, so for a repeated key the last one is applied last.
    """
    width, count = len(columns), len(columns[0])
    if not count:
        return 0
    interleaved = np.empty(count * width, dtype=object)
    for position, column in enumerate(columns):
        interleaved[position::width] = column
    flat = interleaved.tolist()
    row = "(" + ",".join("?" * width) + ")"
    changed = 0
    whole = count - count % CHUNK_ROWS
    if whole:
        sql = f"{head} {','.join([row] * CHUNK_ROWS)} {tail}"
        step = CHUNK_ROWS * width
        for offset in range(0, whole * width, step):
            changed += connection.execute(sql, flat[offset : offset + step]).rowcount
    if count > whole:  # the remainder row by row, so only two statements are ever cached
        changed += connection.executemany(
            f"{head} {row} {tail}",
            (
                flat[offset : offset + width]
                for offset in range(whole * width, count * width, width)
            ),
        ).rowcount
    return changed
