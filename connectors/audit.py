"""The tamper-evident audit log of scaling decisions: append-only JSON Lines.

One entry per line, written with ``O_APPEND`` under an exclusive ``fcntl`` lock and
``fsync``-ed before the lock is released, so entries from concurrent processes never
interleave and an acknowledged entry survives a crash. Each entry records who (the OS
user), when (UTC), which plan (a JSON snapshot, e.g. ``Plan.to_dict()``: steps,
reasoning, cost), the decision, what was executed and its result, and chains to the
previous entry::

    {"seq": 1, "time": "2026-11-22T10:30:00.123456Z", "user": "alice", "host": "ops-1",
     "decision": "approved", "plan": {...} | null, "executed": ... | null,
     "result": ... | null, "prev": "<64 hex: hash of entry seq-1, zeros for the first>",
     "hash": "<64 hex>"}

``hash`` is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of the entry
without its ``hash`` field, ``prev`` included; editing, deleting, reordering or cutting
an entry therefore breaks the chain at that entry (:mod:`connectors.audit_verify`).
Dropping entries from the *end* leaves a valid shorter chain: record the head hash that
``verify`` prints somewhere else when that matters.

The API is append-only: there is no update or delete. Plans and decisions must not
carry secrets; a field whose name looks like one (password, token, secret key, ...) is
refused with :class:`AuditSecretRefused` rather than written.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import re
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from connectors.paths import data_dir

GENESIS = "0" * 64
FIELDS = ("seq", "time", "user", "host", "decision", "plan", "executed", "result", "prev", "hash")
SECRET_NAME = re.compile(
    r"passw(or)?d|passphrase|secret|token|credential|private[_-]?key|access[_-]?key|api[_-]?key",
    re.IGNORECASE,
)
TAIL_BLOCK = 65_536


class AuditError(Exception):
    """Base class of the audit log's errors."""


class AuditLogCorrupt(AuditError):
    """A line of the log cannot be read as an entry. ``line`` is 1-based."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class AuditSecretRefused(AuditError):
    """An entry field looks like a secret; ``field`` is its path, the value is not kept."""

    def __init__(self, field: str) -> None:
        super().__init__(f"refusing to log field {field!r}: it looks like a secret")
        self.field = field


def default_audit_path() -> Path:
    return data_dir() / "audit.jsonl"


def canonical_json(value: object) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def entry_hash(fields: Mapping[str, object]) -> str:
    """SHA-256 of the canonical JSON of an entry without its ``hash`` field."""
    body = {key: value for key, value in fields.items() if key != "hash"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    time: str  # ISO-8601 UTC with microseconds and Z
    user: str
    host: str
    decision: str
    plan: object
    executed: object
    result: object
    prev: str
    hash: str

    def to_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in FIELDS}

    @property
    def timestamp(self) -> datetime:
        return datetime.fromisoformat(self.time.replace("Z", "+00:00"))


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER: still say who
        return f"uid:{os.getuid()}"


def check_no_secrets(value: object, where: str) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            path = f"{where}.{key}"
            if SECRET_NAME.search(str(key)):
                raise AuditSecretRefused(path)
            check_no_secrets(inner, path)
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            check_no_secrets(inner, f"{where}[{index}]")


class AuditLog:
    """Append and read the audit log at ``path`` (default under the data directory)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_audit_path()

    def append(
        self,
        decision: str,
        plan: Mapping[str, object] | None = None,
        executed: object = None,
        result: object = None,
        *,
        user: str | None = None,
        when: datetime | None = None,
    ) -> AuditEntry:
        """Add one entry at the end of the chain and return it (durable on return)."""
        fields: dict[str, object] = {
            "time": _iso(when or datetime.now(UTC)),
            "user": user or current_user(),
            "host": socket.gethostname(),
            "decision": str(decision),
            "plan": None if plan is None else dict(plan),
            "executed": executed,
            "result": result,
        }
        for name in ("plan", "executed", "result"):
            check_no_secrets(fields[name], name)
        # Round-trip through JSON now: a value that cannot be logged must fail before the lock.
        try:
            fields = json.loads(canonical_json(fields))
        except (TypeError, ValueError) as error:
            raise AuditError(f"entry is not JSON-serialisable: {error}") from None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            last = self._last_entry(descriptor)
            fields["seq"] = 1 if last is None else int(last["seq"]) + 1
            fields["prev"] = GENESIS if last is None else str(last["hash"])
            fields["hash"] = entry_hash(fields)
            line = canonical_json({name: fields[name] for name in FIELDS}) + b"\n"
            os.write(descriptor, line)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)  # closing releases the lock
        return AuditEntry(**fields)  # type: ignore[arg-type]

    def entries(self) -> Iterator[AuditEntry]:
        """Every entry in file order; :class:`AuditLogCorrupt` at the first unreadable line."""
        for number, raw in self.lines():
            yield parse_entry(self.path, number, raw)

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(1-based line number, raw line with its newline if it has one)."""
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            # A shared lock: never read an entry that another thread is half-way appending.
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            try:
                lines = handle.readlines()
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        yield from enumerate(lines, start=1)

    def _last_entry(self, descriptor: int) -> dict[str, object] | None:
        size = os.fstat(descriptor).st_size
        if size == 0:
            return None
        start = size
        tail = b""
        while start > 0 and tail.count(b"\n") < 2:
            start = max(0, start - TAIL_BLOCK)
            tail = os.pread(descriptor, size - start, start)
        if not tail.endswith(b"\n"):
            # Appending after a cut line would hide the damage: refuse until it is repaired.
            raise AuditLogCorrupt(self.path, _line_count(descriptor), "last line is incomplete")
        last = tail[:-1].rsplit(b"\n", 1)[-1]
        try:
            return parse_entry(self.path, 0, last + b"\n").to_dict()
        except AuditLogCorrupt as error:
            raise AuditLogCorrupt(self.path, _line_count(descriptor), error.reason) from None


def parse_entry(path: Path, number: int, raw: bytes) -> AuditEntry:
    if not raw.endswith(b"\n"):
        raise AuditLogCorrupt(path, number, "incomplete line (the file was cut mid-entry)")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise AuditLogCorrupt(path, number, "not a JSON entry") from None
    if not isinstance(data, dict):
        raise AuditLogCorrupt(path, number, "not a JSON object")
    missing = [name for name in FIELDS if name not in data]
    extra = sorted(set(data) - set(FIELDS))
    if missing or extra:
        what = f"missing {', '.join(missing)}" if missing else f"unexpected {', '.join(extra)}"
        raise AuditLogCorrupt(path, number, f"fields {what}")
    if not isinstance(data["seq"], int) or isinstance(data["seq"], bool):
        raise AuditLogCorrupt(path, number, "seq is not an integer")
    return AuditEntry(**data)


def _line_count(descriptor: int) -> int:
    """Number of the last line (for error messages only: it reads the whole file)."""
    count, offset, last = 0, 0, b"\n"
    while chunk := os.pread(descriptor, 1 << 20, offset):
        count += chunk.count(b"\n")
        offset += len(chunk)
        last = chunk[-1:]
    return count if last == b"\n" else count + 1


def _iso(when: datetime) -> str:
    if when.tzinfo is None:
        raise AuditError("audit times must be timezone-aware")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
