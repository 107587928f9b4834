"""Safe input and output for every command, written once.

A command refuses an output it could not write, or an input with the wrong
shape, before it spends minutes computing, so the operator fixes the mistake at
once; and it writes its result beside the target and renames it, so an
interrupted run never leaves a half-written file that looks complete.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from console.cli.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd


def check_writable(path: Path, suffixes: Sequence[str] = (), kind: str = "output") -> None:
    """Refuse an output path with the wrong extension or in a folder we cannot write."""
    if suffixes and path.suffix.lower() not in suffixes:
        raise UsageError(f"{path}: the {kind} must be a {' or '.join(suffixes)} file")
    if path.is_dir():
        raise UsageError(f"{path}: is a directory")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"{path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{path}: folder {folder} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{path}: file exists and is not writable")


def read_one_column(
    path: Path, column: str | None, min_values: int, purpose: str
) -> tuple[str, pd.Series]:
    """The single value column of a metric file: its name and its float values.

    Several value columns without ``--column`` is an error listing them, not a guess.
    """
    from connectors.files import MetricFileError, read_metric_file

    try:
        frame = read_metric_file(path, column=column)
    except MetricFileError as error:
        raise UsageError(str(error)) from None
    if frame.shape[1] != 1:
        columns = ", ".join(str(c) for c in frame.columns)
        raise UsageError(f"{path}: several value columns ({columns}); choose one with --column")
    series = frame.iloc[:, 0].astype(float)
    if series.notna().sum() < min_values:
        raise UsageError(f"{path}: fewer than {min_values} rows with a value; {purpose}")
    return str(frame.columns[0]), series


@contextmanager
def atomic_text(path: Path, newline: str | None = None) -> Iterator[TextIO]:
    """A text stream whose content replaces ``path`` only when the block succeeds."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline=newline) as stream:
            yield stream
        # mkstemp makes the file private; an output is an ordinary document (umask applies).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot write: {error.strerror or error}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
