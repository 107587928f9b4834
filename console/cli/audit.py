"""``headroom audit verify|export``: check and export the tamper-evident audit log.

``headroom audit verify [--log PATH]`` walks the hash chain (see ``connectors.audit``).
Intact: prints the number of entries and the head hash, exit 0. Broken: prints the first
broken link — line, entry number, what is wrong — exit 1 (a finding, not a usage
error: scripts can tell tampering from a bad invocation, which exits 2). Keep the head
hash somewhere else if removal of the newest entries must be detected too.

``headroom audit export --format csv|json --out FILE [--since ISO] [--until ISO]
[--log PATH]`` writes the entries whose time lies in [since, until] (ISO-8601; without
a zone, UTC). The log is verified first; a broken log is not exported (exit 1).
Default log: ``audit.jsonl`` in Headroom's data directory.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    from connectors.audit import AuditLog

EXIT_BROKEN = 1


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="verify or export the audit log of scaling decisions",
        description="Verify the audit log's hash chain, or export its entries.",
    )
    actions = parser.add_subparsers(dest="audit_action", metavar="<action>", required=True)
    verify = actions.add_parser("verify", help="check the hash chain; exit 1 if broken")
    add_log_argument(verify)
    export = actions.add_parser("export", help="write entries to CSV or JSON")
    add_log_argument(export)
    export.add_argument("--format", choices=("csv", "json"), required=True)
    export.add_argument("--out", type=Path, required=True, metavar="FILE")
    export.add_argument("--since", metavar="ISO", help="first time included (ISO-8601)")
    export.add_argument("--until", metavar="ISO", help="last time included (ISO-8601)")


def add_log_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log", type=Path, metavar="PATH", help="audit log (default: data dir)")


def run(args: argparse.Namespace) -> int:
    from connectors.audit import AuditLog

    log = AuditLog(args.log)
    if not log.path.is_file():
        raise UsageError(f"{log.path}: no audit log there")
    if args.audit_action == "verify":
        return verify(log)
    return export(log, args)


def verify(log: AuditLog) -> int:
    from connectors.audit_verify import verify_log

    result = verify_log(log)
    if result.broken is None:
        print(f"{result.path}: intact, {result.entries} entries, head {result.head}")
        return EXIT_OK
    print(
        f"{result.path}: BROKEN at {result.broken.describe()}; "
        f"{result.entries} entries before it verify"
    )
    return EXIT_BROKEN


def export(log: AuditLog, args: argparse.Namespace) -> int:
    from connectors.audit import AuditError
    from connectors.audit_export import export_entries, within
    from connectors.audit_verify import verify_log

    since, until = parse_time(args.since, "--since"), parse_time(args.until, "--until")
    if since and until and since > until:
        raise UsageError(f"--since {args.since} is after --until {args.until}")
    out: Path = args.out
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(f"{out}: not a file in an existing folder")
    result = verify_log(log)
    if result.broken is not None:
        print(
            f"headroom audit: error: {result.path} is broken at {result.broken.describe()}; "
            "not exported (see headroom audit verify)",
            file=sys.stderr,
        )
        return EXIT_BROKEN
    try:
        count = export_entries(within(log.entries(), since, until), out, args.format)
    except AuditError as error:
        raise UsageError(str(error)) from None
    print(f"{count} entries -> {out}")
    return EXIT_OK


def parse_time(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected ISO-8601, e.g. 2026-11-22T10:00Z") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when
