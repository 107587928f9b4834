"""Metric files: writing collected samples, reading series for offline analysis.

Written files are *long*: one sample per row, columns ``timestamp, source, host,
metric, value`` (CSV with ISO-8601 UTC millisecond timestamps, or Parquet with a
UTC timestamp type). Files are written to a temporary name and renamed, so an
interrupted write leaves no partial file behind.

Read files may be long (pivoted to one column per ``host/metric``) or *wide*: a
timestamp column (named ``timestamp``, any case, or else the first column) then
one column per series. CSV, Parquet, JSON (records, columns, split, or a
``{column: [...]}`` object) and JSON Lines are accepted. Every problem is a
:class:`MetricFileError` naming the file, the line when there is one, and what is
wrong; no bad row is ever dropped silently. Empty cells and ``NaN``/``null``
tokens are missing values, not errors.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from models.samples import SAMPLE_COLUMNS, Sample

WRITE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
READ_FORMATS = {**WRITE_FORMATS, ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MISSING_TOKENS = frozenset({"", "nan", "null", "none", "na", "n/a"})
# Epoch numbers at or above this are milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973.
EPOCH_MS_THRESHOLD = 1e11
# pandas keeps nanoseconds in an int64: about +/- 292 years around 1970.
MAX_EPOCH_SECONDS = 9.2e9
WRITE_BATCH = 65_536


class MetricFileError(Exception):
    """A metric file that cannot be read or written. ``line`` is 1-based, or None."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        super().__init__(str(path), line, reason)
        self.path = Path(path)
        self.line = line
        self.reason = reason

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.reason}"
        return f"{self.path}:{self.line}: {self.reason}"


def _format_of(path: Path, formats: dict[str, str], verb: str) -> str:
    suffix = path.suffix.lower()
    try:
        return formats[suffix]
    except KeyError:
        known = ", ".join(formats)
        shown = f"extension {suffix!r}" if suffix else "no extension"
        raise MetricFileError(path, None, f"cannot {verb} {shown}: use {known}") from None


def output_format(path: Path) -> str:
    """``"csv"`` or ``"parquet"`` from the extension; MetricFileError for anything else."""
    return _format_of(Path(path), WRITE_FORMATS, "write")


def input_format(path: Path) -> str:
    """``"csv"``, ``"parquet"``, ``"json"`` or ``"jsonl"`` from the extension."""
    return _format_of(Path(path), READ_FORMATS, "read")


# -- writing ----------------------------------------------------------------------------


