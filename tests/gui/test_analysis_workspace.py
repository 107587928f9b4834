"""The Analysis workspace on files the tests write: forecast, backtest, detection, cancel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from console.analysis.controller import IDLE, RUNNING
from console.analysis.workspace import AnalysisWorkspace
from tests.gui.file_workspace_support import drop_file, workspace_on_own_pool

STEP = pd.Timedelta(minutes=5)
SPIKE_ROW = 2400


def write_series(path: Path, rows: int = 2880, spike: bool = False, seed: int = 3) -> pd.Series:
    """A daily cycle at 5-minute steps, with noise (and optionally one spike)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-01-01", periods=rows, freq=STEP, tz="UTC")
    phase = np.arange(rows) * 2 * np.pi / 288
    values = 50 + 20 * np.sin(phase) + rng.normal(0, 1.0, rows)
    if spike:
        values[SPIKE_ROW : SPIKE_ROW + 2] += 120
    frame = pd.DataFrame({"timestamp": index.strftime("%Y-%m-%dT%H:%M:%SZ"), "requests": values})
    frame.to_csv(path, index=False)
    return pd.Series(values, index=index)


@pytest.fixture
def workspace(qtbot):
    with workspace_on_own_pool(qtbot, AnalysisWorkspace) as view:
        yield view


def load(qtbot, view: AnalysisWorkspace, path: Path) -> None:
    view.open_file(path)
    qtbot.waitUntil(lambda: view.state == IDLE, timeout=20_000)


def run(qtbot, view: AnalysisWorkspace, start, attribute: str, timeout: int = 60_000) -> object:
    start()
    assert view.state == RUNNING
    qtbot.waitUntil(lambda: view.state == IDLE, timeout=timeout)
    outcome = getattr(view, attribute)
    assert outcome is not None, view.message_label.text()
    return outcome


def test_forecast_band_appears_on_the_chart(qtbot, workspace, tmp_path, artifacts_dir) -> None:
    history = write_series(tmp_path / "web.csv")
    load(qtbot, workspace, tmp_path / "web.csv")
    assert workspace.series_combo.currentText() == "requests"
    assert workspace.chart.point_count() == len(history)
    workspace.horizon_spin.setValue(96)

    outcome = run(qtbot, workspace, workspace.run_forecast, "forecast")

    band = workspace.band
    assert band.has_forecast and band.point_count() == 96
    assert band.levels() == (80, 95)
    times, low_95, high_95 = band.band(95)
    _, low_80, high_80 = band.band(80)
    assert np.all(low_95 <= low_80) and np.all(high_80 <= high_95)
    x, _, width, height = band.fill_bounds(80)
    assert x == pytest.approx(times[0]) and width > 0 and height > 0
    # The band continues the series: it starts one step after the last point...
    last = history.index[-1].timestamp()
    assert times[0] == pytest.approx(last + STEP.total_seconds())
    # ...and follows the daily cycle it learnt (the true curve lies inside the 95 % band).
    future = np.arange(len(history), len(history) + 96) * 2 * np.pi / 288
    truth = 50 + 20 * np.sin(future)
    assert np.mean((truth >= low_95) & (truth <= high_95)) > 0.9
    # Seasonality: the daily period is found and used.
    table = workspace.seasonality
    rows = {table.cell_text(r, 0): table.cell_text(r, 3) for r in range(table.rowCount())}
    assert rows["1 day"] == "yes"
    assert outcome.season == 288
    # Before any backtest the scoreboard shows the auto candidates' scores.
    models = {workspace.scoreboard.cell_text(r, 0) for r in range(workspace.scoreboard.rowCount())}
    assert {"naive", "profile", "profile_trend"} <= models
    assert "auto:" in workspace.summary_label.text()
    board = workspace.scoreboard
    chosen_column = board.columnCount() - 1
    marked = [
        board.cell_text(r, 0) for r in range(board.rowCount()) if board.cell_text(r, chosen_column)
    ]
    assert marked == [outcome.forecast.model.removeprefix("auto:")]  # the one that forecasts
    workspace.grab().save(str(artifacts_dir / "analysis-forecast.png"))


