"""Export audit entries to CSV or JSON, optionally within a time window.

JSON: ``{"schema": "headroom.audit-export/1", "entries": [entry, ...]}`` with every
entry exactly as logged (hashes included, so an export of the whole log can be verified
again). CSV: one row per entry, columns ``seq, time, user, host, decision, plan,
executed, result, prev, hash``; ``plan``, ``executed`` and ``result`` hold canonical JSON
text. Files are written beside the target and renamed, so a failed export leaves none.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from connectors.audit import FIELDS, AuditEntry, AuditError, canonical_json

EXPORT_SCHEMA = "headroom.audit-export/1"
JSON_COLUMNS = ("plan", "executed", "result")
FORMATS = ("csv", "json")


def within(
    entries: Iterable[AuditEntry], since: datetime | None, until: datetime | None
) -> Iterator[AuditEntry]:
    """Entries with ``since <= time <= until`` (either bound optional, both tz-aware)."""
    for entry in entries:
        when = entry.timestamp
        if (since is None or when >= since) and (until is None or when <= until):
            yield entry


def export_entries(entries: Iterable[AuditEntry], out: Path, fmt: str) -> int:
    """Write ``entries`` to ``out`` as ``csv`` or ``json``; returns how many."""
    if fmt not in FORMATS:
        raise AuditError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    rows = [entry.to_dict() for entry in entries]
    out = Path(out)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            if fmt == "json":
                json.dump(
                    {"schema": EXPORT_SCHEMA, "entries": rows}, stream, ensure_ascii=False, indent=1
                )
                stream.write("\n")
            else:
                _write_csv(stream, rows)
        os.replace(temporary, out)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise AuditError(f"{out}: cannot write: {error.strerror or error}") from None
    return len(rows)


def _write_csv(stream: object, rows: list[dict[str, object]]) -> None:
    writer = csv.writer(stream, lineterminator="\n")  # type: ignore[arg-type]
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow(
            canonical_json(row[name]).decode("utf-8") if name in JSON_COLUMNS else row[name]
            for name in FIELDS
        )


def read_csv_export(path: Path) -> list[dict[str, object]]:
    """Entries back from a CSV export (JSON columns decoded, ``seq`` as int)."""
    with Path(path).open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    entries = []
    for row in rows:
        entry: dict[str, object] = dict(row)
        entry["seq"] = int(row["seq"])
        for name in JSON_COLUMNS:
            entry[name] = json.loads(row[name])
        entries.append(entry)
    return entries
