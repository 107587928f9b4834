"""The What-if workspace: replay a recorded demand series under scaling policies.

Open a metric file (button or drag and drop) or the bundled demo trace, pick the demand
column, set the unit capacity, price, warm-up and the predictive policy's level and
headroom, tick the policies, then Run. The replay (:func:`models.simulation.replay`)
runs in a worker with a progress bar and Cancel; a new run cancels the one in flight.
The chart shows the demand and each policy's serving capacity as step lines, with the
shortfalls shaded; the table compares the policies. Results export as JSON (the
``headroom simulate --series`` schema) or CSV, the chart as PNG or SVG.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.analysis import jobs as files
from console.analysis.controller import IDLE, RUNNING, AnalysisController
from console.analysis.workspace import FILE_FILTER, render_svg
from console.replay import jobs
from console.replay.chart import ReplayChart
from console.replay.table import ComparisonTable
from console.theme import THEMES, Theme
from console.workers import LatestOnlyRunner
from models.simulation import POLICY_NAMES

FORM_WIDTH = 290
DEMO_SOURCE = "demo trace"


class ReplayWorkspace(QWidget):
    message_changed = Signal(str, str)  # kind ("info", "error"), text

    def __init__(self, pool: QThreadPool | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.controller = AnalysisController(pool, self)
        self.exports = LatestOnlyRunner(pool or QThreadPool.globalInstance(), "export", self)
        self.exports.result.connect(lambda path: self.show_message("info", f"Saved {path}"))
        self.exports.error.connect(
            lambda message, _details: self.show_message("error", f"Export failed: {message}")
        )
        self.loaded: files.LoadedFile | None = None
        self.outcome: jobs.ReplayOutcome | None = None
        self.message_kind = "info"
        self._theme: Theme | None = None

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
        self.controller.cancelled.connect(
            lambda kind: self.show_message("info", f"{kind.capitalize()} cancelled.")
        )
        self._on_state(IDLE)
        self.show_message("info", "Open a metric file (or drop one here), or try the demo trace.")

    # -- construction ------------------------------------------------------------------

    def _build_file_bar(self) -> None:
        self.open_button = QPushButton("Open file…")
        self.open_button.setToolTip("Open a CSV, Parquet or JSON metric file (or drop it here)")
        self.open_button.clicked.connect(self.ask_open_file)
        self.demo_button = QPushButton("Demo trace")
        self.demo_button.setToolTip("Three weeks of real taxi demand (requests/s, 30-minute steps)")
        self.demo_button.clicked.connect(self.open_demo)
        self.file_label = QLabel("No file")
        self.whole_button = QToolButton()
        self.whole_button.setText("Whole replay")
        self.whole_button.setCheckable(True)
        self.whole_button.setToolTip("Show the whole replayed window (off: the last days)")
        self.whole_button.toggled.connect(self._on_whole_toggled)
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("Results as JSON…", lambda: self._ask_export_results("json"))
        menu.addAction("Results as CSV…", lambda: self._ask_export_results("csv"))
        menu.addSeparator()
        menu.addAction("Chart as PNG…", lambda: self._ask_export_chart("png"))
        menu.addAction("Chart as SVG…", lambda: self._ask_export_chart("svg"))
        self.export_button.setMenu(menu)
        self.file_bar = QHBoxLayout()
        self.file_bar.setSpacing(8)
        self.file_bar.addWidget(self.open_button)
        self.file_bar.addWidget(self.demo_button)
        self.file_bar.addWidget(self.file_label, 1)
        self.file_bar.addWidget(self.whole_button)
        self.file_bar.addWidget(self.export_button)

    def _build_form(self) -> None:
        self.column_combo = QComboBox()
        self.column_combo.currentTextChanged.connect(self._on_column_changed)
        self.column_info = QLabel("")
        self.column_info.setWordWrap(True)

        self.capacity_spin = _spin(0.01, 1e12, 2, "Demand one unit serves at the target use")
        self.capacity_spin.setValue(100.0)
        self.price_spin = _spin(0.001, 1e9, 3, "Cost of one unit for one hour")
        self.price_spin.setValue(0.10)
        self.warmup_spin = _spin(0, 24 * 60, 1, "Minutes before a requested unit serves")
        self.warmup_spin.setValue(5.0)
        self.warmup_spin.setSuffix(" min")
        self.level_combo = QComboBox()
        for level in jobs.LEVEL_CHOICES:
            self.level_combo.addItem(f"{level} %", level)
        self.level_combo.setCurrentIndex(self.level_combo.findData(95))
        self.level_combo.setToolTip("Plan on the upper bound of this prediction interval")
        self.headroom_spin = _spin(0, 500, 1, "Margin above the upper bound")
        self.headroom_spin.setValue(10.0)
        self.headroom_spin.setSuffix(" %")
        self.policy_checks = {name: QCheckBox(jobs.POLICY_LABELS[name]) for name in POLICY_NAMES}
        for check in self.policy_checks.values():
            check.setChecked(True)

        self.run_button = QPushButton("Run replay")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run_replay)
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(16)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.message_label.setMargin(6)

        demand_box = QGroupBox("Demand")
        demand_form = _form(demand_box)
        demand_form.addRow("Column", self.column_combo)
        demand_form.addRow("", self.column_info)
        fleet_box = QGroupBox("Fleet")
        fleet_form = _form(fleet_box)
        fleet_form.addRow("Unit capacity", self.capacity_spin)
        fleet_form.addRow("Price / unit-h", self.price_spin)
        fleet_form.addRow("Warm-up", self.warmup_spin)
        predictive_box = QGroupBox("Predictive policy")
        predictive_form = _form(predictive_box)
        predictive_form.addRow("Level", self.level_combo)
        predictive_form.addRow("Headroom", self.headroom_spin)
        policy_box = QGroupBox("Policies")
        policy_row = QHBoxLayout(policy_box)
        policy_row.setContentsMargins(8, 6, 8, 6)
        for check in self.policy_checks.values():
            policy_row.addWidget(check)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.cancel_button)

        self.form_panel = QWidget()
        self.form_panel.setMinimumWidth(FORM_WIDTH)
        self.form_panel.setMaximumWidth(FORM_WIDTH + 120)
        column = QVBoxLayout(self.form_panel)
        column.setContentsMargins(0, 0, 6, 0)
        column.setSpacing(6)
        for box in (demand_box, fleet_box, predictive_box, policy_box):
            column.addWidget(box)
        column.addWidget(self.run_button)
        column.addLayout(progress_row)
        column.addWidget(self.message_label)
        column.addStretch(1)

    def _build_results(self) -> None:
        self.chart = ReplayChart()
        self.summary_label = QLabel("")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = ComparisonTable()
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.setSpacing(2)
        lower_layout.addWidget(self.summary_label)
        lower_layout.addWidget(self.table, 1)
        self.results_panel = QSplitter(Qt.Orientation.Vertical)
        self.results_panel.addWidget(self.chart)
        self.results_panel.addWidget(lower)
        self.results_panel.setStretchFactor(0, 3)
        self.results_panel.setStretchFactor(1, 1)

    # -- public API --------------------------------------------------------------------

    def ask_open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open metric file", "", FILE_FILTER)
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path) -> None:
        """Read ``path`` in a worker; the column list fills in when it is loaded."""
        path = Path(path)
        self.controller.start("load", lambda token, _progress: files.load_file(path, token))
        self.show_message("info", f"Reading {path.name}…")

    def open_demo(self) -> None:
        """The bundled demand trace (the live demo's), as a file."""
        from connectors.scaling.demo import TRACE_PATH

        self.open_file(TRACE_PATH)

    def params(self) -> jobs.ReplayParams:
        """The form as parameters; InvalidParameter names the bad field."""
        return jobs.ReplayParams(
            unit_capacity=self.capacity_spin.value(),
            price_per_unit_hour=self.price_spin.value(),
            warmup_minutes=self.warmup_spin.value(),
            level=int(self.level_combo.currentData()),
            headroom=self.headroom_spin.value() / 100.0,
            policies=tuple(name for name, check in self.policy_checks.items() if check.isChecked()),
        )

    def set_policies(self, names: tuple[str, ...]) -> None:
        for name, check in self.policy_checks.items():
            check.setChecked(name in names)

    def run_replay(self) -> None:
        column = self.column_combo.currentText()
        if self.loaded is None or not column:
            self.show_message("error", "Open a metric file (or the demo trace) first.")
            return
        try:
            params = self.params()
        except jobs.InvalidParameter as error:
            self.show_message("error", f"{error.field}: {error.reason}")
            return
        series = jobs.demand_series(self.loaded.frame, column)
        source = self._source()
        self.controller.start(
            "replay",
            lambda token, progress: jobs.run_replay(
                series, column, source, params, token, progress
            ),
        )
        self.show_message("info", f"Replaying {column} under {', '.join(params.policies)}…")

    def cancel(self) -> None:
        self.controller.cancel()

    @property
    def state(self) -> str:
        return self.controller.state

    def show_message(self, kind: str, text: str) -> None:
        self.message_kind = kind
        self.message_label.setText(text)
        colour = ""
        if self._theme is not None:
            colour = self._theme.error if kind == "error" else self._theme.muted
        weight = "font-weight: 600;" if kind == "error" else ""
        self.message_label.setStyleSheet(f"color: {colour}; {weight}" if colour else weight)
        self.message_changed.emit(kind, text)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.chart.apply_theme(theme)
        for label in (self.column_info, self.file_label, self.summary_label):
            label.setStyleSheet(f"color: {theme.muted};")
        self.show_message(self.message_kind, self.message_label.text())

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        done = self.controller.shutdown(timeout_s)
        return self.exports.wait(timeout_s) and done

    def export_results(self, path: Path) -> None:
        """JSON or CSV (by extension) in a worker of its own: never cancels a replay."""
        outcome = self.outcome
        if outcome is None:
            self.show_message("error", "Run a replay first.")
            return
        self.exports.submit(lambda _token: jobs.write_results(outcome, Path(path)))

    def export_chart(self, path: Path) -> Path:
        """PNG or SVG (by extension). On the GUI thread: only it may paint the scene."""
        import pyqtgraph.exporters as exporters

        path = Path(path)
        try:
            if path.suffix.lower() == ".svg":
                # pyqtgraph's SVG exporter fails on Qt 6.11's paths; Qt's generator works.
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

    # -- Qt events ---------------------------------------------------------------------

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

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt naming
        # The main window re-themes the application, not each tab: follow its palette.
        # Deferred, because the theme name is recorded just after the palette changes.
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            QTimer.singleShot(0, self, self._follow_application_theme)
        super().changeEvent(event)

    def _follow_application_theme(self) -> None:
        app = QApplication.instance()
        name = app.property("headroomTheme") if app is not None else None
        theme = THEMES.get(str(name))
        if theme is not None and theme != self._theme:
            self.apply_theme(theme)

    # -- runs --------------------------------------------------------------------------

    def _on_state(self, state: str) -> None:
        running = state == RUNNING
        self.progress_bar.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        # A click while running supersedes the run in flight.
        self.run_button.setEnabled(self.loaded is not None)
        if running:
            self.progress_bar.setRange(0, 0)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(done)

    def _on_finished(self, _kind: str, outcome: object) -> None:
        if isinstance(outcome, files.LoadFailed):
            self.show_message("error", outcome.message())
        elif isinstance(outcome, files.LoadedFile):
            self._show_loaded(outcome)
        elif isinstance(outcome, jobs.ReplayOutcome):
            self._show_outcome(outcome)
        self._on_state(self.controller.state)

    def _on_failed(self, kind: str, message: str) -> None:
        self.show_message("error", f"{kind.capitalize()} failed: {message}")

    # -- showing results ---------------------------------------------------------------

    def _show_loaded(self, loaded: files.LoadedFile) -> None:
        self.loaded = loaded
        rows = len(loaded.frame)
        self.file_label.setText(
            f"{loaded.path}  ·  {rows:,} rows  ·  {_count(len(loaded.columns), 'column')}"
        )
        self.column_combo.blockSignals(True)
        self.column_combo.clear()
        self.column_combo.addItems(loaded.columns)
        self.column_combo.blockSignals(False)
        self._on_column_changed(self.column_combo.currentText())
        self.show_message("info", f"Loaded {self._source()}. Set the fleet and run the replay.")

    def _on_column_changed(self, column: str) -> None:
        if self.controller.state == RUNNING and self.controller.kind == "replay":
            self.controller.cancel()  # its result would describe the other column
        self._clear_results()
        if self.loaded is None or not column:
            self.column_info.setText("")
            return
        series = jobs.demand_series(self.loaded.frame, column)
        if not len(series):
            self.column_info.setText("no values in this column")
            return
        self.capacity_spin.setValue(jobs.suggest_unit_capacity(series))
        first = series.index[0].strftime("%Y-%m-%d %H:%M")
        last = series.index[-1].strftime("%Y-%m-%d %H:%M")
        self.column_info.setText(
            f"{len(series):,} points, peak {series.max():,.4g}\n{first} → {last} UTC"
        )

    def _clear_results(self) -> None:
        self.outcome = None
        self.chart.clear()
        self.table.setRowCount(0)
        self.summary_label.setText("")

    def _show_outcome(self, outcome: jobs.ReplayOutcome) -> None:
        self.outcome = outcome
        self.chart.show_outcome(outcome)
        self._on_whole_toggled(self.whole_button.isChecked())
        self.table.show_outcome(outcome)
        report = outcome.report
        s = report.settings
        start = report.timestamps()[0].strftime("%Y-%m-%d %H:%M")
        intervals = len(report.timestamps())
        self.summary_label.setText(
            f"Replayed {intervals:,} intervals from {start} UTC after "
            f"{report.history_intervals:,} intervals of history · unit capacity {s.unit_capacity:,.4g}, "
            f"warm-up {report.warmup_intervals} interval(s), predictive at the {s.level} % "
            f"bound + {s.headroom:.0%} · shaded: demand above a policy's capacity"
        )
        self.show_message("info", "Replay ready.")

    def _on_whole_toggled(self, whole: bool) -> None:
        if whole:
            self.chart.show_all()
        else:
            self.chart.show_recent()

    def _source(self) -> str:
        from connectors.scaling.demo import TRACE_PATH

        if self.loaded is None:
            return "file"
        return DEMO_SOURCE if self.loaded.path == TRACE_PATH else self.loaded.path.name

    # -- export dialogs ----------------------------------------------------------------

    def _ask_save(self, title: str, suffix: str, filter_text: str) -> Path | None:
        stem = (self.column_combo.currentText() or "replay").replace("/", "_")
        path, _ = QFileDialog.getSaveFileName(self, title, f"{stem}-{suffix}", filter_text)
        return Path(path) if path else None

    def _ask_export_results(self, fmt: str) -> None:
        if self.outcome is None:
            self.show_message("error", "Run a replay first.")
            return
        filters = {"json": "JSON (*.json)", "csv": "CSV (*.csv)"}
        path = self._ask_save("Export results", f"whatif.{fmt}", filters[fmt])
        if path:
            self.export_results(path)

    def _ask_export_chart(self, fmt: str) -> None:
        filters = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)"}
        path = self._ask_save("Export chart", f"whatif.{fmt}", filters[fmt])
        if path:
            self.export_chart(path)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _spin(low: float, high: float, decimals: int, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setToolTip(tip)
    spin.setGroupSeparatorShown(True)
    return spin


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