def test_backtest_fills_the_scoreboard(qtbot, workspace, tmp_path) -> None:
    write_series(tmp_path / "web.csv")
    load(qtbot, workspace, tmp_path / "web.csv")
    workspace.set_model("naive")
    workspace.horizon_spin.setValue(12)
    workspace.refit_spin.setValue(288)

    outcome = run(qtbot, workspace, workspace.run_backtest, "backtest")

    board = workspace.scoreboard
    assert board.rowCount() == 1  # naive is its own baseline
    assert board.cell_text(0, 0) == "naive"
    # Seasonal naive on a clean daily cycle: MASE around 1 and an honest 80 % interval.
    mase = float(board.cell_text(0, 1))
    assert 0.5 < mase < 2.0
    assert outcome.scoreboard.loc["naive", "origins"] == int(2880 * 0.2)
    assert 0.6 < outcome.scoreboard.loc["naive", "coverage_80"] <= 1.0
    assert "best naive" in workspace.summary_label.text().replace("<b>", "").replace("</b>", "")


def test_detection_lists_the_injected_spike(qtbot, workspace, tmp_path) -> None:
    series = write_series(tmp_path / "spiky.csv", spike=True)
    load(qtbot, workspace, tmp_path / "spiky.csv")

    outcome = run(qtbot, workspace, workspace.run_detection, "detection")

    spike_time = series.index[SPIKE_ROW].timestamp()
    hits = [i for i in outcome.incidents if i.start <= spike_time + 600 and i.end >= spike_time]
    assert hits, outcome.incidents
    assert hits[0].pattern.value == "spike"
    model = workspace.anomaly_model
    assert model.rowCount() == len(outcome.incidents) >= 1
    listed = [model.record(r).incident for r in range(model.rowCount())]
    assert hits[0] in listed
    assert "spiky" in hits[0].action  # the file stands in for the host
    assert workspace.tabs.currentWidget() is workspace.anomaly_table
    # Clicking the row highlights the incident on the chart and zooms to it.
    row = listed.index(hits[0])
    workspace.anomaly_table.clicked.emit(model.index(row, 0))
    assert workspace.anomaly_overlay.highlighted == hits[0]
    low, high = workspace.chart.plot.getViewBox().viewRange()[0]
    assert low < spike_time < high and high - low < 86400


def test_cancel_stops_a_long_run_and_no_result_lands(qtbot, workspace, tmp_path) -> None:
    write_series(tmp_path / "long.csv", rows=20_000)
    load(qtbot, workspace, tmp_path / "long.csv")
    workspace.set_model("naive")
    workspace.refit_spin.setValue(1)  # refit at every origin: minutes of work
    workspace.start_edit.setDateTime(workspace.start_edit.minimumDateTime())
    progress: list[int] = []
    workspace.controller.progress.connect(lambda done, total: progress.append(done))

    workspace.run_backtest()
    assert workspace.cancel_button.isEnabled() and not workspace.progress_bar.isHidden()
    qtbot.waitUntil(lambda: len(progress) >= 2 and progress[-1] > 0, timeout=30_000)
    workspace.cancel_button.click()

    assert workspace.state == IDLE
    assert not workspace.cancel_button.isEnabled() and workspace.progress_bar.isHidden()
    assert "cancelled" in workspace.message_label.text()
    # The job stops at its next check; nothing it computed reaches the view.
    qtbot.waitUntil(lambda: not workspace.controller.busy, timeout=30_000)
    qtbot.wait(50)  # let any queued signal of the cancelled run be delivered
    assert workspace.backtest is None
    assert workspace.scoreboard.rowCount() == 0
    assert "cancelled" in workspace.message_label.text()


def test_a_new_run_supersedes_the_running_one(qtbot, workspace, tmp_path) -> None:
    write_series(tmp_path / "long.csv", rows=20_000, spike=True)
    load(qtbot, workspace, tmp_path / "long.csv")
    workspace.set_model("naive")
    workspace.refit_spin.setValue(1)
    workspace.run_backtest()
    run(qtbot, workspace, workspace.run_detection, "detection")
    qtbot.waitUntil(lambda: not workspace.controller.busy, timeout=30_000)
    qtbot.wait(50)
    assert workspace.backtest is None  # superseded: never shown