def format_timestamp(timestamp: float) -> str:
    """UTC epoch seconds → ``2026-11-22T09:30:01.000Z`` (rounded to the millisecond)."""
    seconds, millis = divmod(round(timestamp * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def write_samples(path: Path, samples: Iterable[Sample]) -> int:
    """Write samples to CSV or Parquet (by extension); returns the number written."""
    path = Path(path)
    fmt = output_format(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        if fmt == "csv":
            count = _write_csv(temporary, samples)
        else:
            count = _write_parquet(temporary, samples)
        os.replace(temporary, path)
    except OSError as error:
        raise MetricFileError(path, None, f"cannot write: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return count


def _write_csv(path: Path, samples: Iterable[Sample]) -> int:
    count = 0
    last_timestamp, last_text = math.nan, ""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SAMPLE_COLUMNS)
        for sample in samples:
            if sample.timestamp != last_timestamp:  # a snapshot shares one timestamp
                last_timestamp, last_text = sample.timestamp, format_timestamp(sample.timestamp)
            writer.writerow(
                (last_text, sample.source, sample.host, sample.metric, repr(float(sample.value)))
            )
            count += 1
    return count


def _write_parquet(path: Path, samples: Iterable[Sample]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("timestamp", pa.timestamp("ms", tz="UTC")),
            ("source", pa.string()),
            ("host", pa.string()),
            ("metric", pa.string()),
            ("value", pa.float64()),
        ]
    )
    count = 0
    iterator = iter(samples)
    with pq.ParquetWriter(str(path), schema) as writer:
        while batch := list(islice(iterator, WRITE_BATCH)):
            columns = [
                pa.array([round(s.timestamp * 1000) for s in batch], pa.timestamp("ms", tz="UTC")),
                pa.array([s.source for s in batch], pa.string()),
                pa.array([s.host for s in batch], pa.string()),
                pa.array([s.metric for s in batch], pa.string()),
                pa.array([float(s.value) for s in batch], pa.float64()),
            ]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
            count += len(batch)
    return count


# -- reading ----------------------------------------------------------------------------


@dataclass
class _Raw:
    """A file's table before validation, and how to find a row's line in the file."""

    frame: pd.DataFrame
    line_of: Callable[[int], int | None]
    all_text: bool = False  # every cell is a str (CSV): vectorised string handling applies


def _no_line(_row: int) -> None:
    return None


def read_metric_file(path: Path, column: str | None = None, min_rows: int = 2) -> pd.DataFrame:
    """Read a metric file as a wide float DataFrame indexed by UTC timestamps.

    The index is a sorted tz-aware ``DatetimeIndex`` named ``timestamp``
    (duplicated timestamps kept, in file order). ``column`` keeps only that value
    column; for long files a bare metric name matches ``host/metric`` when only
    one host has it. Fewer than ``min_rows`` rows is an error (too short to analyse).
    """
    path = Path(path)
    fmt = input_format(path)
    if not path.exists():
        raise MetricFileError(path, None, "no such file")
    if not path.is_file():
        raise MetricFileError(path, None, "not a regular file")
    loaders = {"csv": _load_csv, "parquet": _load_parquet, "json": _load_json, "jsonl": _load_json}
    raw = loaders[fmt](path)
    wide = _to_wide(path, raw)
    if column is not None:
        wide = wide[[_resolve_column(path, wide, column)]]
    if len(wide) < min_rows:
        rows = "1 data row" if len(wide) == 1 else f"{len(wide)} data rows"
        raise MetricFileError(path, None, f"only {rows}; at least {min_rows} are needed to analyse")
    return wide


def _resolve_column(path: Path, wide: pd.DataFrame, column: str) -> str:
    if column in wide.columns:
        return column
    matches = [name for name in wide.columns if name.split("/", 1)[-1] == column]
    if len(matches) == 1:
        return matches[0]
    names = list(wide.columns)
    shown = ", ".join(names[:20]) + (f", ... ({len(names)} in all)" if len(names) > 20 else "")
    reason = "matches several columns" if matches else "not found"
    raise MetricFileError(path, None, f"column {column!r} {reason}; available: {shown}")


def _read_error(path: Path, error: OSError) -> MetricFileError:
    return MetricFileError(path, None, f"cannot read: {error.strerror or error}")


def _load_csv(path: Path) -> _Raw:
    # The csv module rather than pandas.read_csv: pandas pads short rows with empty
    # cells and turns long ones into an index, and it cannot say on which line a row began.
    header: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, skipinitialspace=True)
            previous_end = 0
            for record in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # blank line
                if header is None:
                    header, header_line = record, start
                    continue
                if len(record) != len(header):
                    reason = f"row has {len(record)} field(s), the header has {len(header)}"
                    raise MetricFileError(path, start, reason)
                rows.append(record)
                lines.append(start)
    except csv.Error as error:
        raise MetricFileError(path, reader.line_num, f"malformed CSV: {error}") from None
    except UnicodeDecodeError:
        raise MetricFileError(path, None, "not a UTF-8 text file") from None
    except OSError as error:
        raise _read_error(path, error) from None
    if header is None:
        raise MetricFileError(path, None, "empty file")
    names = [name.strip() for name in header]
    # pandas writes its index with an empty header cell; name it so it can be the timestamps.
    names = [name or f"unnamed_{i}" for i, name in enumerate(names)]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise MetricFileError(path, header_line, f"duplicate column {duplicated[0]!r}")
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    return _Raw(frame, lines.__getitem__, all_text=True)


def _load_parquet(path: Path) -> _Raw:
    try:
        frame = pd.read_parquet(path)
    except OSError as error:
        if error.errno is not None:
            raise _read_error(path, error) from None
        raise MetricFileError(path, None, f"not a readable Parquet file: {error}") from None
    except Exception as error:  # pyarrow raises its own ArrowInvalid and friends
        reason = (
            f"not a readable Parquet file: {str(error).splitlines()[0] if str(error) else error}"
        )
        raise MetricFileError(path, None, reason) from None
    return _Raw(_index_as_timestamp(frame), _no_line)


def _index_as_timestamp(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame saved with its timestamps as the index gets them back as the first column."""
    has_timestamp = any(str(name).lower() == "timestamp" for name in frame.columns)
    index = frame.index
    plain = isinstance(index, pd.RangeIndex) or (
        pd.api.types.is_integer_dtype(index.dtype) and list(index) == list(range(len(index)))
    )
    if has_timestamp or plain:
        return frame.reset_index(drop=True)
    name = index.name if index.name is not None else "timestamp"
    out = frame.reset_index(drop=True)
    out.insert(0, str(name), list(index))
    return out


def _load_json(path: Path) -> _Raw:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise MetricFileError(path, None, "not a UTF-8 text file") from None
    except OSError as error:
        raise _read_error(path, error) from None
    if not text.strip():
        raise MetricFileError(path, None, "empty file")
    if input_format(path) == "jsonl":
        return _json_lines(path, text)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":  # several documents: JSON Lines under a .json name
            return _json_lines(path, text)
        raise MetricFileError(path, error.lineno, f"invalid JSON: {error.msg}") from None
    return _Raw(_json_document(path, document), _no_line)


def _json_lines(path: Path, text: str) -> _Raw:
    records, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise MetricFileError(path, number, f"invalid JSON: {error.msg}") from None
        if not isinstance(record, dict):
            raise MetricFileError(path, number, "expected one JSON object per line")
        records.append(record)
        lines.append(number)
    return _Raw(pd.DataFrame.from_records(records), lambda row: lines[row])


def _json_document(path: Path, document: object) -> pd.DataFrame:
    if isinstance(document, list):
        if not all(isinstance(item, dict) for item in document):
            reason = "a JSON array must hold one object per row (records orient)"
            raise MetricFileError(path, None, reason)
        return pd.DataFrame.from_records(document)
    if not isinstance(document, dict):
        raise MetricFileError(path, None, "expected a JSON array or object at the top level")
    if "columns" in document and "data" in document:  # pandas' "split" orient
        try:
            frame = pd.DataFrame(document["data"], columns=document["columns"])
            if document.get("index") is not None:
                frame.index = pd.Index(document["index"])
        except (ValueError, TypeError) as error:
            raise MetricFileError(path, None, f"malformed split-orient JSON: {error}") from None
        return _index_as_timestamp(frame)
    if isinstance(document.get("schema"), dict) and isinstance(document.get("data"), list):
        frame = pd.DataFrame.from_records(document["data"])  # pandas' "table" orient
        if "index" in frame.columns and list(frame["index"]) == list(range(len(frame))):
            frame = frame.drop(columns="index")
        return frame
    values = list(document.values())
    if values and all(isinstance(value, dict) for value in values):
        if _looks_like_timestamps(list(document)):  # "index" orient: {time: {column: value}}
            return _index_as_timestamp(pd.DataFrame.from_dict(document, orient="index"))
        frame = pd.DataFrame(document)  # "columns" orient: {column: {row: value}}
        return _index_as_timestamp(_integer_index_if_possible(frame))
    if values and all(isinstance(value, list) for value in values):  # {column: [...]}
        lengths = {len(value) for value in values}
        if len(lengths) != 1:
            raise MetricFileError(path, None, "JSON columns have different lengths")
        return pd.DataFrame(document)
    raise MetricFileError(
        path, None, "unrecognised JSON layout: use records, columns, split or JSON Lines"
    )


def _looks_like_timestamps(keys: list[str]) -> bool:
    text = pd.Series([str(key) for key in keys])
    if pd.to_numeric(text, errors="coerce").notna().all():
        return len(keys) > 0 and float(text.astype(float).abs().max()) >= 1e8
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    return bool(parsed.notna().all())


def _integer_index_if_possible(frame: pd.DataFrame) -> pd.DataFrame:
    # JSON object keys are strings: "0", "1", ... is a row number, not a timestamp.
    keys = [str(key) for key in frame.index]
    if all(key.isdigit() for key in keys):
        numbers = [int(key) for key in keys]
        if sorted(numbers) == list(range(len(numbers))):
            return frame.set_axis(pd.Index(numbers), axis=0).sort_index()
    return frame


# -- validation and shaping -------------------------------------------------------------


def _to_wide(path: Path, raw: _Raw) -> pd.DataFrame:
    frame = raw.frame
    frame.columns = [str(name).strip() for name in frame.columns]
    if frame.shape[1] == 0:
        raise MetricFileError(path, None, "no columns")
    if len(frame) == 0:
        raise MetricFileError(path, None, "no data rows (header only)")
    lowered = {name.lower(): name for name in frame.columns}
    named = "timestamp" in lowered
    time_column = lowered["timestamp"] if named else frame.columns[0]
    is_long = {"metric", "value"} <= lowered.keys() and named
    value_columns = [name for name in frame.columns if name != time_column]
    if not value_columns:
        raise MetricFileError(path, None, f"no value columns besides {time_column!r}")

    stamps = _parse_timestamps(path, raw, time_column, named)
    if is_long:
        return _pivot_long(path, raw, stamps, lowered)
    data = {name: _parse_values(path, raw, name) for name in value_columns}
    wide = pd.DataFrame(data, index=stamps.rename("timestamp"))
    return wide.sort_index(kind="stable")


def _fail(path: Path, raw: _Raw, row: int, reason: str) -> MetricFileError:
    line = raw.line_of(row)
    return MetricFileError(path, line, reason if line is not None else f"row {row + 1}: {reason}")


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return str(value).strip()


def _texts(raw: _Raw, name: str) -> pd.Series:
    """A column as stripped strings ("" for a missing cell)."""
    series = raw.frame[name]
    if raw.all_text:
        return series.str.strip()
    if isinstance(series.dtype, pd.StringDtype):
        return series.str.strip().fillna("").astype(object)
    return series.map(_cell_text)


def _parse_timestamps(path: Path, raw: _Raw, name: str, named: bool) -> pd.DatetimeIndex:
    series = raw.frame[name]
    what = (
        f"in column {name!r}"
        if named
        else f"in {name!r} (no 'timestamp' column; first column used)"
    )
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(series):
        parsed = pd.DatetimeIndex(series)
        parsed = parsed.tz_localize("UTC") if parsed.tz is None else parsed.tz_convert("UTC")
        missing = np.flatnonzero(parsed.isna())
        if len(missing):
            raise _fail(path, raw, int(missing[0]), f"missing timestamp {what}")
        return _as_ns(path, raw, parsed, what)

    text = _texts(raw, name)
    empty = np.flatnonzero((text == "").to_numpy())
    if len(empty):
        raise _fail(path, raw, int(empty[0]), f"missing timestamp {what}")
    # The first cell decides between epoch numbers and ISO text (trying both on
    # every cell would double the cost); a later cell of the other kind is an error.
    if _is_number(text.iloc[0]):
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(np.isnan(numbers))
        if len(bad):
            row = int(bad[0])
            raise _fail(path, raw, row, f"unparseable timestamp {text.iloc[row]!r} {what}")
        return _epoch_to_index(path, raw, numbers, text, what)
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        row = int(bad[0])
        raise _fail(path, raw, row, f"unparseable timestamp {text.iloc[row]!r} {what}")
    return _as_ns(path, raw, pd.DatetimeIndex(parsed), what)


def _epoch_to_index(
    path: Path, raw: _Raw, numbers: np.ndarray, text: pd.Series, what: str
) -> pd.DatetimeIndex:
    finite = np.isfinite(numbers)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise _fail(path, raw, row, f"unparseable timestamp {text.iloc[row]!r} {what}")
    is_ms = np.abs(numbers).max() >= EPOCH_MS_THRESHOLD
    seconds = numbers / 1000.0 if is_ms else numbers
    out_of_range = np.flatnonzero(np.abs(seconds) >= MAX_EPOCH_SECONDS)
    if len(out_of_range):
        row = int(out_of_range[0])
        raise _fail(path, raw, row, f"timestamp {text.iloc[row]!r} out of range {what}")
    # Whole microseconds: float seconds would otherwise turn .1 into .099999999.
    micros = np.round(seconds * 1e6).astype(np.int64)
    return pd.DatetimeIndex(pd.to_datetime(micros, unit="us", utc=True)).as_unit("ns")


def _as_ns(path: Path, raw: _Raw, parsed: pd.DatetimeIndex, what: str) -> pd.DatetimeIndex:
    try:
        return parsed.as_unit("ns")
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        low, high = pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")
        bad = np.flatnonzero((parsed < low) | (parsed > high))
        row = int(bad[0]) if len(bad) else 0
        raise _fail(path, raw, row, f"timestamp {str(parsed[row])!r} out of range {what}") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_values(path: Path, raw: _Raw, name: str) -> np.ndarray:
    series = raw.frame[name]
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=float)
    else:
        text = _texts(raw, name)
        cells = text.to_numpy(dtype=object)
        try:
            values = cells.astype(float)  # fast path: every cell a number or "nan"
        except ValueError:
            missing = text.str.lower().isin(MISSING_TOKENS).to_numpy()
            cells = np.where(missing, "nan", cells)
            numbers = pd.to_numeric(pd.Series(cells), errors="coerce").to_numpy(dtype=float)
            bad = np.flatnonzero(np.isnan(numbers) & ~missing)
            if len(bad):
                row = int(bad[0])
                reason = f"non-numeric value {text.iloc[row]!r} in column {name!r}"
                raise _fail(path, raw, row, reason) from None
            values = numbers
    infinite = np.flatnonzero(np.isinf(values))
    if len(infinite):
        row = int(infinite[0])
        shown = series.iloc[row]
        raise _fail(path, raw, row, f"non-finite value {shown!r} in column {name!r}")
    return values


def _pivot_long(
    path: Path, raw: _Raw, stamps: pd.DatetimeIndex, lowered: dict[str, str]
) -> pd.DataFrame:
    """``timestamp, [source,] [host,] metric, value`` rows → one column per ``host/metric``."""
    metrics = _texts(raw, lowered["metric"])
    empty = np.flatnonzero((metrics == "").to_numpy())
    if len(empty):
        raise _fail(path, raw, int(empty[0]), "missing metric name")
    names = metrics
    if "host" in lowered:
        hosts = _texts(raw, lowered["host"])
        names = (hosts + "/" + metrics).where(hosts != "", metrics)
    values = _parse_values(path, raw, lowered["value"])
    long = pd.DataFrame({"timestamp": stamps, "name": names.to_numpy(), "value": values})
    # Two samples of one series at one timestamp stay two rows: models decide what to do.
    long["occurrence"] = long.groupby(["timestamp", "name"]).cumcount()
    wide = long.pivot(index=["timestamp", "occurrence"], columns="name", values="value")
    wide = wide.reset_index(level="occurrence", drop=True)
    wide.columns = [str(name) for name in wide.columns]
    wide.index.name = "timestamp"
    return wide.astype(float).sort_index(kind="stable")
