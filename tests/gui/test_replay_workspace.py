"""The What-if workspace on files the tests write: replay, cancel, bad file, demo, exports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from console.analysis.controller import IDLE, RUNNING
from console.replay.chart import BOUND_KEY, DEMAND_KEY, FORECAST_KEY
from console.replay.jobs import POLICY_LABELS
from console.replay.workspace import DEMO_SOURCE, ReplayWorkspace
from console.theme import DARK, LIGHT
from console.views.units import format_value
from models.simulation import ReplaySettings, replay
from tests.gui.file_workspace_support import drop_file, workspace_on_own_pool

STEP = pd.Timedelta(minutes=30)
SCREENSHOT = (
    Path(__file__).resolve().parents[2] / "test-artifacts" / "whatif.png"
)  # curated copies live in resources/screenshots


def write_demand(path: Path, rows: int = 480, seed: int = 5) -> pd.Series:
    """Ten days of a daily cycle at 30-minute steps (requests/s), with noise."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-03-02", periods=rows, freq=STEP, tz="UTC")
    phase = np.arange(rows) * 2 * np.pi / 48
    values = np.clip(600 + 400 * np.sin(phase) + rng.normal(0, 40, rows), 0, None)
    frame = pd.DataFrame(
        {"timestamp": index.strftime("%Y-%m-%dT%H:%M:%SZ"), "rps": values, "other": 1.0}
    )
    frame.to_csv(path, index=False)
    return pd.Series(values, index=index)


@pytest.fixture
def workspace(qtbot):
    with workspace_on_own_pool(qtbot, ReplayWorkspace) as view:
        yield view


def wait_idle(qtbot, view: ReplayWorkspace, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: view.state == IDLE, timeout=timeout)


def load(qtbot, view: ReplayWorkspace, path: Path, column: str = "rps") -> None:
    view.open_file(path)
    wait_idle(qtbot, view)
    assert view.loaded is not None, view.message_label.text()
    view.column_combo.setCurrentText(column)


def test_replay_table_and_chart_match_the_engine(qtbot, workspace, tmp_path) -> None:
    demand = write_demand(tmp_path / "web.csv")
    load(qtbot, workspace, tmp_path / "web.csv")
    assert workspace.column_combo.count() == 2  # both value columns offered
    workspace.capacity_spin.setValue(100.0)
    workspace.price_spin.setValue(0.25)
    workspace.warmup_spin.setValue(30.0)
    workspace.set_policies(("reactive", "static"))

    workspace.run_replay()
    assert workspace.state == RUNNING
    wait_idle(qtbot, workspace)
    assert workspace.outcome is not None, workspace.message_label.text()

    settings = ReplaySettings(
        unit_capacity=100.0, price_per_unit_hour=0.25, warmup=pd.Timedelta(minutes=30)
    )
    expected = replay(demand, settings, ("reactive", "static"))
    table = workspace.table
    assert table.rowCount() == 2
    for row, name in enumerate(("reactive", "static")):
        result = expected.policies[name]
        assert table.cell_text(row, 0) == POLICY_LABELS[name]
        assert table.cell_text(row, 1) == f"{result.cost:,.2f}"
        assert table.cell_text(row, 2) == f"{result.unit_hours:,.1f}"
        assert table.cell_text(row, 3) == f"{result.percent_under_capacity:.2f} %"
        assert table.cell_text(row, 4) == format_value(result.unserved_demand, "")
        assert table.cell_text(row, 5) == f"{result.scaling_actions:,}"
        assert table.cell_text(row, 6) == f"{result.peak_units:,}"
    # The reactive policy trails a rising demand by the warm-up: it must run short somewhere.
    assert expected.policies["reactive"].intervals_under_capacity > 0
    reactive_cost, static_cost = (expected.policies[n].cost for n in ("reactive", "static"))
    assert table.cell_text(0, 7) == f"{100 * (reactive_cost / static_cost - 1):+.1f} %"
    assert table.cell_text(1, 7) == "+0.0 %"

    chart = workspace.chart
    assert sorted(chart.visible_series()) == sorted([DEMAND_KEY, "reactive", "static"])
    step_s = STEP.total_seconds()
    for name in ("reactive", "static"):
        xs, ys = chart.curve_data(name)
        result = expected.policies[name]
        # A step line: two corners per interval, the serving capacity in demand units.
        assert len(xs) == 2 * len(result.serving)
        np.testing.assert_allclose(ys[::2], result.serving * 100.0)
        np.testing.assert_allclose(xs[1::2] - xs[::2], step_s)
    assert chart.shortfall.shaded("reactive") and not chart.shortfall.shaded("predictive")


