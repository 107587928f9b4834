"""``headroom collect`` and ``headroom export``, run as real subprocesses."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from connectors.files import read_metric_file
from console.cli.progress import ProgressBar
from models.catalogue import spec_for, split_name
from models.samples import SAMPLE_COLUMNS, Sample

REPO = Path(__file__).resolve().parent.parent
HEADROOM = REPO / ".venv" / "bin" / "headroom"
T0 = 1_795_339_800.0  # 2026-11-22T09:30:00Z


def headroom(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    executable = HEADROOM if HEADROOM.exists() else Path(sys.executable).parent / "headroom"
    return subprocess.run(
        [str(executable), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )


def in_process(
    capsys: pytest.CaptureFixture[str], *args: str | Path
) -> subprocess.CompletedProcess[str]:
    """The same entry point without a new interpreter: for the many error cases."""
    from console.cli.main import main

    capsys.readouterr()
    try:
        code = main([str(arg) for arg in args])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, captured.out, captured.err)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# -- collect ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def collected_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("collect") / "x.csv"
    result = headroom("collect", "--seconds", "3", "--interval", "0.5", "--out", path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    return path, result.stdout


def test_collect_csv_has_enough_rows_per_series(collected_csv: tuple[Path, str]) -> None:
    path, stdout = collected_csv
    frame = pd.read_csv(path)
    assert tuple(frame.columns) == SAMPLE_COLUMNS
    assert f"to {path}" in stdout
    rows = frame.groupby("metric").size()
    wanted = ["cpu.percent", "mem.used.percent", "net.rx.bytes", "net.tx.bytes"]
    wanted += [m for m in rows.index if m.startswith(("disk.", "cpu.core.percent:"))]
    assert any(m.startswith("disk.used.percent:") for m in wanted)
    for metric in wanted:
        assert rows.get(metric, 0) >= 5, (metric, rows.to_dict())


def test_collect_csv_values_are_sane(collected_csv: tuple[Path, str]) -> None:
    frame = pd.read_csv(collected_csv[0])
    assert (frame["source"] == "local").all()
    assert frame["host"].nunique() == 1
    for metric, values in frame.groupby("metric")["value"]:
        spec = spec_for(metric)
        assert (values >= 0).all(), metric  # rates and percentages alike
        if spec.unit == "%":
            assert (values <= 100).all(), metric
    # ISO-8601 UTC with milliseconds, one instant per snapshot, 0.5 s apart.
    stamps = pd.to_datetime(frame["timestamp"], format="%Y-%m-%dT%H:%M:%S.%fZ", utc=True)
    instants = sorted(stamps.unique())
    assert len(instants) == 7
    gaps = pd.Series(instants).diff().dropna().dt.total_seconds()
    assert gaps.between(0.4, 0.6).all(), gaps.tolist()


def test_collect_output_reads_back_as_wide_frame(collected_csv: tuple[Path, str]) -> None:
    wide = read_metric_file(collected_csv[0])
    assert len(wide) == 7
    host = wide.columns[0].split("/")[0]
    assert f"{host}/cpu.percent" in wide.columns
    assert wide[f"{host}/cpu.percent"].notna().sum() >= 5


def test_collect_parquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    result = headroom("collect", "--seconds", "1", "--interval", "0.5", "--out", path)
    assert result.returncode == 0, result.stderr
    raw = pd.read_parquet(path)
    assert tuple(raw.columns) == SAMPLE_COLUMNS
    assert str(raw["timestamp"].dtype).startswith("datetime64") and "UTC" in str(
        raw["timestamp"].dtype
    )
    assert {split_name(m)[0] for m in raw["metric"]} >= {"cpu.percent", "net.rx.bytes"}
    wide = read_metric_file(path)
    assert len(wide) == 3 and wide.index.tz is not None


def test_collect_bad_extension_exits_2_with_one_line_and_no_file(tmp_path: Path) -> None:
    result = headroom("collect", "--seconds", "2", "--out", tmp_path / "x.txt")
    assert_one_line_error(result, "headroom collect: error:", "cannot write extension '.txt'")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--seconds", "2", "--out", "{tmp}/x.json"], ["cannot write extension '.json'"]),
        (["--seconds", "0", "--out", "{tmp}/x.csv"], ["--seconds must be a positive number"]),
        (["--seconds", "-3", "--out", "{tmp}/x.csv"], ["--seconds must be a positive number"]),
        (["--seconds", "nan", "--out", "{tmp}/x.csv"], ["--seconds must be a positive number"]),
        (["--seconds", "2", "--interval", "0", "--out", "{tmp}/x.csv"], ["--interval"]),
        (["--seconds", "1", "--interval", "5", "--out", "{tmp}/x.csv"], ["longer than"]),
        (["--seconds", "2", "--out", "{tmp}/no/such/x.csv"], ["does not exist"]),
        (["--seconds", "2", "--out", "{tmp}"], ["cannot write"]),
    ],
)
def test_collect_bad_usage_exits_2_with_one_line_and_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], fragments: list[str]
) -> None:
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    result = in_process(capsys, "collect", *argv)
    assert_one_line_error(result, "headroom collect: error:", *fragments)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_collect_unwritable_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = in_process(capsys, "collect", "--seconds", "1", "--out", locked / "x.csv")
    assert_one_line_error(result, "not writable")


def read_terminal_until(leader: int, wanted: bytes, timeout: float) -> bytes:
    """What a process wrote to the terminal, up to ``wanted`` or its end (EOF/EIO)."""
    import select
    import time

    deadline = time.monotonic() + timeout
    seen = b""
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the other end is closed and drained
            break
        if not chunk:
            break
        seen += chunk
    return seen


def _default_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_on_terminal(*args: str | Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start headroom with stderr on a pseudo-terminal; returns the process and pty leader."""
    import pty

    leader, follower = pty.openpty()
    executable = HEADROOM if HEADROOM.exists() else Path(sys.executable).parent / "headroom"
    process = subprocess.Popen(
        [str(executable), *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        # As from an interactive shell: a suite started in the background (``cmd &``) has
        # SIGINT ignored, the child would inherit that, and Ctrl-C could not reach it.
        preexec_fn=_default_sigint,
    )
    os.close(follower)  # the child holds its own copy
    return process, leader


def test_collect_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    process, leader = start_on_terminal(
        "collect", "--seconds", "1", "--interval", "0.5", "--out", out
    )
    try:
        text = read_terminal_until(leader, b"1/1 s", timeout=30).decode()
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        os.close(leader)
    assert "collecting [" in text and "100%" in text and "1/1 s" in text
    assert out.exists()


def test_collect_interrupted_writes_nothing(tmp_path: Path) -> None:
    import signal

    out = tmp_path / "x.csv"
    process, leader = start_on_terminal(
        "collect", "--seconds", "30", "--interval", "0.2", "--out", out
    )
    try:
        # The progress bar proves collection is under way before Ctrl-C is sent.
        assert b"collecting [" in read_terminal_until(leader, b"collecting [", timeout=30)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 130
        text = read_terminal_until(leader, b"nothing written", timeout=5).decode()
    finally:
        process.kill()
        os.close(leader)
    assert f"interrupted; nothing written to {out}" in text
    assert list(tmp_path.iterdir()) == []


# -- export -------------------------------------------------------------------------------


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    from connectors.store import MetricStore

    path = tmp_path / "metrics.sqlite"
    samples = [
        Sample(T0 + i * 60.0, "local", host, metric, float(i))
        for i in range(10)
        for host in ("web-1", "web-2")
        for metric in ("cpu.percent", "net.rx.bytes", "net.rx.bytes:eth0", "net.rx.bytes:lo")
    ]
    with MetricStore(path) as store:
        store.write(samples)
    return path


def test_export_exact_metric_with_host_and_inclusive_time_window(
    tmp_path: Path, store_path: Path
) -> None:
    out = tmp_path / "cpu.csv"
    result = headroom(
        "export",
        "--metric",
        "cpu.percent",
        "--host",
        "web-1",
        "--since",
        "2026-11-22T09:32:00Z",
        "--until",
        "2026-11-22 09:35:00",  # no zone: UTC
        "--store",
        store_path,
        "--out",
        out,
    )
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out)
    assert tuple(frame.columns) == SAMPLE_COLUMNS
    assert set(frame["host"]) == {"web-1"} and set(frame["metric"]) == {"cpu.percent"}
    assert frame["value"].tolist() == [2.0, 3.0, 4.0, 5.0]  # both ends included
    assert frame["timestamp"].iloc[0] == "2026-11-22T09:32:00.000Z"


