"""The real ``headroom`` entry point, run as a subprocess (no Qt is loaded by any of these)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from console import __version__
from console.cli.main import SUBCOMMANDS

REPO = Path(__file__).resolve().parent.parent
HEADROOM = REPO / ".venv" / "bin" / "headroom"


def headroom(*args: str) -> subprocess.CompletedProcess[str]:
    executable = HEADROOM if HEADROOM.exists() else Path(sys.executable).parent / "headroom"
    return subprocess.run(
        [str(executable), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_help_lists_every_subcommand() -> None:
    result = headroom("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: headroom")
    for name in SUBCOMMANDS:
        assert f"\n    {name} " in result.stdout, name
    assert "collect" in SUBCOMMANDS and "export" in SUBCOMMANDS


def test_version_prints_the_version() -> None:
    result = headroom("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"headroom {__version__}"


def test_subcommand_help_describes_its_options() -> None:
    result = headroom("collect", "--help")
    assert result.returncode == 0
    for option in ("--seconds", "--interval", "--out"):
        assert option in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["collect", "--seconds", "abc", "--out", "x.csv"], "invalid float value: 'abc'"),
        (["collect", "--out", "x.csv"], "the following arguments are required: --seconds"),
        (["export", "--out", "x.csv"], "the following arguments are required: --metric"),
        (["export", "--metric", "cpu.percent", "--bogus", "--out", "x.csv"], "unrecognized"),
    ],
)
def test_bad_arguments_exit_2_with_one_error_line(args: list[str], message: str) -> None:
    result = headroom(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("headroom") and ": error: " in lines[0] and message in lines[0]


def test_bad_input_found_by_a_command_is_exactly_one_line() -> None:
    result = headroom("collect", "--seconds", "-1", "--out", "x.csv")
    assert result.returncode == 2
    assert result.stderr == "headroom collect: error: --seconds must be a positive number, got -1\n"
