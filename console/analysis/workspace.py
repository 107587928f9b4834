"""The Analysis workspace: an exported metric file, forecast, backtest and detection.

Open a CSV, Parquet or JSON file (button or drag and drop), pick a series, adjust the
parameters, then run a forecast, a backtest or anomaly detection. Every run goes to a
worker through :class:`~console.analysis.controller.AnalysisController` with a progress
bar and Cancel; starting another run cancels the current one. Problems (a bad file, a
bad parameter, a failed fit) appear in one inline message line, never as a traceback.
The frame (file bar, drag and drop, message line, chart over tables) is
:class:`~console.file_workspace.FileWorkspace`'s.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import pandas as pd
from PySide6.QtCore import QDateTime, Qt, QThreadPool, QTimeZone
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QTabWidget,
    QWidget,
)

from console.analysis import jobs
from console.analysis.results import ExhaustionTable, ScoreboardTable, SeasonalityTable
from console.file_workspace import FileWorkspace, form_box
from console.theme import Theme
from console.views.anomaly_panel import (
    AnomalyRecord,
    AnomalyTable,
    AnomalyTableModel,
    mark_incidents,
)
from console.views.chart import MetricChart
from console.views.forecast_overlay import AnomalyOverlay, ForecastBandOverlay
from models.anomaly import epoch_seconds
from models.forecast.registry import ALL_MODELS, LABELS

HISTORY_KEY = "history"
FORM_WIDTH = 300
EMPTY_TEXT = "Open a metric file (CSV, Parquet or JSON), or drop one here, to chart its series."


class AnalysisWorkspace(FileWorkspace):
    column_noun = ("series", "series")
    export_name = "chart"
    default_stem = "analysis"

    def __init__(self, pool: QThreadPool | None = None, parent: QWidget | None = None) -> None:
        super().__init__(pool, parent)
        self.forecast: jobs.ForecastOutcome | None = None
        self.backtest: jobs.BacktestOutcome | None = None
        self.detection: jobs.DetectionOutcome | None = None
        self._forecast_in_legend = False
        self.file_label.setObjectName("analysisFile")
        self.message_label.setObjectName("analysisMessage")

        bar = self.file_bar(
            [
                ("Forecast as CSV…", self._export_forecast),
                ("Scoreboard as CSV…", self._export_scoreboard),
                ("Anomalies as CSV…", self._export_anomalies),
                None,
                *self.chart_export_entries(),
            ]
        )
        self.assemble(
            bar,
            self._build_form(),
            self._build_results(),
            "Open an exported metric file, or drop one here.",
        )

    # -- construction ------------------------------------------------------------------

    def _build_form(self) -> QWidget:
        self.series_combo = QComboBox()
        self.series_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.series_combo.currentTextChanged.connect(self.on_column_changed)
        self.picker = self.series_combo
        self.series_info = QLabel("")
        self.series_info.setObjectName("seriesInfo")
        self.series_info.setWordWrap(True)

        self.horizon_spin = QSpinBox()
        self.horizon_spin.setRange(1, 10_000)
        self.horizon_spin.setValue(jobs.AnalysisParams().horizon)
        self.horizon_spin.setSuffix(" steps")
        self.horizon_spin.valueChanged.connect(self._update_horizon_hint)
        self.horizon_hint = QLabel("")
        self.levels_edit = QLineEdit(jobs.levels_text(jobs.AnalysisParams().levels))
        self.levels_edit.setToolTip("Prediction interval levels in %, e.g. 80, 95")
        self.model_combo = QComboBox()
        self.model_combo.addItem("Auto (best by backtest)", "auto")
        for name in ALL_MODELS:
            slow = " (slow)" if name == "gbm" else ""
            self.model_combo.addItem(LABELS[name] + slow, name)
        self.capacity_spin = QDoubleSpinBox()
        self.capacity_spin.setRange(0, 1e15)
        self.capacity_spin.setDecimals(2)
        self.capacity_spin.setSpecialValueText("auto")
        self.capacity_spin.setToolTip("The level that means full; auto = 100 for a percentage")

        self.start_edit = QDateTimeEdit()
        self.start_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.start_edit.setTimeZone(QTimeZone.utc())
        self.start_edit.setCalendarPopup(True)
        self.start_edit.setToolTip("First backtest origin (UTC); earlier data is history only")
        self.refit_spin = QSpinBox()
        self.refit_spin.setRange(1, 100_000)
        self.refit_spin.setValue(jobs.AnalysisParams().refit_every)
        self.refit_spin.setSuffix(" origins")

        self.sensitivity_slider = QSlider(Qt.Orientation.Horizontal)
        low, high = jobs.SENSITIVITY_RANGE
        self.sensitivity_slider.setRange(low, high)
        self.sensitivity_slider.setValue(jobs.AnalysisParams().sensitivity)
        self.sensitivity_slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.sensitivity_value = QLabel()
        self.sensitivity_slider.valueChanged.connect(
            lambda v: self.sensitivity_value.setText(f"{v} / {high}")
        )
        self.sensitivity_value.setText(f"{self.sensitivity_slider.value()} / {high}")
        self.sensitivity_value.setMinimumWidth(40)

        self.forecast_button = QPushButton("Forecast")
        self.forecast_button.clicked.connect(self.run_forecast)
        self.forecast_button.setDefault(True)
        self.backtest_button = QPushButton("Backtest")
        self.backtest_button.clicked.connect(self.run_backtest)
        self.detect_button = QPushButton("Detect")
        self.detect_button.clicked.connect(self.run_detection)

        series_box = form_box("Series", [("Series", self.series_combo), ("", self.series_info)])
        horizon_row = QHBoxLayout()
        horizon_row.addWidget(self.horizon_spin, 1)
        horizon_row.addWidget(self.horizon_hint)
        forecast_box = form_box(
            "Forecast",
            [
                ("Horizon", horizon_row),
                ("Levels (%)", self.levels_edit),
                ("Model", self.model_combo),
                ("Capacity", self.capacity_spin),
            ],
        )
        backtest_box = form_box(
            "Backtest", [("Start", self.start_edit), ("Refit every", self.refit_spin)]
        )
        sensitivity_row = QHBoxLayout()
        sensitivity_row.addWidget(self.sensitivity_slider, 1)
        sensitivity_row.addWidget(self.sensitivity_value)
        detect_box = form_box("Detection", [("Sensitivity", sensitivity_row)])

        buttons = QHBoxLayout()
        for button in self.run_buttons():
            buttons.addWidget(button)
        return self.form_panel(
            FORM_WIDTH, (series_box, forecast_box, backtest_box, detect_box, buttons)
        )

    def _build_results(self) -> QWidget:
        self.chart = MetricChart("No series", "")
        self.chart.set_placeholder(EMPTY_TEXT)
        # File series can be negative: drop the live chart's "never below zero" limit.
        self.chart.plot.getViewBox().setLimits(yMin=None, minYRange=None)
        self.chart.plot.enableAutoRange()
        self.chart.plot.getViewBox().setAutoVisible(y=True)  # y fits what is in view
        self.band = ForecastBandOverlay(jobs.AnalysisParams().levels)
        self.anomaly_overlay = AnomalyOverlay()
        self.chart.add_overlay(self.anomaly_overlay)
        self.chart.add_overlay(self.band)

        self.summary_label = QLabel("")
        self.summary_label.setWordWrap(True)
        self.summary_label.setObjectName("analysisSummary")
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.scoreboard = ScoreboardTable()
        self.seasonality = SeasonalityTable()
        self.exhaustion = ExhaustionTable()
        self.anomaly_model = AnomalyTableModel(self, show_host=False)
        self.anomaly_table = AnomalyTable(self.anomaly_model)
        self.anomaly_table.clicked.connect(self._on_anomaly_clicked)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.scoreboard, "Model scoreboard")
        self.tabs.addTab(self.seasonality, "Seasonality")
        self.tabs.addTab(self.exhaustion, "Time to exhaustion")
        self.tabs.addTab(self.anomaly_table, "Anomalies")
        self.results_panel = self.chart_over_table(self.chart, self.summary_label, self.tabs, 2)
        return self.results_panel

    # -- public API --------------------------------------------------------------------

    def params(self) -> jobs.AnalysisParams:
        """The form as parameters; InvalidParameter names the bad field."""
        capacity = self.capacity_spin.value()
        start = self.start_edit.dateTime().toSecsSinceEpoch() if self.loaded else None
        return jobs.AnalysisParams(
            horizon=self.horizon_spin.value(),
            levels=jobs.parse_levels(self.levels_edit.text()),
            model=self.model_combo.currentData(),
            backtest_start=float(start) if start is not None else None,
            refit_every=self.refit_spin.value(),
            sensitivity=self.sensitivity_slider.value(),
            capacity=capacity if capacity > 0 else None,
        )

    def set_model(self, name: str) -> None:
        self.model_combo.setCurrentIndex(self.model_combo.findData(name))

    def current_series(self) -> pd.Series | None:
        name = self.series_combo.currentText()
        if self.loaded is None or not name:
            return None
        return jobs.series_of(self.loaded.frame, name)

    def run_forecast(self) -> None:
        self._start("forecast", jobs.run_forecast)

    def run_backtest(self) -> None:
        self._start("backtest", jobs.run_backtest)

    def run_detection(self) -> None:
        # The file's name stands in for the host in the recommended actions.
        self._start("detection", functools.partial(jobs.run_detection, host=self._source()))

    def apply_theme(self, theme: Theme) -> None:
        self.anomaly_model.set_theme_name(theme.name)
        super().apply_theme(theme)

    # -- hooks of FileWorkspace ----------------------------------------------------------

    def run_buttons(self) -> tuple[QPushButton, ...]:
        return (self.forecast_button, self.backtest_button, self.detect_button)

    def muted_labels(self) -> tuple[QLabel, ...]:
        return (self.series_info, self.horizon_hint, self.file_label, self.summary_label)

    def loaded_message(self, loaded: jobs.LoadedFile) -> str:
        return f"Loaded {loaded.path.name}. Pick a series and run."

    def show_outcome(self, kind: str, outcome: object) -> None:
        if isinstance(outcome, jobs.ForecastOutcome):
            self._show_forecast(outcome)
        elif isinstance(outcome, jobs.BacktestOutcome):
            self._show_backtest(outcome)
        elif isinstance(outcome, jobs.DetectionOutcome):
            self._show_detection(outcome)

    # -- runs --------------------------------------------------------------------------

    def _start(self, kind: str, job: object) -> None:
        series = self.current_series()
        if series is None:
            self.show_message("error", "Open a metric file and pick a series first.")
            return
        params = self.read_form(self.params)
        if params is None:
            return
        name = self.series_combo.currentText()
        self.controller.start(
            kind,
            lambda token, progress: job(series, name, params, token, progress),  # type: ignore[operator]
        )
        self.show_message("info", f"Running {kind} on {name}…")

    # -- showing results ---------------------------------------------------------------

    def on_column_changed(self, name: str) -> None:
        series = self.current_series()
        self._clear_results()
        if series is None or not len(series):
            self.chart.set_placeholder(EMPTY_TEXT)
            return
        times = epoch_seconds(series.index)
        self.chart.title_label.setText(name)
        self.chart.set_placeholder(None)
        if HISTORY_KEY not in self.chart.series_keys():
            self.chart.ensure_series(HISTORY_KEY, "History")
        self.chart.set_data(HISTORY_KEY, times, series.to_numpy(dtype=float))
        self.chart.plot.enableAutoRange()
        self.chart.show_latest()
        step = jobs.step_seconds(series)
        self.horizon_spin.setValue(jobs.default_horizon(series))
        self.refit_spin.setValue(max(1, int(round(86400 / step))))
        self.start_edit.setDateTimeRange(
            QDateTime.fromSecsSinceEpoch(int(times[0]), QTimeZone.utc()),
            QDateTime.fromSecsSinceEpoch(int(times[-1]), QTimeZone.utc()),
        )
        self.start_edit.setDateTime(
            QDateTime.fromSecsSinceEpoch(int(jobs.default_backtest_start(series)), QTimeZone.utc())
        )
        first = time.strftime("%Y-%m-%d %H:%M", time.gmtime(times[0]))
        last = time.strftime("%Y-%m-%d %H:%M", time.gmtime(times[-1]))
        self.series_info.setText(
            f"{len(series):,} points, every {_duration(step)}\n{first} → {last} UTC"
        )
        self._update_horizon_hint()

    def _update_horizon_hint(self) -> None:
        series = self.current_series()
        if series is None or not len(series):
            self.horizon_hint.setText("")
            return
        self.horizon_hint.setText(
            f"≈ {_duration(self.horizon_spin.value() * jobs.step_seconds(series))}"
        )

    def _clear_results(self) -> None:
        self.forecast = self.backtest = self.detection = None
        self.band.clear()
        self.anomaly_overlay.clear()
        self.anomaly_model.set_records([])
        for table in (self.scoreboard, self.seasonality, self.exhaustion):
            table.setRowCount(0)
        self.summary_label.setText("")

    def _show_forecast(self, outcome: jobs.ForecastOutcome) -> None:
        self.forecast = outcome
        forecast = outcome.forecast
        times = epoch_seconds(forecast.timestamps)
        self.band.set_forecast(times, forecast.mean, forecast.lower, forecast.upper)
        if not self._forecast_in_legend:
            self.chart.legend.addItem(self.band.mean_curve, "Forecast")
            self._forecast_in_legend = True
        self.zoom_to_forecast()
        self.seasonality.show_forecast(outcome)
        self.exhaustion.show_forecast(outcome)
        if self.backtest is None or self.backtest.series != outcome.series:
            self.scoreboard.show_forecast_scores(outcome)
        levels = ", ".join(f"{level} %" for level in forecast.levels)
        season = (
            "not seasonal"
            if outcome.season <= 1
            else f"season {jobs.describe_period(outcome.season, outcome.step_seconds)}"
        )
        note = ""
        if self.backtest is None or self.backtest.series != outcome.series:
            note = " · scoreboard: fit-time MASE per candidate (Backtest scores every metric)"
        self.summary_label.setText(
            f"Forecast: <b>{forecast.model}</b>, {forecast.horizon} steps, bands {levels}, "
            f"{season} · {outcome.seconds:.1f} s{note}"
        )
        self.tabs.setCurrentWidget(self.scoreboard)
        self.show_message("info", f"Forecast ready ({forecast.model}).")

    def zoom_to_forecast(self) -> None:
        """Show the forecast with enough recent history to judge it (four horizons)."""
        end = self.band.end_time()
        if end is None or self.forecast is None:
            return
        horizon_s = self.forecast.forecast.horizon * self.forecast.step_seconds
        self.chart.plot.enableAutoRange(axis="y")
        self.chart.set_time_range(end - 5 * horizon_s, end + 0.05 * horizon_s)

    def _show_backtest(self, outcome: jobs.BacktestOutcome) -> None:
        self.backtest = outcome
        self.scoreboard.show_backtest(outcome)
        best = outcome.scoreboard.index[0]
        mase = outcome.scoreboard["mase"].iloc[0]
        start = outcome.start.strftime("%Y-%m-%d %H:%M UTC")
        self.summary_label.setText(
            f"Backtest from {start}: best <b>{best}</b> (MASE {jobs.finite_or_dash(mase)}); "
            "MASE below 1 beats the seasonal naive in-sample error."
        )
        self.tabs.setCurrentWidget(self.scoreboard)
        self.show_message("info", "Backtest ready.")

    def _show_detection(self, outcome: jobs.DetectionOutcome) -> None:
        self.detection = outcome
        self.anomaly_overlay.set_incidents(
            mark_incidents(outcome.incidents, outcome.timestamps, outcome.values)
        )
        self.anomaly_model.set_records(
            [AnomalyRecord(self._source(), incident, False) for incident in outcome.incidents]
        )
        self.tabs.setCurrentWidget(self.anomaly_table)
        count = len(outcome.incidents)
        self.show_message(
            "info", "No anomalies found." if not count else f"{count} anomalies found."
        )

    def _source(self) -> str:
        return self.loaded.path.stem if self.loaded is not None else "file"

    def _on_anomaly_clicked(self, index: object) -> None:
        record = self.anomaly_model.record(index.row())  # type: ignore[attr-defined]
        incident = record.incident
        self.anomaly_overlay.set_highlight(incident)
        margin = max(incident.end - incident.start, 1.0) * 4 + 3600
        self.chart.set_time_range(incident.start - margin, incident.end + margin)

    # -- exports -----------------------------------------------------------------------

    def _export_forecast(self) -> None:
        if self.forecast is None:
            self.show_message("error", "Run a forecast first.")
            return
        path = self.ask_save("Export forecast", "forecast.csv", "CSV (*.csv)")
        if path:
            self.export_table(jobs.forecast_table(self.forecast), path)

    def _export_scoreboard(self) -> None:
        if self.backtest is None:
            self.show_message("error", "Run a backtest first.")
            return
        path = self.ask_save("Export scoreboard", "scoreboard.csv", "CSV (*.csv)")
        if path:
            self.export_table(self.backtest.scoreboard.reset_index(), path)

    def _export_anomalies(self) -> None:
        if self.detection is None:
            self.show_message("error", "Run detection first.")
            return
        path = self.ask_save("Export anomalies", "anomalies.csv", "CSV (*.csv)")
        if path:
            self.export_table(jobs.anomalies_table(self.detection), path)

    def export_table(self, frame: pd.DataFrame, path: Path) -> None:
        """Write a CSV in a worker of its own: an export never cancels a running analysis."""
        self.exports.submit(lambda _token: jobs.write_csv(frame, path))


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:g} min"
    if seconds < 172800:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} days"
