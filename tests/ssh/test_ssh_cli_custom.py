"""``headroom collect --custom`` runs operator-defined metrics on a real SSH host."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from connectors.ssh.custom import CustomMetricError, format_definition, parse_definition
from tests.servers.sshd import SshdServer, SshdUser
from tests.sources.test_registry_and_cli import headroom, in_process
from tests.ssh.conftest import uri


def test_custom_metrics_from_the_command_line_land_in_the_file(
    sshd_user: SshdUser, sshd_server: SshdServer, known_hosts: Path, tmp_path: Path
) -> None:
    out = tmp_path / "custom.csv"
    marker = tmp_path / "pwned"
    result = headroom(
        "collect", "--source", uri(sshd_user, sshd_server), "--known-hosts", known_hosts,
        "--identity", sshd_user.client_key, "--seconds", "2", "--out", out,
        "--custom", "answer=echo 42",
        "--custom", r"per.worker=printf 'a 1\nb 2.5\n'",
        "--custom", "served:counter=cut -d ' ' -f1 /proc/uptime",  # grows: becomes a rate
        # Shell syntax in a command is data, not code: this prints text (not a number).
        "--custom", f"evil=echo $(touch {marker})",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out)
    values = frame.groupby("metric")["value"].last()
    assert values["custom.answer"] == 42.0
    assert values["custom.per.worker:a"] == 1.0 and values["custom.per.worker:b"] == 2.5
    assert 0.5 < values["custom.served"] < 1.5  # uptime grows one second per second
    assert not any(m.startswith("custom.evil") for m in values.index)
    assert not marker.exists()
    assert "cpu.percent" in values.index  # the host's own metrics are there too


@pytest.mark.parametrize(
    ("definition", "reason"),
    [
        ("no equals sign", "NAME=COMMAND"),
        ("Bad Name=echo 1", "lower-case"),
        ("x:gauge=echo 1", "only ':counter'"),
        ("x=", "empty"),
    ],
)
def test_bad_definitions_are_one_line_errors(
    definition: str, reason: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = in_process(capsys, "collect", "--source", "ssh://ops@db1", "--seconds", "1",
                           "--out", tmp_path / "x.csv", "--custom", definition)  # fmt: skip
    assert code == 2 and reason in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_custom_metrics_need_an_ssh_source(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    code, err = in_process(capsys, "collect", "--seconds", "1", "--out", tmp_path / "x.csv",
                           "--custom", "answer=echo 42")  # fmt: skip
    assert code == 2 and "ssh://" in err


def test_a_definition_reads_back_what_it_wrote():
    for text in ("queue.length=redis-cli -p 6380 llen jobs", "served:counter=cat /proc/x"):
        assert format_definition(parse_definition(text)) == text
    with pytest.raises(CustomMetricError):
        parse_definition("=echo 1")
