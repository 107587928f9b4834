"""``headroom --smoke-test``: what packaging runs to check a bundle starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_console(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        HEADROOM_CONFIG_DIR=str(tmp_path / "config"),
        HEADROOM_DATA_DIR=str(tmp_path / "data"),
    )
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_smoke_test_exits_zero_once_live_samples_are_drawn(tmp_path: Path) -> None:
    result = run_console(tmp_path, "--smoke-test", "--interval", "0.2")
    assert result.returncode == 0, result.stderr
    assert "smoke test passed" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "data" / "metrics.sqlite").exists()


def test_bad_interval_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_console(tmp_path, "--interval", "0")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--interval" in lines[0]


def test_no_display_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    env.update(HEADROOM_CONFIG_DIR=str(tmp_path / "c"), HEADROOM_DATA_DIR=str(tmp_path / "d"))
    result = subprocess.run(
        [sys.executable, "-m", "console"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no display" in result.stderr
