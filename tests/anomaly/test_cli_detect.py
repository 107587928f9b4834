"""``headroom detect`` through the real installed command."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.anomaly.conftest import daily_noise

REPO = Path(__file__).resolve().parents[2]
HEADROOM = REPO / ".venv" / "bin" / "headroom"
HEADER = ["timestamp", "value", "anomaly_score", "is_anomaly", "severity", "pattern"]


def headroom(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HEADROOM), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )


def write_series(
    path: Path, values: np.ndarray, extra: dict[str, np.ndarray] | None = None
) -> None:
    stamps = np.datetime64("2024-03-01T00:00:00") + np.arange(len(values)) * np.timedelta64(5, "m")
    columns = {"value": values, **(extra or {})}
    with path.open("w") as stream:
        stream.write(",".join(["timestamp", *columns]) + "\n")
        for i, stamp in enumerate(stamps):
            cells = ["" if np.isnan(c[i]) else f"{c[i]:.3f}" for c in columns.values()]
            stream.write(",".join([str(stamp).replace("T", " "), *cells]) + "\n")


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open() as stream:
        reader = csv.DictReader(stream)
        assert reader.fieldnames == HEADER
        return list(reader)


def test_round_trip_marks_the_spike_and_keeps_every_row(tmp_path: Path) -> None:
    values = daily_noise(1500)
    values[1200] += 40
    values[[10, 700]] = np.nan
    source, out = tmp_path / "cpu.csv", tmp_path / "scores.csv"
    write_series(source, values)
    result = headroom("detect", source, "--out", out)
    assert result.returncode == 0, result.stderr
    rows = read_rows(out)
    assert len(rows) == 1500
    assert rows[0]["timestamp"] == "2024-03-01T00:00:00.000Z"
    assert rows[10]["value"] == "" and rows[700]["is_anomaly"] == "false"
    scores = np.array([float(r["anomaly_score"]) for r in rows])
    assert scores.min() >= 0.0 and scores.max() <= 1.0
    assert scores.argmax() == 1200 and scores[1200] >= 0.6  # the onset carries the score
    flagged = [i for i, r in enumerate(rows) if r["is_anomaly"] == "true"]
    assert 1200 in flagged and len(flagged) < 15
    assert rows[1200]["pattern"] == "spike" and rows[1200]["severity"] in {"medium", "high"}
    for row in rows:
        assert (row["severity"] == "") == (row["is_anomaly"] == "false")
    assert "spiked" in result.stdout


def test_several_columns_need_column_option(tmp_path: Path) -> None:
    values = daily_noise(400)
    source = tmp_path / "two.csv"
    write_series(source, values, {"load": values / 10})
    refused = headroom("detect", source, "--out", tmp_path / "o.csv")
    assert refused.returncode == 2
    assert "--column" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.csv").exists()
    chosen = headroom("detect", source, "--column", "load", "--out", tmp_path / "o.csv")
    assert chosen.returncode == 0, chosen.stderr
    assert float(read_rows(tmp_path / "o.csv")[5]["value"]) == pytest.approx(
        values[5] / 10, abs=1e-3
    )


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, [], "no such file"),
        ("timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,abc\n", [], ":3:"),
        ("timestamp,value\n2024-01-01 00:00:00,1\n", [], "at least"),
        (
            "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,2\n",
            ["--column", "x"],
            "'x'",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, content: str | None, args: list[str], message: str
) -> None:
    source = tmp_path / "in.csv"
    if content is not None:
        source.write_text(content)
    result = headroom("detect", source, *args, "--out", tmp_path / "o.csv")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("headroom detect: error:"), result.stderr
    assert message in lines[0] and "Traceback" not in result.stderr


def test_bad_output_path_is_refused_before_work(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    write_series(source, daily_noise(50))
    for out, message in [
        (tmp_path / "o.parquet", ".csv"),
        (tmp_path / "missing" / "o.csv", "does not exist"),
    ]:
        result = headroom("detect", source, "--out", out)
        assert result.returncode == 2 and message in result.stderr
