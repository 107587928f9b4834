"""``headroom analyze``: the HTML report, its SVG charts, and how bad input is refused."""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from connectors.files import read_metric_file
from console.cli.analyze import MAX_COLUMNS, select_columns
from console.cli.errors import UsageError
from console.cli.main import main
from console.report import Band, ChartSpec, Span, exhaustion_applies, render_chart
from console.report.analysis import horizon_steps
from models.anomaly import detect_series, epoch_seconds
from models.forecast import FAST_CANDIDATES

HEADROOM = Path(sys.executable).parent / "headroom"
NAB_CPU = "data/realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv"
HOSTILE = "<script>alert(1)</script>"
EXTERNAL = re.compile(r"src=\"?https?:|<link|@import|url\(|https?://|<script", re.IGNORECASE)


def sections(html: str) -> list[str]:
    return re.findall(r'<section class="series".*?</section>', html, flags=re.DOTALL)


def incident_rows(section: str) -> list[tuple[float, float, str, str]]:
    rows = re.findall(
        r'<tr class="incident" data-start="(\d+)" data-end="(\d+)">.*?'
        r'<span class="sev sev-(\w+)">.*?</td><td>([^<]*)</td>',
        section,
        flags=re.DOTALL,
    )
    return [(float(a), float(b), severity, unescape(p)) for a, b, severity, p in rows]


