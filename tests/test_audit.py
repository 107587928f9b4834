"""The audit log: append-only hash chain, tamper detection, concurrent writers, export."""

from __future__ import annotations

import getpass
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.audit import (
    GENESIS,
    AuditLog,
    AuditLogCorrupt,
    AuditSecretRefused,
    default_audit_path,
    entry_hash,
)
from connectors.audit_export import export_entries, read_csv_export, within
from connectors.audit_verify import verify_lines, verify_log
from console.cli.main import main

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

PLAN = {
    "target": "web",
    "steps": [
        {
            "at": "2026-11-22T10:30:00+00:00",
            "from_units": 3,
            "to_units": 5,
            "trace": [["forecast", 4.2, "p95 upper bound"]],
        }
    ],  # fmt: skip
    "cost": {"plan_total": 12.5, "change_vs_current": 2.5},
}


def filled_log(path: Path, count: int = 5) -> AuditLog:
    log = AuditLog(path)
    for i in range(count):
        log.append(
            "approved" if i % 2 else "auto-approved",
            plan={**PLAN, "number": i},
            executed={"set_desired": 3 + i},
            result="ok",
            when=T0 + timedelta(minutes=i),
        )
    return log


def test_appends_chain_and_verify(tmp_path: Path) -> None:
    log = filled_log(tmp_path / "audit.jsonl", 3)
    entries = list(log.entries())
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev == GENESIS
    assert entries[1].prev == entries[0].hash and entries[2].prev == entries[1].hash
    assert all(e.hash == entry_hash(e.to_dict()) for e in entries)
    assert entries[0].user == getpass.getuser()
    assert entries[0].plan["steps"][0]["to_units"] == 5
    assert entries[2].time == "2026-11-22T10:02:00.000000Z"
    result = verify_log(log)
    assert result.intact and result.entries == 3 and result.head == entries[2].hash


def test_default_location_is_in_the_data_dir(isolated_user_dirs: Path) -> None:
    entry = AuditLog().append("rejected", plan=PLAN, result="not executed")
    assert default_audit_path() == isolated_user_dirs / "data" / "audit.jsonl"
    assert default_audit_path().read_text().count("\n") == 1
    assert entry.seq == 1


def test_the_api_has_no_way_to_change_or_remove_entries() -> None:
    public = {name for name in dir(AuditLog) if not name.startswith("_")}
    assert public == {"append", "entries", "lines"}


def test_secret_looking_fields_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(AuditSecretRefused) as error:
        log.append("approved", plan={"target": "db", "ssh": {"Password": "hunter2"}})
    assert error.value.field == "plan.ssh.Password"
    assert "hunter2" not in str(error.value)
    assert not log.path.exists() or log.path.read_text() == ""


def rewrite(path: Path, change: callable) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(change(lines)))


def break_of(path: Path) -> tuple[int, int | None, str]:
    result = verify_log(AuditLog(path))
    assert result.broken is not None
    return result.broken.line, result.broken.seq, result.broken.reason


def edit_decision(lines: list[bytes]) -> list[bytes]:
    entry = json.loads(lines[2])
    entry["decision"] = "rejected"
    lines[2] = json.dumps(entry).encode() + b"\n"
    return lines


def edit_and_rehash(lines: list[bytes]) -> list[bytes]:
    entry = json.loads(lines[2])
    entry["executed"] = {"set_desired": 50}
    entry["hash"] = entry_hash(entry)  # a careful forger: the next link still breaks
    lines[2] = json.dumps(entry).encode() + b"\n"
    return lines


@pytest.mark.parametrize(
    "change, line, seq, words",
    [
        (edit_decision, 3, 3, "field was edited"),
        (edit_and_rehash, 4, 4, "prev does not match"),
        (lambda lines: lines[:1] + lines[2:], 2, 3, "expected entry 2, found 3"),
        (lambda lines: [lines[0], lines[2], lines[1], *lines[3:]], 2, 3, "expected entry 2"),
        (lambda lines: lines[:3] + [lines[3][:40]], 4, None, "incomplete line"),
        (lambda lines: lines[:2] + [lines[2][:30] + b"\n"] + lines[3:], 3, None, "not a JSON"),
    ],
    ids=["edit-field", "edit-and-rehash", "delete-line", "reorder", "truncate-last", "cut-middle"],
)
def test_tampering_is_detected_at_the_right_entry(
    tmp_path: Path, change: callable, line: int, seq: int | None, words: str
) -> None:
    log = filled_log(tmp_path / "audit.jsonl", 5)
    rewrite(log.path, change)
    found_line, found_seq, reason = break_of(log.path)
    assert (found_line, found_seq) == (line, seq)
    assert words in reason
    assert verify_log(log).entries == line - 1