def test_export_family_matches_all_instances(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "net.parquet"
    result = in_process(
        capsys, "export", "--metric", "net.rx.bytes", "--store", store_path, "--out", out
    )
    assert result.returncode == 0, result.stderr
    frame = pd.read_parquet(out)
    assert set(frame["metric"]) == {"net.rx.bytes", "net.rx.bytes:eth0", "net.rx.bytes:lo"}
    assert len(frame) == 10 * 2 * 3
    assert frame["timestamp"].is_monotonic_increasing
    wide = read_metric_file(out)
    assert "web-2/net.rx.bytes:lo" in wide.columns and len(wide) == 10


def test_export_instance_name_is_exact(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eth0.csv"
    result = in_process(
        capsys, "export", "--metric", "net.rx.bytes:eth0", "--store", store_path, "--out", out
    )
    assert result.returncode == 0, result.stderr
    assert set(pd.read_csv(out)["metric"]) == {"net.rx.bytes:eth0"}


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--metric", "disk.used.percent"], ["no metric 'disk.used.percent'"]),
        (["--metric", "cpu.percent", "--host", "db-9"], ["for host 'db-9'"]),
        (["--metric", "cpu.percent", "--since", "2030-01-01"], ["no samples of metric"]),
        (["--metric", "cpu.percent", "--since", "last tuesday"], ["not an ISO-8601 time"]),
        (
            ["--metric", "cpu.percent", "--since", "2026-11-23", "--until", "2026-11-22"],
            ["is after --until"],
        ),
    ],
)
def test_export_without_matching_data_exits_2_and_writes_nothing(
    tmp_path: Path,
    store_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    fragments: list[str],
) -> None:
    out = tmp_path / "out" / "x.csv"
    out.parent.mkdir()
    result = in_process(capsys, "export", *args, "--store", store_path, "--out", out)
    assert_one_line_error(result, "headroom export: error:", *fragments)
    assert list(out.parent.iterdir()) == []


