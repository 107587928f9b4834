"""``headroom simulate``: a round trip through a real file, and one-line errors (exit 2)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from console.cli.main import main


@pytest.fixture
def demand_csv(tmp_path: Path) -> Path:
    index = pd.date_range("2026-01-05", periods=400, freq="5min", tz="UTC")
    t = np.arange(400)
    frame = pd.DataFrame(
        {
            "timestamp": index.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "requests": 300 + 200 * np.sin(2 * np.pi * t / 144),
            "cpu": 50.0,
        }
    )
    path = tmp_path / "demand.csv"
    frame.to_csv(path, index=False)
    return path


def test_round_trip_writes_every_policy(demand_csv: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out = tmp_path / "replay.json"
    code = main(["simulate", str(demand_csv), "--column", "requests", "--unit-capacity", "50",
                 "--price", "0.2", "--warmup-minutes", "10", "--series", "--out", str(out)])  # fmt: skip
    assert code == 0
    document = json.loads(out.read_text())
    assert document["input"] == {"path": str(demand_csv), "column": "requests"}
    assert set(document["policies"]) == {"predictive", "reactive", "static"}
    assert document["parameters"]["warmup_intervals"] == 2
    replayed = document["replay"]["intervals"]
    assert replayed == 400 - document["replay"]["history_intervals"]
    static = document["policies"]["static"]
    assert static["peak_units"] == 10  # ceil(500 / 50) at the sine's crest
    assert static["intervals_under_capacity"] == 0
    assert math.isclose(static["cost"], static["unit_hours"] * 0.2, rel_tol=1e-6)
    assert math.isclose(static["unit_hours"], 10 * replayed * 5 / 60, rel_tol=1e-6)
    for summary in document["policies"].values():
        assert len(summary["series"]["requested_units"]) == replayed
    assert len(document["series"]["needed_units"]) == replayed
    # New key, predictive only: the forecast of the interval each decision acted on.
    forecast = document["policies"]["predictive"]["series"]["forecast"]
    assert forecast["lead_intervals"] == 2
    assert len(forecast["mean"]) == len(forecast["bound"]) == replayed
    later = [(m, b) for m, b in zip(forecast["mean"], forecast["bound"], strict=True) if m]
    assert len(later) == replayed and all(b >= m for m, b in later)
    assert "forecast" not in document["policies"]["reactive"]["series"]
    assert document["parameters"]["headroom"] == 0.0
    assert document["parameters"]["hourly_calibration"] is True
    assert document["policies"]["predictive"]["details"]["hourly_calibration"] is True
    printed = capsys.readouterr().out
    assert "predictive" in printed and str(out) in printed


def test_single_policy_without_series(demand_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    argv = ["simulate", str(demand_csv), "--column", "requests", "--unit-capacity", "50",
            "--price", "1", "--policy", "reactive", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    document = json.loads(out.read_text())
    assert list(document["policies"]) == ["reactive"]
    assert "series" not in document


@pytest.mark.parametrize(
    "flag, key",
    [
        ("--no-hourly-calibration", "hourly_calibration"),
        ("--no-adaptive-margin", "adaptive_margin"),
    ],
)
def test_each_calibration_can_be_switched_off(
    demand_csv: Path, tmp_path: Path, flag: str, key: str
) -> None:
    out = tmp_path / "r.json"
    argv = ["simulate", str(demand_csv), "--column", "requests", "--unit-capacity", "50",
            "--price", "1", "--policy", "predictive", flag, "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    document = json.loads(out.read_text())
    assert document["parameters"][key] is False
    assert document["policies"]["predictive"]["details"][key] is False
    other = ({"hourly_calibration", "adaptive_margin"} - {key}).pop()
    assert document["parameters"][other] is True  # one flag, one switch


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--column", "nope"], "column 'nope' not found"),
        ([], "several value columns"),
        (
            ["--column", "requests", "--unit-capacity", "0"],
            "--unit-capacity 0.0: must be a positive",
        ),
        (["--column", "requests", "--price", "-3"], "--price -3.0: must be a positive"),
        (["--column", "requests", "--price", "nan"], "--price nan"),
        (["--column", "requests", "--warmup-minutes", "-1"], "--warmup-minutes"),
        (["--column", "requests", "--headroom", "-0.5"], "headroom: must be 0 or more"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    demand_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    extra: list[str], words: str,
) -> None:  # fmt: skip
    out = tmp_path / "r.json"
    base = {"--unit-capacity": "50", "--price": "1"}
    for option in ("--unit-capacity", "--price"):
        if option in extra:
            base.pop(option)
    argv = ["simulate", str(demand_csv), "--out", str(out), *extra]
    for option, value in base.items():
        argv += [option, value]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("headroom simulate: error:") and error.count("\n") == 1
    assert words in error
    assert not out.exists()


def test_unreadable_file_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,requests\n2026-01-05T00:00:00Z,1\n2026-01-05T00:05:00Z,lots\n")
    argv = ["simulate", str(bad), "--unit-capacity", "1", "--price", "1",
            "--out", str(tmp_path / "r.json")]  # fmt: skip
    assert main(argv) == 2
    assert f"{bad}:3:" in capsys.readouterr().err


def test_not_a_number_is_refused_by_the_parser(demand_csv: Path, tmp_path: Path) -> None:
    argv = ["simulate", str(demand_csv), "--unit-capacity", "lots", "--price", "1",
            "--out", str(tmp_path / "r.json")]  # fmt: skip
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
