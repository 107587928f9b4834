"""``headroom forecast`` and ``headroom backtest`` through the real CLI entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from console.cli.main import main
from tests.forecast.synthetic import seasonal_series

REPO = Path(__file__).resolve().parents[2]


def write_csv(path: Path, series: pd.Series) -> Path:
    frame = pd.DataFrame({"timestamp": series.index.strftime("%Y-%m-%d %H:%M:%S"),
                          "value": series.to_numpy()})  # fmt: skip
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def hourly_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "cpu.csv", seasonal_series(days=14, freq="1h", noise=1.0))


def run_cli(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_forecast_writes_the_documented_columns(capsys, hourly_csv, tmp_path):
    out = tmp_path / "fc.csv"
    code, stdout, _ = run_cli(capsys, "forecast", hourly_csv, "--horizon", 30,
                              "--model", "profile", "--out", out)  # fmt: skip
    assert code == 0 and "profile" in stdout
    table = pd.read_csv(out)
    assert list(table.columns) == ["timestamp", "mean", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert len(table) == 30
    assert table["timestamp"].iloc[0] == "2024-01-15T00:00:00.000Z"
    assert table["timestamp"].iloc[-1] == "2024-01-16T05:00:00.000Z"
    assert (table["lo_95"] <= table["lo_80"]).all() and (table["hi_80"] <= table["hi_95"]).all()


def test_forecast_levels_choose_the_columns(capsys, hourly_csv, tmp_path):
    out = tmp_path / "fc.csv"
    code, _, _ = run_cli(capsys, "forecast", hourly_csv, "--horizon", 3, "--model", "naive",
                         "--levels", "50,90,99", "--out", out)  # fmt: skip
    assert code == 0
    assert list(pd.read_csv(out).columns)[2:] == ["lo_50", "hi_50", "lo_90", "hi_90",
                                                  "lo_99", "hi_99"]  # fmt: skip


def test_backtest_rows_and_summary(capsys, hourly_csv, tmp_path):
    out = tmp_path / "bt.csv"
    code, stdout, _ = run_cli(capsys, "backtest", hourly_csv, "--horizon", 6,
                              "--start", "2024-01-12", "--refit-every", 24, "--out", out)  # fmt: skip
    assert code == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["origin", "step", "timestamp", "actual", "mean",
                                   "lo_80", "hi_80", "lo_95", "hi_95"]  # fmt: skip
    assert len(table) == 72 * 6  # origins: every hour of the last three days
    first = table.iloc[0]
    assert first["origin"] == "2024-01-12T00:00:00.000Z" and first["timestamp"] == first["origin"]
    assert table["actual"].isna().sum() == sum(range(1, 6))  # beyond the data
    summary = dict(line.split(" ", 1) for line in stdout.strip().splitlines())
    assert summary["origins"] == "72" and summary["refits"] == "3"
    assert 0.5 < float(summary["coverage_80"]) <= 1 and float(summary["mase"]) < 1.5


def test_backtest_does_not_leak_the_future(capsys, tmp_path):
    series = seasonal_series(days=14, freq="1h", noise=1.0, seed=5)
    poisoned = series.copy()
    bad_at = series.index[300]
    poisoned[bad_at] = 1e9  # absurd: any forecast that saw it would be wrecked
    outputs = []
    for name, data in (("clean", series), ("poisoned", poisoned)):
        out = tmp_path / f"{name}.csv"
        code, _, _ = run_cli(capsys, "backtest", write_csv(tmp_path / f"{name}_in.csv", data),
                             "--horizon", 4, "--start", series.index[280],
                             "--refit-every", 7, "--out", out)  # fmt: skip
        assert code == 0
        outputs.append(pd.read_csv(out, parse_dates=["origin"]))
    clean, dirty = outputs
    columns = ["mean", "lo_80", "hi_80", "lo_95", "hi_95"]
    before = clean["origin"] <= bad_at  # origins that have not seen the absurd value
    pd.testing.assert_frame_equal(clean.loc[before, columns], dirty.loc[before, columns])
    # ... and it would have shown: the first origin after it is far off.
    after = clean["origin"] == bad_at + pd.Timedelta("1h")
    assert (dirty.loc[after, "hi_95"] - clean.loc[after, "hi_95"]).abs().max() > 1e3


def single_line_error(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("", ()),  # empty file
        ("timestamp,value\n2024-01-01 00:00:00,1.0\n", ()),  # a single row
        ("timestamp,value\n2024-01-01 00:00:00,1\nnot a time,2\n2024-01-01 02:00:00,3\n", (":3",)),
        (
            "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 01:00:00,abc\n"
            "2024-01-01 02:00:00,3\n",
            (":3",),
        ),  # fmt: skip
    ],
    ids=["empty", "single-row", "bad-timestamp", "non-numeric"],
)
@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, content, fragments, command):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    extra = ["--start", "2024-01-01"] if command == "backtest" else []
    code, _, err = run_cli(capsys, command, path, "--horizon", 3, *extra,
                           "--out", tmp_path / "o.csv")  # fmt: skip
    assert code == 2
    single_line_error(err, "bad.csv", *fragments)
    assert not (tmp_path / "o.csv").exists()


def test_several_columns_need_column(capsys, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("timestamp,cpu,mem\n2024-01-01 00:00,1,2\n2024-01-01 01:00,2,3\n"
                    "2024-01-01 02:00,3,4\n")  # fmt: skip
    code, _, err = run_cli(capsys, "forecast", path, "--horizon", 2, "--out", tmp_path / "o.csv")
    assert code == 2
    single_line_error(err, "two.csv", "cpu", "mem", "--column")
    code, _, _ = run_cli(capsys, "forecast", path, "--horizon", 2, "--column", "mem",
                         "--model", "naive", "--out", tmp_path / "o.csv")  # fmt: skip
    assert code == 0 and pd.read_csv(tmp_path / "o.csv")["mean"].tolist() == [4.0, 4.0]
    code, _, err = run_cli(capsys, "forecast", path, "--horizon", 2, "--column", "disk",
                           "--out", tmp_path / "o.csv")  # fmt: skip
    assert code == 2
    single_line_error(err, "disk")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--levels", "80,abc"], "--levels"),
        (["--levels", "100"], "--levels"),
        (["--horizon", "0"], "--horizon"),
    ],
)
def test_bad_options(capsys, hourly_csv, tmp_path, args, fragment):
    base = {"--horizon": "3", "--levels": "80,95"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [item for pair in base.items() for item in pair]
    code, _, err = run_cli(capsys, "forecast", hourly_csv, *flat, "--out", tmp_path / "o.csv")
    assert code == 2
    single_line_error(err, fragment)


def test_backtest_start_errors(capsys, hourly_csv, tmp_path):
    out = tmp_path / "o.csv"
    code, _, err = run_cli(capsys, "backtest", hourly_csv, "--horizon", 2, "--start", "soon",
                           "--out", out)  # fmt: skip
    assert code == 2
    single_line_error(err, "--start")
    code, _, err = run_cli(capsys, "backtest", hourly_csv, "--horizon", 2, "--start",
                           "2030-01-01", "--out", out)  # fmt: skip
    assert code == 2
    single_line_error(err, "cpu.csv", "no origin")


def test_missing_file(capsys, tmp_path):
    code, _, err = run_cli(capsys, "forecast", tmp_path / "missing.csv", "--horizon", 2,
                           "--out", tmp_path / "o.csv")  # fmt: skip
    assert code == 2
    single_line_error(err, "missing.csv")


def test_unknown_format_through_the_installed_command(tmp_path):
    unknown = tmp_path / "data.txt"
    unknown.write_text("timestamp,value\n")
    for path in (unknown,):
        result = subprocess.run(
            [sys.executable, "-m", "console", "forecast", str(path), "--horizon", "2",
             "--out", str(tmp_path / "o.csv")],  # fmt: skip
            capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 2
        single_line_error(result.stderr, path.name)


def test_forecast_handles_gappy_duplicated_input(capsys, tmp_path):
    series = seasonal_series(days=10, freq="1h", noise=1.0)
    messy = pd.concat([series.drop(series.index[50:58]), series.iloc[[10, 11]]])
    messy.iloc[5] = np.nan
    path = write_csv(tmp_path / "messy.csv", messy)
    code, _, _ = run_cli(capsys, "forecast", path, "--horizon", 5, "--candidates", "fast",
                         "--out", tmp_path / "o.csv")  # fmt: skip
    assert code == 0
    assert len(pd.read_csv(tmp_path / "o.csv")) == 5


def test_model_choices_match_the_registry():
    from console.cli.forecast import MODEL_CHOICES
    from models.forecast.registry import ALL_MODELS

    assert ("auto", *ALL_MODELS) == MODEL_CHOICES