def test_appending_after_a_cut_line_is_refused(tmp_path: Path) -> None:
    log = filled_log(tmp_path / "audit.jsonl", 2)
    rewrite(log.path, lambda lines: [lines[0], lines[1][:25]])
    with pytest.raises(AuditLogCorrupt) as error:
        log.append("approved")
    assert error.value.line == 2


WRITER = """
import sys
from connectors.audit import AuditLog
log = AuditLog(sys.argv[1])
for i in range(int(sys.argv[3])):
    log.append("approved", plan={"writer": sys.argv[2], "i": i, "pad": "x" * 3000})
"""


def test_concurrent_appends_from_two_processes_keep_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "60"], cwd=REPO)
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0]
    result = verify_log(AuditLog(path))
    assert result.intact and result.entries == 120
    plans = [e.plan for e in AuditLog(path).entries()]
    for name in ("a", "b"):
        assert [p["i"] for p in plans if p["writer"] == name] == list(range(60))


def test_export_round_trips_in_json_and_csv(tmp_path: Path) -> None:
    log = filled_log(tmp_path / "audit.jsonl", 4)
    original = [e.to_dict() for e in log.entries()]
    assert export_entries(log.entries(), tmp_path / "out.json", "json") == 4
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["schema"] == "headroom.audit-export/1"
    assert document["entries"] == original
    export_entries(log.entries(), tmp_path / "out.csv", "csv")
    assert read_csv_export(tmp_path / "out.csv") == original
    # A whole-log export can be verified again.
    lines = [(i + 1, json.dumps(e).encode() + b"\n") for i, e in enumerate(document["entries"])]
    assert verify_lines(tmp_path / "out.json", lines).intact


def test_export_window_is_inclusive(tmp_path: Path) -> None:
    log = filled_log(tmp_path / "audit.jsonl", 5)
    chosen = list(within(log.entries(), T0 + timedelta(minutes=1), T0 + timedelta(minutes=3)))
    assert [e.seq for e in chosen] == [2, 3, 4]


def test_cli_verify_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = filled_log(tmp_path / "audit.jsonl", 4)
    assert main(["audit", "verify", "--log", str(log.path)]) == 0
    assert "intact, 4 entries" in capsys.readouterr().out
    out = tmp_path / "window.csv"
    code = main(["audit", "export", "--log", str(log.path), "--format", "csv", "--out", str(out),
                 "--since", "2026-11-22T10:01:00Z", "--until", "2026-11-22T10:02:00"])  # fmt: skip
    assert code == 0
    assert [row["seq"] for row in read_csv_export(out)] == [2, 3]
    rewrite(log.path, edit_decision)
    assert main(["audit", "verify", "--log", str(log.path)]) == 1
    printed = capsys.readouterr().out
    assert "BROKEN at line 3 (entry 3)" in printed and "2 entries before it verify" in printed
    code = main(["audit", "export", "--log", str(log.path), "--format", "json",
                 "--out", str(tmp_path / "x.json")])  # fmt: skip
    assert code == 1 and not (tmp_path / "x.json").exists()


def test_cli_usage_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify", "--log", str(tmp_path / "none.jsonl")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    log = filled_log(tmp_path / "audit.jsonl", 1)
    code = main(["audit", "export", "--log", str(log.path), "--format", "csv",
                 "--out", str(tmp_path / "o.csv"), "--since", "yesterday"])  # fmt: skip
    assert code == 2
    error = capsys.readouterr().err
    assert "--since 'yesterday'" in error and error.count("\n") == 1


def test_a_real_plan_snapshot_is_logged_verbatim(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    from models.forecast import Forecast
    from models.planning import MetricKind, ScalableTarget, TargetKind, plan_capacity

    stamps = pd.date_range("2026-11-22 11:00", periods=6, freq="10min", tz="UTC")
    upper = np.array([900.0, 1400, 2100, 2600, 2600, 1800])
    forecast = Forecast(stamps, upper * 0.8, {95: upper * 0.6}, {95: upper}, model="profile")
    target = ScalableTarget(
        name="web", kind=TargetKind.POOL, metric="requests", metric_kind=MetricKind.THROUGHPUT,
        per_unit=500.0, current=2, desired=2, minimum=1, maximum=10,
        price_per_unit_hour=0.1, warmup=timedelta(minutes=10), cooldown=timedelta(0),
    )  # fmt: skip
    snapshot = plan_capacity(target, forecast).to_dict()
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append("approved", plan=snapshot, executed={"steps": len(snapshot["steps"])}, result="ok")
    (entry,) = log.entries()
    assert entry.plan == json.loads(json.dumps(snapshot))
    assert entry.plan["steps"] and entry.plan["steps"][0]["trace"]
    assert verify_log(log).intact
