"""The What-if workspace: replay a recorded demand series under scaling policies.

Open a metric file (button or drag and drop) or the bundled demo trace, pick the demand
column, set the unit capacity, price, warm-up and the predictive policy's level and
headroom, tick the policies, then Run. The replay (:func:`models.simulation.replay`)
runs in a worker with a progress bar and Cancel; a new run cancels the one in flight.
The chart shows the demand, the predictive policy's forecast (mean and the bound it
planned on) and each policy's serving capacity as step lines, with the shortfalls
shaded; the table compares the policies. Results export as JSON (the ``headroom
simulate --series`` schema) or CSV, the chart as PNG or SVG. The frame (file bar, drag
and drop, message line, chart over table) is
:class:`~console.file_workspace.FileWorkspace`'s.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QThreadPool, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from console.analysis import jobs as files
from console.analysis.controller import RUNNING
from console.file_workspace import FileWorkspace, form_box
from console.replay import jobs
from console.replay.chart import ReplayChart
from console.replay.table import ComparisonTable
from console.theme import THEMES
from models.simulation import POLICY_NAMES

FORM_WIDTH = 290
DEMO_SOURCE = "demo trace"


class ReplayWorkspace(FileWorkspace):
    export_name = "whatif"
    default_stem = "replay"

    def __init__(self, pool: QThreadPool | None = None, parent: QWidget | None = None) -> None:
        super().__init__(pool, parent)
        self.outcome: jobs.ReplayOutcome | None = None
        self.assemble(
            self._build_file_bar(),
            self._build_form(),
            self._build_results(),
            "Open a metric file (or drop one here), or try the demo trace.",
        )

    # -- construction ------------------------------------------------------------------

    def _build_file_bar(self) -> QHBoxLayout:
        self.demo_button = QPushButton("Demo trace")
        self.demo_button.setToolTip("Three weeks of real taxi demand (requests/s, 30-minute steps)")
        self.demo_button.clicked.connect(self.open_demo)
        self.whole_button = QToolButton()
        self.whole_button.setText("Whole replay")
        self.whole_button.setCheckable(True)
        self.whole_button.setToolTip("Show the whole replayed window (off: the last days)")
        self.whole_button.toggled.connect(self._on_whole_toggled)
        entries = [
            ("Results as JSON…", lambda: self._ask_export_results("json")),
            ("Results as CSV…", lambda: self._ask_export_results("csv")),
            None,
            *self.chart_export_entries(),
        ]
        return self.file_bar(entries, before=(self.demo_button,), after=(self.whole_button,))

    def _build_form(self) -> QWidget:
        self.column_combo = QComboBox()
        self.column_combo.currentTextChanged.connect(self.on_column_changed)
        self.picker = self.column_combo
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
        self.headroom_spin.setValue(0.0)
        self.headroom_spin.setSuffix(" %")
        self.hourly_check = QCheckBox("By hour of day")
        self.hourly_check.setChecked(True)
        self.hourly_check.setToolTip(
            "Raise the bound where the policy's own past errors at that hour of day were "
            "larger (a nightly job, a rush whose size varies)"
        )
        self.adaptive_check = QCheckBox("Adaptive margin")
        self.adaptive_check.setChecked(True)
        self.adaptive_check.setToolTip(
            "Widen the margin above the forecast while the bound has been missed more often "
            "than its level allows (demand noisier than the weeks it was calibrated on)"
        )
        self.policy_checks = {name: QCheckBox(jobs.POLICY_LABELS[name]) for name in POLICY_NAMES}
        for check in self.policy_checks.values():
            check.setChecked(True)

        self.run_button = QPushButton("Run replay")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run_replay)

        demand_box = form_box("Demand", [("Column", self.column_combo), ("", self.column_info)])
        fleet_box = form_box(
            "Fleet",
            [
                ("Unit capacity", self.capacity_spin),
                ("Price / unit-h", self.price_spin),
                ("Warm-up", self.warmup_spin),
            ],
        )
        predictive_box = form_box(
            "Predictive policy",
            [
                ("Level", self.level_combo),
                ("Headroom", self.headroom_spin),
                ("Calibrate", self.hourly_check),
                ("", self.adaptive_check),
            ],
        )
        policy_box = QGroupBox("Policies")
        policy_row = QHBoxLayout(policy_box)
        policy_row.setContentsMargins(8, 6, 8, 6)
        for check in self.policy_checks.values():
            policy_row.addWidget(check)
        return self.form_panel(
            FORM_WIDTH, (demand_box, fleet_box, predictive_box, policy_box, self.run_button)
        )

    def _build_results(self) -> QWidget:
        self.chart = ReplayChart()
        self.summary_label = QLabel("")
        # Two explicit lines: a wrapped label in a splitter gets its last line clipped.
        self.summary_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = ComparisonTable()
        self.results_panel = self.chart_over_table(self.chart, self.summary_label, self.table, 1)
        return self.results_panel

    # -- public API --------------------------------------------------------------------

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
            hourly_calibration=self.hourly_check.isChecked(),
            adaptive_margin=self.adaptive_check.isChecked(),
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
        params = self.read_form(self.params)
        if params is None:
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

    def export_results(self, path: Path) -> None:
        """JSON or CSV (by extension) in a worker of its own: never cancels a replay."""
        outcome = self.outcome
        if outcome is None:
            self.show_message("error", "Run a replay first.")
            return
        self.exports.submit(lambda _token: jobs.write_results(outcome, Path(path)))

    # -- Qt events ---------------------------------------------------------------------

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

    # -- hooks of FileWorkspace ----------------------------------------------------------

    def run_buttons(self) -> tuple[QPushButton, ...]:
        return (self.run_button,)

    def muted_labels(self) -> tuple[QLabel, ...]:
        return (self.column_info, self.file_label, self.summary_label)

    def loaded_message(self, loaded: files.LoadedFile) -> str:
        return f"Loaded {self._source()}. Set the fleet and run the replay."

    def show_outcome(self, kind: str, outcome: object) -> None:
        if isinstance(outcome, jobs.ReplayOutcome):
            self._show_outcome(outcome)

    # -- showing results ---------------------------------------------------------------

    def on_column_changed(self, column: str) -> None:
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
        calibrated = (", by hour of day" if s.hourly_calibration else "") + (
            ", adaptive" if s.adaptive_margin else ""
        )
        self.summary_label.setText(
            f"{intervals:,} intervals from {start} UTC after {report.history_intervals:,} of "
            f"history · unit capacity {s.unit_capacity:,.4g} · warm-up "
            f"{report.warmup_intervals} interval(s)\n"
            f"Predictive: {s.level} % bound + {s.headroom:.0%}{calibrated} · dotted forecast, "
            f"dashed bound · shaded: under capacity"
        )
        self.summary_label.setToolTip(
            "Each forecast value is drawn on the interval it was for: the first one a unit "
            "requested at that decision could serve (one warm-up later)."
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

    def _ask_export_results(self, fmt: str) -> None:
        if self.outcome is None:
            self.show_message("error", "Run a replay first.")
            return
        filters = {"json": "JSON (*.json)", "csv": "CSV (*.csv)"}
        path = self.ask_save("Export results", f"{self.export_name}.{fmt}", filters[fmt])
        if path:
            self.export_results(path)


def _spin(low: float, high: float, decimals: int, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setToolTip(tip)
    spin.setGroupSeparatorShown(True)
    return spin
