"""The one error type of the metric store: it names the file, what is wrong and what to do."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class StoreError(Exception):
    """The store at ``path`` cannot be opened or used.

    ``str()`` is one line for an operator: ``"<path>: <reason>. <advice>"``.
    The store never deletes or overwrites a file it could not open.
    """

    def __init__(self, path: Path, reason: str, advice: str) -> None:
        super().__init__(path, reason, advice)
        self.path = Path(path)
        self.reason = reason
        self.advice = advice

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}. {self.advice}"


def from_sqlite(path: Path, error: sqlite3.Error, doing: str) -> StoreError:
    """Translate a sqlite3 error raised while ``doing`` something into a StoreError."""
    message = str(error)
    lowered = message.lower()
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        advice = "Check that the file and its folder are writable, or open the store read-only"
    elif "locked" in lowered or "busy" in lowered:
        advice = "Another program holds the store; close it and try again"
    elif "full" in lowered:
        advice = "Free some disk space, or shorten the retention"
    elif "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered:
        advice = "Move the file aside or restore it from a backup; Headroom will not overwrite it"
    else:
        advice = "Check the file, or point Headroom at another store path"
    return StoreError(path, f"{doing} failed ({message})", advice)