def test_export_bad_store_and_bad_output(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def export(store: Path, out: Path) -> subprocess.CompletedProcess[str]:
        return in_process(
            capsys, "export", "--metric", "cpu.percent", "--store", store, "--out", out
        )

    assert_one_line_error(
        export(tmp_path / "nope.sqlite", tmp_path / "x.csv"), "no metric store at"
    )
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_text("this is not sqlite")
    assert_one_line_error(export(garbage, tmp_path / "x.csv"), str(garbage))
    wrong_extension = export(store_path, tmp_path / "x.xls")
    assert_one_line_error(wrong_extension, "cannot write extension '.xls'")
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.xls").exists()


def test_export_default_store_is_in_the_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # conftest points HEADROOM_DATA_DIR at a temporary folder.
    result = in_process(capsys, "export", "--metric", "cpu.percent", "--out", tmp_path / "x.csv")
    assert_one_line_error(result, "no metric store at", os.environ["HEADROOM_DATA_DIR"])


# -- the progress bar itself ---------------------------------------------------------------


def test_progress_bar_renders_and_finishes_its_line() -> None:
    stream = io.StringIO()
    with ProgressBar(10, label="collecting", unit="s", stream=stream, enabled=True) as bar:
        bar.update(2.5)
        assert bar.render() == "collecting [########......................]  25%  2.5/10 s"
        bar.update(99)  # clamped
    text = stream.getvalue()
    assert text.startswith("\rcollecting [")
    assert "100%  10/10 s" in text and text.endswith("\n")


def test_progress_bar_is_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()  # isatty() is False
    with ProgressBar(10, stream=stream) as bar:
        bar.update(5)
    assert not bar.enabled and stream.getvalue() == ""