def test_bad_file_shows_the_line_inline(qtbot, workspace, tmp_path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(
        "timestamp,value\n"
        "2026-01-01T00:00:00Z,1\n"
        "2026-01-01T00:05:00Z,2\n"
        "2026-01-01T00:10:00Z,3\n"
        "2026-01-01T00:15:00Z,lots\n"
    )
    load(qtbot, workspace, path)
    text = workspace.message_label.text()
    assert workspace.message_kind == "error"
    assert "broken.csv" in text and "line 5" in text
    assert "Traceback" not in text
    assert workspace.loaded is None
    assert not workspace.forecast_button.isEnabled()


def test_bad_parameter_names_the_field(qtbot, workspace, tmp_path) -> None:
    write_series(tmp_path / "web.csv", rows=600)
    load(qtbot, workspace, tmp_path / "web.csv")
    workspace.levels_edit.setText("eighty")
    workspace.run_forecast()
    assert workspace.state == IDLE
    assert workspace.message_kind == "error"
    assert workspace.message_label.text().startswith("Levels:")


def test_dropping_a_file_opens_it(qtbot, workspace, tmp_path) -> None:
    write_series(tmp_path / "dropped.csv", rows=600)
    drop_file(workspace, tmp_path / "dropped.csv")
    qtbot.waitUntil(lambda: workspace.loaded is not None, timeout=20_000)
    assert workspace.loaded.path.name == "dropped.csv"


def test_exports_write_csv_png_and_svg(qtbot, workspace, tmp_path) -> None:
    write_series(tmp_path / "web.csv", rows=1200)
    load(qtbot, workspace, tmp_path / "web.csv")
    workspace.horizon_spin.setValue(24)
    run(qtbot, workspace, workspace.run_forecast, "forecast")

    from console.analysis.jobs import forecast_table

    csv_path = tmp_path / "out" / "forecast.csv"
    csv_path.parent.mkdir()
    workspace.export_table(forecast_table(workspace.forecast), csv_path)
    qtbot.waitUntil(lambda: "Saved" in workspace.message_label.text(), timeout=10_000)
    assert workspace.state == IDLE
    written = pd.read_csv(csv_path)
    assert list(written.columns[:3]) == ["series", "timestamp", "model"]
    assert {"lo_80", "hi_80", "lo_95", "hi_95"} <= set(written.columns)
    assert len(written) == 24

    png = workspace.export_chart(tmp_path / "chart.png")
    svg = workspace.export_chart(tmp_path / "chart.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()[:500]
    assert workspace.message_kind == "info"


def test_nab_file_end_to_end(qtbot, workspace, nab_dir, artifacts_dir) -> None:
    load(qtbot, workspace, nab_dir / "data" / "realKnownCause" / "nyc_taxi.csv")
    assert workspace.horizon_spin.value() == 48  # one day at 30 minutes
    run(qtbot, workspace, workspace.run_detection, "detection")
    outcome = run(qtbot, workspace, workspace.run_forecast, "forecast")
    assert outcome.season in (48, 336)  # taxi demand repeats daily and weekly
    workspace.grab().save(str(artifacts_dir / "analysis-nab.png"))


def test_a_named_model_is_used_as_is(qtbot, workspace, tmp_path) -> None:
    write_series(tmp_path / "web.csv", rows=1200)
    load(qtbot, workspace, tmp_path / "web.csv")
    workspace.set_model("ets")
    workspace.horizon_spin.setValue(24)
    outcome = run(qtbot, workspace, workspace.run_forecast, "forecast")
    assert outcome.forecast.model.startswith("ets")
    assert list(outcome.scores) == ["ets"]
    assert workspace.scoreboard.rowCount() == 1
    assert workspace.scoreboard.cell_text(0, 0) == "ets"
    # A percentage-like series (all within 0..100) gets time to exhaustion at 90 and 100.
    assert outcome.capacity == 100.0
    assert [e.threshold for e in outcome.exhaustion] == [90.0, 100.0]
    assert workspace.exhaustion.rowCount() == 2