def test_predictive_policy_runs_and_level_reaches_the_engine(qtbot, workspace, tmp_path) -> None:
    demand = write_demand(tmp_path / "web.csv", rows=400)
    load(qtbot, workspace, tmp_path / "web.csv")
    workspace.capacity_spin.setValue(100.0)
    workspace.level_combo.setCurrentIndex(workspace.level_combo.findData(80))
    workspace.headroom_spin.setValue(0.0)
    assert workspace.hourly_check.isChecked()  # the engine's default
    workspace.hourly_check.setChecked(False)
    assert workspace.adaptive_check.isChecked()
    workspace.adaptive_check.setChecked(False)
    workspace.set_policies(("predictive",))
    workspace.run_replay()
    wait_idle(qtbot, workspace, timeout=60_000)
    assert workspace.outcome is not None, workspace.message_label.text()

    report = workspace.outcome.report
    assert report.settings.level == 80 and report.settings.headroom == 0.0
    assert report.settings.hourly_calibration is False
    assert report.settings.adaptive_margin is False
    expected = replay(demand, report.settings, ("predictive",))
    assert workspace.table.rowCount() == 1
    assert workspace.table.cell_text(0, 1) == f"{expected.policies['predictive'].cost:,.2f}"
    assert workspace.table.cell_text(0, 7) == "–"  # no static run to compare with
    chart = workspace.chart
    assert chart.visible_series() == [DEMAND_KEY, "predictive", FORECAST_KEY, BOUND_KEY]
    legend = [label.text for _, label in chart.legend.items]
    assert "Forecast" in legend and "Planned-on bound" in legend

    # Each decision's forecast is drawn on the interval it was for (lead = warm-up).
    forecast = workspace.outcome.report.policies["predictive"].forecast
    assert forecast is not None and forecast.decisions > 0
    starts = report.timestamps().asi8 / 1e9
    for key, values in ((FORECAST_KEY, forecast.mean), (BOUND_KEY, forecast.bound)):
        xs, ys = chart.curve_data(key)
        kept = len(values) - forecast.lead
        assert len(xs) == 2 * kept
        np.testing.assert_allclose(xs[::2], starts[forecast.lead :])
        np.testing.assert_allclose(ys[::2], values[:kept])
    np.testing.assert_array_equal(forecast.mean, expected.policies["predictive"].forecast.mean)
    # Dotted mean, dashed bound, one colour of their own: not a demand or capacity line.
    mean_pen, bound_pen = (chart._curve(k).opts["pen"] for k in (FORECAST_KEY, BOUND_KEY))
    assert mean_pen.style() == Qt.PenStyle.DotLine and bound_pen.style() == Qt.PenStyle.DashLine
    assert mean_pen.color() == bound_pen.color()
    others = {chart._curve(k).opts["pen"].color().name() for k in (DEMAND_KEY, *POLICY_LABELS)}
    assert mean_pen.color().name() not in others

    # The CSV export puts each forecast on the row of the interval it was for.
    from console.replay.jobs import results_table

    table = results_table(workspace.outcome)
    column = table["predictive_forecast_mean"].to_numpy()
    assert np.isnan(column[: forecast.lead]).all()
    np.testing.assert_allclose(column[forecast.lead :], forecast.mean[:kept])


def test_cancel_returns_to_idle_and_no_result_lands(qtbot, workspace, tmp_path) -> None:
    # Long enough that the replay is still running when Cancel is pressed.
    write_demand(tmp_path / "long.csv", rows=20_000)
    load(qtbot, workspace, tmp_path / "long.csv")
    workspace.run_replay()
    assert workspace.cancel_button.isVisibleTo(workspace)
    qtbot.mouseClick(workspace.cancel_button, Qt.MouseButton.LeftButton)

    assert workspace.state == IDLE
    assert not workspace.cancel_button.isVisibleTo(workspace)
    assert "cancelled" in workspace.message_label.text()
    qtbot.waitUntil(lambda: not workspace.controller.busy, timeout=20_000)
    qtbot.wait(50)  # any late result of the cancelled run would be delivered by now
    assert workspace.outcome is None
    assert workspace.table.rowCount() == 0
    assert workspace.chart.visible_series() == [DEMAND_KEY]


def test_a_new_run_supersedes_the_running_one(qtbot, workspace, tmp_path) -> None:
    write_demand(tmp_path / "long.csv", rows=20_000)
    load(qtbot, workspace, tmp_path / "long.csv")
    workspace.run_replay()
    workspace.set_policies(("static",))
    workspace.run_replay()
    wait_idle(qtbot, workspace)
    assert workspace.outcome is not None
    assert list(workspace.outcome.report.policies) == ["static"]
    assert workspace.table.rowCount() == 1


