"""The Analysis workspace: an exported metric file, forecast, backtest and detection.

Open a CSV, Parquet or JSON file (button or drag and drop), pick a series, adjust the
parameters, then run a forecast, a backtest or anomaly detection. Every run goes to a
worker through :class:`~console.analysis.controller.AnalysisController` with a progress
bar and Cancel; starting another run cancels the current one. Problems (a bad file, a
bad parameter, a failed fit) appear in one inline message line, never as a traceback.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import pandas as pd
from PySide6.QtCore import QDateTime, QRectF, QSize, Qt, QThreadPool, QTimeZone, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGraphicsItem,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.analysis import jobs
from console.analysis.controller import IDLE, RUNNING, AnalysisController
from console.analysis.results import ExhaustionTable, ScoreboardTable, SeasonalityTable
from console.theme import Theme
from console.views.anomaly_panel import (
    AnomalyRecord,
    AnomalyTable,
    AnomalyTableModel,
    mark_incidents,
)
from console.views.chart import MetricChart
from console.views.forecast_overlay import AnomalyOverlay, ForecastBandOverlay
from console.workers import LatestOnlyRunner
from models.anomaly import epoch_seconds

FILE_FILTER = "Metric files (*.csv *.parquet *.pq *.json *.jsonl *.ndjson);;All files (*)"
HISTORY_KEY = "history"
FORM_WIDTH = 300


class AnalysisWorkspace(QWidget):
    message_changed = Signal(str, str)  # kind ("info", "error"), text

    def __init__(self, pool: QThreadPool | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.controller = AnalysisController(pool, self)
        self.exports = LatestOnlyRunner(pool or QThreadPool.globalInstance(), "export", self)
        self.exports.result.connect(self._on_exported)
        self.exports.error.connect(self._on_export_failed)
        self.loaded: jobs.LoadedFile | None = None
        self.forecast: jobs.ForecastOutcome | None = None
        self.backtest: jobs.BacktestOutcome | None = None
        self.detection: jobs.DetectionOutcome | None = None
        self._theme: Theme | None = None
        self._forecast_in_legend = False

        self._build_file_bar()
        self._build_form()
        self._build_results()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.form_panel)
        splitter.addWidget(self.results_panel)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(self.file_bar)
        layout.addWidget(splitter, 1)

        self.controller.state_changed.connect(self._on_state)
        self.controller.progress.connect(self._on_progress)
        self.controller.finished.connect(self._on_finished)
        self.controller.failed.connect(self._on_failed)
        self.controller.cancelled.connect(self._on_cancelled)
        self._on_state(IDLE)
        self.show_message("info", "Open an exported metric file, or drop one here.")

    # -- construction ------------------------------------------------------------------

    def _build_file_bar(self) -> None:
        self.open_button = QPushButton("Open file…")
        self.open_button.setToolTip("Open a CSV, Parquet or JSON metric file (or drop it here)")
        self.open_button.clicked.connect(self.ask_open_file)
        self.file_label = QLabel("No file")
        self.file_label.setObjectName("analysisFile")
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        self.export_forecast_action = menu.addAction("Forecast as CSV…", self._export_forecast)
        self.export_scoreboard_action = menu.addAction(
            "Scoreboard as CSV…", self._export_scoreboard
        )
        self.export_anomalies_action = menu.addAction("Anomalies as CSV…", self._export_anomalies)
        menu.addSeparator()
        self.export_png_action = menu.addAction("Chart as PNG…", lambda: self._export_chart("png"))
        self.export_svg_action = menu.addAction("Chart as SVG…", lambda: self._export_chart("svg"))
        self.export_button.setMenu(menu)
        self.file_bar = QHBoxLayout()
        self.file_bar.setSpacing(8)
        self.file_bar.addWidget(self.open_button)
        self.file_bar.addWidget(self.file_label, 1)
        self.file_bar.addWidget(self.export_button)

    def _build_form(self) -> None:
        self.series_combo = QComboBox()
        self.series_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.series_combo.currentTextChanged.connect(self._on_series_changed)
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
        for name, label in (
            ("auto", "Auto (best by backtest)"),
            ("naive", "Seasonal naive"),
            ("ets", "Exponential smoothing"),
            ("arima", "ARIMA"),
            ("gbm", "Gradient boosting (slow)"),
        ):
            self.model_combo.addItem(label, name)
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
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(16)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.controller.cancel)
        self.message_label = QLabel("")
        self.message_label.setObjectName("analysisMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.message_label.setMargin(6)

        series_box = QGroupBox("Series")
        series_form = _form(series_box)
        series_form.addRow("Series", self.series_combo)
        series_form.addRow("", self.series_info)
        forecast_box = QGroupBox("Forecast")
        forecast_form = _form(forecast_box)
        horizon_row = QHBoxLayout()
        horizon_row.addWidget(self.horizon_spin, 1)
        horizon_row.addWidget(self.horizon_hint)
        forecast_form.addRow("Horizon", horizon_row)
        forecast_form.addRow("Levels (%)", self.levels_edit)
        forecast_form.addRow("Model", self.model_combo)
        forecast_form.addRow("Capacity", self.capacity_spin)
        backtest_box = QGroupBox("Backtest")
        backtest_form = _form(backtest_box)
        backtest_form.addRow("Start", self.start_edit)
        backtest_form.addRow("Refit every", self.refit_spin)
        detect_box = QGroupBox("Detection")
        detect_form = _form(detect_box)
        sensitivity_row = QHBoxLayout()
        sensitivity_row.addWidget(self.sensitivity_slider, 1)
        sensitivity_row.addWidget(self.sensitivity_value)
        detect_form.addRow("Sensitivity", sensitivity_row)

        buttons = QHBoxLayout()
        for button in (self.forecast_button, self.backtest_button, self.detect_button):
            buttons.addWidget(button)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.cancel_button)

        self.form_panel = QWidget()
        self.form_panel.setMinimumWidth(FORM_WIDTH)
        self.form_panel.setMaximumWidth(FORM_WIDTH + 120)
        column = QVBoxLayout(self.form_panel)
        column.setContentsMargins(0, 0, 6, 0)
        column.setSpacing(6)
        for box in (series_box, forecast_box, backtest_box, detect_box):
            column.addWidget(box)
        column.addLayout(buttons)
        column.addLayout(progress_row)
        column.addWidget(self.message_label)
        column.addStretch(1)

    def _build_results(self) -> None:
        self.chart = MetricChart("No series", "")
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

        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.setSpacing(2)
        lower_layout.addWidget(self.summary_label)
        lower_layout.addWidget(self.tabs, 1)
        self.results_panel = QSplitter(Qt.Orientation.Vertical)
        self.results_panel.addWidget(self.chart)
        self.results_panel.addWidget(lower)
        self.results_panel.setStretchFactor(0, 3)
        self.results_panel.setStretchFactor(1, 2)

    # -- public API --------------------------------------------------------------------

    def ask_open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open metric file", "", FILE_FILTER)
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path) -> None:
        """Read ``path`` in a worker; the series list fills in when it is loaded."""
        path = Path(path)
        self.controller.start("load", lambda token, _progress: jobs.load_file(path, token))
        self.show_message("info", f"Reading {path.name}…")

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

    def cancel(self) -> None:
        self.controller.cancel()

    @property
    def state(self) -> str:
        return self.controller.state

    def show_message(self, kind: str, text: str) -> None:
        self.message_kind = kind
        self.message_label.setText(text)
        colour = (
            ""
            if self._theme is None
            else (self._theme.error if kind == "error" else self._theme.muted)
        )
        weight = "font-weight: 600;" if kind == "error" else ""
        self.message_label.setStyleSheet(f"color: {colour}; {weight}" if colour else weight)
        self.message_changed.emit(kind, text)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.chart.apply_theme(theme)
        self.anomaly_model.set_theme_name(theme.name)
        for label in (self.series_info, self.horizon_hint, self.file_label, self.summary_label):
            label.setStyleSheet(f"color: {theme.muted};")
        self.show_message(self.message_kind, self.message_label.text())

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        done = self.controller.shutdown(timeout_s)
        return self.exports.wait(timeout_s) and done

    # -- drag and drop -----------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt naming
        if _dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt naming
        path = _dropped_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.open_file(path)

    # -- runs --------------------------------------------------------------------------

    def _start(self, kind: str, job: object) -> None:
        series = self.current_series()
        if series is None:
            self.show_message("error", "Open a metric file and pick a series first.")
            return
        try:
            params = self.params()
        except jobs.InvalidParameter as error:
            self.show_message("error", f"{error.field}: {error.reason}")
            return
        name = self.series_combo.currentText()
        self.controller.start(
            kind,
            lambda token, progress: job(series, name, params, token, progress),  # type: ignore[operator]
        )
        self.show_message("info", f"Running {kind} on {name}…")

    def _on_state(self, state: str) -> None:
        running = state == RUNNING
        self.progress_bar.setVisible(running)
        self.cancel_button.setEnabled(running)
        self.cancel_button.setVisible(running)
        has_series = self.loaded is not None
        for button in (self.forecast_button, self.backtest_button, self.detect_button):
            button.setEnabled(has_series)  # a click while running supersedes the run
        if running:
            self.progress_bar.setRange(0, 0)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(done)

    def _on_finished(self, kind: str, outcome: object) -> None:
        if isinstance(outcome, jobs.LoadFailed):
            self.show_message("error", outcome.message())
        elif isinstance(outcome, jobs.LoadedFile):
            self._show_loaded(outcome)
        elif isinstance(outcome, jobs.ForecastOutcome):
            self._show_forecast(outcome)
        elif isinstance(outcome, jobs.BacktestOutcome):
            self._show_backtest(outcome)
        elif isinstance(outcome, jobs.DetectionOutcome):
            self._show_detection(outcome)
        self._on_state(self.controller.state)

    def _on_failed(self, kind: str, message: str) -> None:
        self.show_message("error", f"{kind.capitalize()} failed: {message}")

    def _on_cancelled(self, kind: str) -> None:
        self.show_message("info", f"{kind.capitalize()} cancelled.")

    # -- showing results ---------------------------------------------------------------

    def _show_loaded(self, loaded: jobs.LoadedFile) -> None:
        self.loaded = loaded
        rows = len(loaded.frame)
        self.file_label.setText(f"{loaded.path}  ·  {rows:,} rows  ·  {len(loaded.columns)} series")
        self.series_combo.blockSignals(True)
        self.series_combo.clear()
        self.series_combo.addItems(loaded.columns)
        self.series_combo.blockSignals(False)
        self._on_series_changed(self.series_combo.currentText())
        self.show_message("info", f"Loaded {loaded.path.name}. Pick a series and run.")

    def _on_series_changed(self, name: str) -> None:
        series = self.current_series()
        self._clear_results()
        if series is None or not len(series):
            return
        times = epoch_seconds(series.index)
        self.chart.title_label.setText(name)
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

    def _ask_save(self, title: str, suffix: str, filter_text: str) -> Path | None:
        stem = self.series_combo.currentText().replace("/", "_") or "analysis"
        path, _ = QFileDialog.getSaveFileName(self, title, f"{stem}-{suffix}", filter_text)
        return Path(path) if path else None

    def _export_forecast(self) -> None:
        if self.forecast is None:
            self.show_message("error", "Run a forecast first.")
            return
        path = self._ask_save("Export forecast", "forecast.csv", "CSV (*.csv)")
        if path:
            self.export_table(jobs.forecast_table(self.forecast), path)

    def _export_scoreboard(self) -> None:
        if self.backtest is None:
            self.show_message("error", "Run a backtest first.")
            return
        path = self._ask_save("Export scoreboard", "scoreboard.csv", "CSV (*.csv)")
        if path:
            self.export_table(self.backtest.scoreboard.reset_index(), path)

    def _export_anomalies(self) -> None:
        if self.detection is None:
            self.show_message("error", "Run detection first.")
            return
        path = self._ask_save("Export anomalies", "anomalies.csv", "CSV (*.csv)")
        if path:
            self.export_table(jobs.anomalies_table(self.detection), path)

    def export_table(self, frame: pd.DataFrame, path: Path) -> None:
        """Write a CSV in a worker of its own: an export never cancels a running analysis."""
        self.exports.submit(lambda _token: jobs.write_csv(frame, path))

    def _on_exported(self, path: object) -> None:
        self.show_message("info", f"Saved {path}")

    def _on_export_failed(self, message: str, _details: str) -> None:
        self.show_message("error", f"Export failed: {message}")

    def _export_chart(self, fmt: str) -> None:
        filters = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)"}
        path = self._ask_save("Export chart", f"chart.{fmt}", filters[fmt])
        if path:
            self.export_chart(path)

    def export_chart(self, path: Path) -> Path:
        """PNG or SVG (by extension) through pyqtgraph's exporters. Runs on the GUI
        thread: exporters paint the scene, which only that thread may do."""
        import pyqtgraph.exporters as exporters

        path = Path(path)
        try:
            if path.suffix.lower() == ".svg":
                try:
                    exporters.SVGExporter(self.chart.plot).export(str(path))
                except ValueError:
                    # pyqtgraph 0.14 cannot parse the SVG paths Qt 6.11 writes; draw the
                    # same scene through Qt's own SVG generator instead.
                    render_svg(self.chart.plot, path)
            else:
                exporter = exporters.ImageExporter(self.chart.plot)
                exporter.parameters()["width"] = max(1200, self.chart.plot_widget.width())
                exporter.export(str(path))
        except OSError as error:
            self.show_message("error", f"Cannot write {path.name}: {error.strerror or error}")
            return path
        self.show_message("info", f"Chart saved to {path}")
        return path


def render_svg(item: QGraphicsItem, path: Path) -> None:
    """Paint a plot item's scene area into an SVG file with QSvgGenerator."""
    from PySide6.QtSvg import QSvgGenerator

    source = item.sceneBoundingRect()
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle("Headroom chart")
    painter = QPainter(generator)
    try:
        item.scene().render(painter, QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()
    if not path.exists():
        raise OSError(f"could not write {path}")


def _form(box: QGroupBox) -> QFormLayout:
    form = QFormLayout(box)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setContentsMargins(8, 6, 8, 6)
    form.setHorizontalSpacing(8)
    form.setVerticalSpacing(4)
    return form


def _dropped_path(mime: object) -> Path | None:
    urls = mime.urls() if mime is not None and mime.hasUrls() else []  # type: ignore[attr-defined]
    for url in urls:
        if url.isLocalFile():
            return Path(url.toLocalFile())
    return None


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:g} min"
    if seconds < 172800:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} days"
