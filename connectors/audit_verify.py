"""Verify the audit log's hash chain and report the first broken link.

Checks, entry by entry: the line is a complete JSON entry; ``seq`` counts 1, 2, 3, ...
(a gap means an entry was deleted, a step back that entries were reordered); ``prev``
equals the previous entry's ``hash``; ``hash`` matches the entry's own content (an
edited field changes it). The first failure is reported with its line number, entry
number and what is wrong; nothing after it can be trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from connectors.audit import GENESIS, AuditEntry, AuditLog, AuditLogCorrupt, entry_hash, parse_entry


@dataclass(frozen=True)
class ChainBreak:
    line: int  # 1-based line in the file
    seq: int | None  # the entry number found there, when it could be read
    reason: str

    def describe(self) -> str:
        entry = f" (entry {self.seq})" if self.seq is not None else ""
        return f"line {self.line}{entry}: {self.reason}"


@dataclass(frozen=True)
class Verification:
    path: Path
    entries: int  # entries verified before the break (all of them when intact)
    head: str  # hash of the last verified entry (GENESIS for an empty log)
    broken: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify_log(log: AuditLog) -> Verification:
    """Walk the whole chain of ``log``; an absent or empty log is intact with 0 entries."""
    return verify_lines(log.path, log.lines())


def verify_lines(path: Path, lines: Iterable[tuple[int, bytes]]) -> Verification:
    expected_seq, previous = 1, GENESIS
    count = 0
    for number, raw in lines:
        try:
            entry = parse_entry(path, number, raw)
        except AuditLogCorrupt as error:
            return Verification(path, count, previous, ChainBreak(number, None, error.reason))
        problem = link_problem(entry, expected_seq, previous)
        if problem:
            return Verification(path, count, previous, ChainBreak(number, entry.seq, problem))
        expected_seq, previous = entry.seq + 1, entry.hash
        count += 1
    return Verification(path, count, previous, None)


def link_problem(entry: AuditEntry, expected_seq: int, previous_hash: str) -> str | None:
    """What is wrong with ``entry`` as the successor of ``previous_hash``, or None."""
    if entry.seq != expected_seq:
        if entry.seq > expected_seq:
            return f"expected entry {expected_seq}, found {entry.seq} (entries deleted?)"
        return f"expected entry {expected_seq}, found {entry.seq} (entries reordered or repeated?)"
    if entry.prev != previous_hash:
        return "prev does not match the previous entry's hash (entry inserted or replaced?)"
    if entry.hash != entry_hash(entry.to_dict()):
        return "hash does not match the entry's content (a field was edited)"
    return None