def test_bad_file_shows_the_error_naming_the_line(qtbot, workspace, tmp_path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(
        "timestamp,rps\n2026-01-01T00:00:00Z,1\n2026-01-01T00:30:00Z,2\nnot-a-time,3\n",
        encoding="utf-8",
    )
    workspace.open_file(path)
    wait_idle(qtbot, workspace)
    text = workspace.message_label.text()
    assert workspace.message_kind == "error"
    assert "broken.csv" in text and "line 4" in text, text
    assert workspace.loaded is None and not workspace.run_button.isEnabled()


def test_bad_parameter_names_the_field(qtbot, workspace, tmp_path) -> None:
    write_demand(tmp_path / "web.csv")
    load(qtbot, workspace, tmp_path / "web.csv")
    workspace.set_policies(())
    workspace.run_replay()
    assert workspace.state == IDLE
    assert workspace.message_kind == "error"
    assert workspace.message_label.text().startswith("Policies:")


def test_dropped_file_is_opened(qtbot, workspace, tmp_path) -> None:
    write_demand(tmp_path / "dropped.csv")
    drop_file(workspace, tmp_path / "dropped.csv")
    wait_idle(qtbot, workspace)
    assert workspace.loaded is not None and workspace.loaded.path.name == "dropped.csv"


def test_exports_write_results_and_chart(qtbot, workspace, tmp_path) -> None:
    demand = write_demand(tmp_path / "web.csv", rows=200)
    load(qtbot, workspace, tmp_path / "web.csv")
    workspace.set_policies(("reactive", "static"))
    workspace.run_replay()
    wait_idle(qtbot, workspace)
    outcome = workspace.outcome
    assert outcome is not None

    workspace.export_results(tmp_path / "out.json")
    qtbot.waitUntil(lambda: (tmp_path / "out.json").exists(), timeout=10_000)
    document = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert document["schema"] == "headroom.simulation/1"
    assert document["input"] == {"path": "web.csv", "column": "rps"}
    reactive = outcome.report.policies["reactive"]
    assert document["policies"]["reactive"]["cost"] == pytest.approx(reactive.cost)
    assert document["policies"]["reactive"]["series"]["serving_units"] == list(reactive.serving)

    workspace.export_results(tmp_path / "out.csv")
    qtbot.waitUntil(lambda: (tmp_path / "out.csv").exists(), timeout=10_000)
    table = pd.read_csv(tmp_path / "out.csv")
    replayed = len(demand) - outcome.report.history_intervals
    assert len(table) == replayed
    assert list(table["static_serving_units"]) == list(outcome.report.policies["static"].serving)
    assert not any("forecast" in column for column in table.columns)  # no predictive run

    png = workspace.export_chart(tmp_path / "chart.png")
    svg = workspace.export_chart(tmp_path / "chart.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in svg.read_bytes()[:2000]
    qtbot.waitUntil(lambda: not workspace.exports.busy, timeout=10_000)


def test_demo_trace_button_replays_the_bundled_trace(qtbot, workspace, artifacts_dir) -> None:
    qtbot.mouseClick(workspace.demo_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, workspace)
    assert workspace.loaded is not None
    assert workspace.column_combo.currentText() == "requests_per_s"
    assert DEMO_SOURCE in workspace.message_label.text()
    workspace.price_spin.setValue(0.10)
    workspace.run_replay()
    wait_idle(qtbot, workspace, timeout=60_000)
    assert workspace.outcome is not None, workspace.message_label.text()
    assert workspace.table.rowCount() == 3
    assert workspace.outcome.source == DEMO_SOURCE
    # Three weeks open on the last four days; "Whole replay" shows every interval.
    (left, right), _ = workspace.chart.plot.viewRange()
    assert right - left == pytest.approx(4 * 86400, rel=0.01)
    workspace.whole_button.setChecked(True)
    (left, right), _ = workspace.chart.plot.viewRange()
    replayed = len(workspace.outcome.report.timestamps()) * 1800
    assert right - left == pytest.approx(replayed, rel=0.01)
    workspace.whole_button.setChecked(False)
    qtbot.wait(100)  # let the layout settle before grabbing
    image = workspace.grab()
    assert image.save(str(artifacts_dir / "whatif-dark.png"))
    workspace.apply_theme(LIGHT)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert workspace.grab().save(str(SCREENSHOT))


def test_changing_column_cancels_the_running_replay(qtbot, workspace, tmp_path) -> None:
    write_demand(tmp_path / "long.csv", rows=20_000)
    load(qtbot, workspace, tmp_path / "long.csv")
    workspace.run_replay()
    workspace.column_combo.setCurrentText("other")
    assert workspace.state == IDLE
    qtbot.waitUntil(lambda: not workspace.controller.busy, timeout=20_000)
    qtbot.wait(50)
    assert workspace.outcome is None and workspace.table.rowCount() == 0


def test_install_replay_adds_the_tab_and_follows_the_theme(qtbot, make_window) -> None:
    from console.replay import TAB_TITLE, install_replay

    window = make_window(start_collection=False, use_store=False)
    window.set_theme("light")
    before = window.tabs.count()
    install_replay(window)
    assert window.tabs.count() == before + 1
    assert window.tabs.tabText(before) == TAB_TITLE
    view = window.workspace_at(before)
    assert isinstance(view, ReplayWorkspace)
    assert view._theme is LIGHT
    window.set_theme("dark")
    qtbot.waitUntil(lambda: view._theme is DARK, timeout=2_000)