def exhaustion_rows(section: str) -> list[tuple[str, float]]:
    rows = re.findall(
        r'<tr class="exhaustion"><td class="num">([\d.]+) %</td>.*?'
        r'<td class="num">([\d.]+) %</td>',
        section,
        flags=re.DOTALL,
    )
    return [(threshold, float(probability)) for threshold, probability in rows]


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two days at 5 minutes: a disk % filling up, a daily CPU % with a burst, and a
    column with a hostile name."""
    folder = tmp_path_factory.mktemp("synthetic")
    rng = np.random.default_rng(7)
    n = 288 * 2
    steps = np.arange(n)
    disk = 70 + 19 * steps / n + rng.normal(0, 0.2, n)
    cpu = 40 + 20 * np.sin(2 * np.pi * steps / 288) + rng.normal(0, 2, n)
    cpu[400:404] += 50
    frame = pd.DataFrame(
        {
            "timestamp": pd.date_range("2026-11-01", periods=n, freq="5min", tz="UTC"),
            "disk_used_percent": disk,
            "cpu_percent": cpu,
            HOSTILE: rng.normal(5, 1, n),
        }
    )
    source = folder / "host metrics.csv"
    frame.to_csv(source, index=False)
    report = folder / "report.html"
    code = main(["analyze", str(source), "--report", str(report), "--horizon", "6h"])
    assert code == 0
    return report.read_text(encoding="utf-8")


def test_nab_report_from_the_real_command(nab_dir: Path, tmp_path: Path) -> None:
    source = nab_dir / NAB_CPU
    report = tmp_path / "out" / "cpu.html"
    report.parent.mkdir()
    done = subprocess.run(
        [str(HEADROOM), "analyze", str(source), "--report", str(report), "--horizon", "6h"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert list(report.parent.iterdir()) == [report]  # one file, no leftovers
    html = report.read_text(encoding="utf-8")
    assert not EXTERNAL.search(html)
    [section] = sections(html)
    assert section.count("<svg") == 1
    assert 'class="band band-80"' in section and 'class="band band-95"' in section
    # Every candidate model is on the scoreboard, and exactly one is marked chosen.
    models = re.findall(r'<tr data-model="(\w+)"', section)
    assert models == list(FAST_CANDIDATES)
    assert section.count('class="chosen"') == 1
    # A CPU series cannot run out: no exhaustion table.
    assert "exhaustion-na" in section and not exhaustion_rows(section)
    # The anomaly table lists exactly what the detector finds on the same data.
    frame = read_metric_file(source)
    values = frame["value"].dropna()
    expected = detect_series(values.to_numpy(), epoch_seconds(values.index)).incidents
    assert expected, "the NAB file has known anomalies; the detector should find some"
    assert incident_rows(section) == [
        (round(i.start), round(i.end), i.severity.value, i.pattern.value) for i in expected
    ]
    assert section.count('class="anomaly"') >= 1  # shaded on the chart


def test_synthetic_report_per_series_content(synthetic_report: str) -> None:
    html = synthetic_report
    assert not EXTERNAL.search(html)
    found = sections(html)
    assert len(found) == 3
    assert all(section.count("<svg") == 1 for section in found)
    disk, cpu, hostile = found
    # Disk % rising towards 90: exhaustion rows for both thresholds, 90 more likely than 100.
    rows = exhaustion_rows(disk)
    assert [threshold for threshold, _ in rows] == ["90", "100"]
    assert rows[0][1] > 20.0 and rows[0][1] > rows[1][1]
    assert not exhaustion_rows(cpu) and "exhaustion-na" in cpu
    assert "daily (288 steps)" in cpu
    burst = pd.Timestamp("2026-11-01", tz="UTC").timestamp() + 400 * 300
    assert any(start <= burst <= end for start, end, *_ in incident_rows(cpu))
    assert "Gaps filled" in disk and "Duplicates merged" in disk


def test_hostile_column_name_is_escaped(synthetic_report: str) -> None:
    assert HOSTILE not in synthetic_report
    assert "<script" not in synthetic_report.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in synthetic_report


def test_bad_value_exits_2_with_one_line_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:05:00Z,lots\n")
    report = tmp_path / "r.html"
    assert main(["analyze", str(source), "--report", str(report)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{source}:3:" in err and "lots" in err
    assert not report.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--column", "nope"], "column 'nope' not found"),
        (["--horizon", "soon"], "--horizon"),
        (["--models", "naive,crystal_ball"], "crystal_ball"),
    ],
)
def test_bad_options_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    source = tmp_path / "ok.csv"
    source.write_text("timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:05:00Z,2\n")
    assert main(["analyze", str(source), "--report", str(tmp_path / "r.html"), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_missing_file_and_wrong_report_suffix_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", str(tmp_path / "none.csv"), "--report", str(tmp_path / "r.html")]) == 2
    assert "none.csv: no such file" in capsys.readouterr().err
    source = tmp_path / "ok.csv"
    source.write_text("timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:05:00Z,2\n")
    assert main(["analyze", str(source), "--report", str(tmp_path / "r.pdf")]) == 2
    assert ".html" in capsys.readouterr().err


def test_tiny_file_still_gives_a_report(tmp_path: Path) -> None:
    """Three rows: too short to forecast well, but the report says so instead of failing."""
    source = tmp_path / "tiny.csv"
    source.write_text(
        "timestamp,mem.used.percent\n2026-01-01T00:00:00Z,50\n"
        "2026-01-01T00:05:00Z,51\n2026-01-01T00:10:00Z,52\n"
    )
    report = tmp_path / "tiny.html"
    assert main(["analyze", str(source), "--report", str(report)]) == 0
    [section] = sections(report.read_text(encoding="utf-8"))
    assert section.count("<svg") == 1
    assert "Memory in use" in section  # catalogue label and unit
    assert "horizon capped" in section


def test_columns_of_a_long_file_by_bare_metric_name(tmp_path: Path) -> None:
    rows = ["timestamp,source,host,metric,value"]
    for i in range(60):
        stamp = f"2026-01-01T{i // 60:02d}:{i % 60:02d}:00Z"
        rows.append(f"{stamp},local,web1,cpu.percent,{20 + i % 7}")
        rows.append(f"{stamp},local,web1,mem.used.percent,{40 + i / 10}")
        rows.append(f"{stamp},local,db1,mem.used.percent,{50 + i / 20}")
    source = tmp_path / "long.csv"
    source.write_text("\n".join(rows) + "\n")
    report = tmp_path / "long.html"
    code = main(
        [
            "analyze",
            str(source),
            "--report",
            str(report),
            "--column",
            "cpu.percent,db1/mem.used.percent",
        ]
    )
    assert code == 0
    found = sections(report.read_text(encoding="utf-8"))
    assert [re.search(r"<h2>(.*?)</h2>", s).group(1) for s in found] == [
        "web1/cpu.percent",
        "db1/mem.used.percent",
    ]
    assert "exhaustion-na" in found[0] and exhaustion_rows(found[1])


def test_column_cap_and_ambiguous_names(tmp_path: Path) -> None:
    many = [f"c{i}" for i in range(MAX_COLUMNS + 5)]
    chosen, notes = select_columns(many, None, tmp_path / "f.csv")
    assert chosen == many[:MAX_COLUMNS] and "5 skipped" in notes[0]
    with pytest.raises(UsageError, match="matches several columns"):
        select_columns(["a/mem", "b/mem"], ["mem"], tmp_path / "f.csv")


# -- the time-to-exhaustion rule -----------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "values", "applies"),
    [
        ("web1/disk.used.percent:/home", [10.0, 20.0], True),  # catalogue, bounded
        ("mem.used.percent", [10.0, 20.0], True),
        ("cpu.percent", [10.0, 20.0], False),  # catalogue, not bounded
        ("web1/cpu.percent", [10.0, 20.0], False),
        ("disk_used_percent", [10.0, 99.0], True),  # named like a %, within 0-100
        ("disk_used_percent", [10.0, 140.0], False),  # leaves 0-100: not a %
        ("cpu_percent", [10.0, 20.0], False),  # a rate of work
        ("value", [10.0, 20.0], False),  # not named like a %
    ],
)
def test_exhaustion_rule(column: str, values: list[float], applies: bool) -> None:
    assert exhaustion_applies(column, np.array(values))[0] is applies


def test_horizon_caps() -> None:
    five = pd.Timedelta(minutes=5)
    assert horizon_steps(pd.Timedelta(days=1), five, 10_000) == (288, None)
    assert horizon_steps(pd.Timedelta(days=5), five, 10_000)[0] == 576  # 48 h
    steps, note = horizon_steps(pd.Timedelta(days=1), five, 100)
    assert steps == 50 and note and "half the history" in note
    assert horizon_steps(12, five, 100) == (12, None)


# -- the SVG renderer on edge cases ---------------------------------------------------------

T0 = 1_700_000_000.0


def assert_clean(svg: str) -> None:
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "nan" not in svg.lower().replace("nanoseconds", "")
    assert "inf" not in svg.lower()


def path_data(svg: str, kind: str) -> str:
    match = re.search(rf'<path class="{kind}" d="([^"]*)"', svg)
    return match.group(1) if match else ""


def y_coordinates(d: str) -> set[str]:
    return {point.split(",")[1] for point in re.findall(r"[\d.]+,[\d.]+", d)}


def test_constant_series_is_a_flat_line_with_room_around_it() -> None:
    times = T0 + 300 * np.arange(50)
    svg = render_chart(ChartSpec(times, np.full(50, 42.0), value_label="x [%]"))
    assert_clean(svg)
    assert len(y_coordinates(path_data(svg, "history"))) == 1
    assert ">42<" in svg or ">42.0<" in svg  # the value appears on the axis


def test_missing_values_break_the_line() -> None:
    times = T0 + 300 * np.arange(30)
    values = np.arange(30, dtype=float)
    values[10:13] = np.nan
    svg = render_chart(ChartSpec(times, values))
    assert_clean(svg)
    assert path_data(svg, "history").count("M") == 2


def test_single_point_and_isolated_points_are_drawn_as_dots() -> None:
    svg = render_chart(ChartSpec([T0], [3.0]))
    assert_clean(svg)
    assert svg.count("<circle") == 1
    isolated = render_chart(ChartSpec(T0 + 60 * np.arange(5), [1.0, np.nan, 2.0, np.nan, 3.0]))
    assert_clean(isolated)
    assert isolated.count("<circle") == 3


def test_no_finite_data_says_so() -> None:
    for times, values in (([], []), ([T0, T0 + 60], [np.nan, np.nan])):
        svg = render_chart(ChartSpec(times, values))
        assert_clean(svg)
        assert "No data to chart" in svg


def test_forecast_bands_spans_and_escaped_labels() -> None:
    times = T0 + 300 * np.arange(100)
    f_times = times[-1] + 300 * np.arange(1, 21)
    mean = np.full(20, 5.0)
    spec = ChartSpec(
        times,
        np.sin(np.arange(100)),
        f_times,
        mean,
        [Band(80, mean - 1, mean + 1), Band(95, mean - 2, mean + np.nan)],
        [Span(times[10], times[12], "high"), Span(T0 - 10_000, T0 - 9_000, "low")],
        value_label='<b>"load"</b>',
    )
    svg = render_chart(spec)
    assert_clean(svg)
    assert svg.count('class="band band-80"') == 1
    assert 'class="band band-95"' not in svg  # no finite upper bound: nothing to draw
    assert svg.count('class="anomaly"') == 1  # the span outside the chart is skipped
    assert "<b>" not in svg and "&lt;b&gt;&quot;load&quot;&lt;/b&gt;" in svg


def test_long_history_is_reduced_but_keeps_its_extremes() -> None:
    n = 200_000
    times = T0 + np.arange(n, dtype=float)
    values = np.zeros(n)
    values[123_456] = 100.0  # one spike among 200,000 points
    svg = render_chart(ChartSpec(times, values), width=960)
    d = path_data(svg, "history")
    assert d.count(",") < 4 * 960
    ys = sorted(float(y) for y in y_coordinates(d))
    assert len(ys) == 2  # the baseline and the spike's top both survive


def test_report_code_never_imports_qt() -> None:
    """The report runs headless (CI, cron, SSH): no Qt, not even lazily."""
    from tests.test_layering import imported_modules

    root = Path(__file__).resolve().parent.parent
    files = [*sorted((root / "console" / "report").glob("*.py")), root / "console/cli/analyze.py"]
    imported = {module.split(".")[0] for path in files for _, module in imported_modules(path)}
    assert not imported & {"PySide6", "shiboken6", "pyqtgraph"}
    assert len(files) > 4
