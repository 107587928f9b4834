"""The frame shared by the workspaces that open a metric file and work on it in workers.

Analysis and What-if look and behave alike around their own forms: a file bar (Open
file…, what was loaded, an Export menu), a form on the left that ends in a progress
bar, Cancel and one message line, the results on the right as a chart over a table,
and a file dropped anywhere on the workspace is opened. Jobs run through one
:class:`~console.analysis.controller.AnalysisController` (one at a time in a worker; a
new one cancels the one in flight); exports have a runner of their own, so saving a
file never cancels a run.

A subclass builds its form and results with the helpers here, then calls
:meth:`FileWorkspace.assemble`; it says which combo box picks the column
(``picker``), which buttons start runs (:meth:`run_buttons`), and shows what a job
returned in :meth:`show_outcome`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QRectF, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGraphicsItem,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
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
from console.theme import Theme
from console.views.chart import MetricChart
from console.workers import LatestOnlyRunner

FILE_FILTER = "Metric files (*.csv *.parquet *.pq *.json *.jsonl *.ndjson);;All files (*)"
CHART_FILTERS = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)"}

MenuEntry = tuple[str, Callable[[], object]] | None  # None: a separator
Params = TypeVar("Params")


class FileWorkspace(QWidget):
    message_changed = Signal(str, str)  # kind ("info", "error"), text

    column_noun = ("column", "columns")  # how the file bar counts the loaded columns
    export_name = "export"  # what save dialogs suggest after the column's name
    default_stem = "file"  # ... and instead of it when none is picked

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
        self.message_kind = "info"
        self._theme: Theme | None = None
        # Set by the subclass before assemble().
        self.chart: MetricChart
        self.picker: QComboBox

        self.open_button = QPushButton("Open file…")
        self.open_button.setToolTip("Open a CSV, Parquet or JSON metric file (or drop it here)")
        self.open_button.clicked.connect(self.ask_open_file)
        self.file_label = QLabel("No file")
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
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

    # -- construction helpers ----------------------------------------------------------

    def file_bar(
        self,
        entries: Sequence[MenuEntry],
        before: Sequence[QWidget] = (),
        after: Sequence[QWidget] = (),
    ) -> QHBoxLayout:
        """Open file…, ``before``, the file's description, ``after``, the Export menu."""
        menu = QMenu(self.export_button)
        for entry in entries:
            if entry is None:
                menu.addSeparator()
            else:
                menu.addAction(*entry)
        self.export_button.setMenu(menu)
        bar = QHBoxLayout()
        bar.setSpacing(8)
        for widget in (self.open_button, *before):
            bar.addWidget(widget)
        bar.addWidget(self.file_label, 1)
        for widget in (*after, self.export_button):
            bar.addWidget(widget)
        return bar

    def chart_export_entries(self) -> list[MenuEntry]:
        return [
            ("Chart as PNG…", lambda: self.ask_export_chart("png")),
            ("Chart as SVG…", lambda: self.ask_export_chart("svg")),
        ]

    def form_panel(self, width: int, parts: Sequence[QWidget | QLayout]) -> QWidget:
        """The left column: ``parts``, then the progress bar, Cancel and the message line."""
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.cancel_button)
        panel = QWidget()
        panel.setMinimumWidth(width)
        panel.setMaximumWidth(width + 120)
        column = QVBoxLayout(panel)
        column.setContentsMargins(0, 0, 6, 0)
        column.setSpacing(6)
        for part in parts:
            if isinstance(part, QLayout):
                column.addLayout(part)
            else:
                column.addWidget(part)
        column.addLayout(progress_row)
        column.addWidget(self.message_label)
        column.addStretch(1)
        return panel

    @staticmethod
    def chart_over_table(
        chart: QWidget, summary: QLabel, table: QWidget, table_stretch: int
    ) -> QSplitter:
        """The chart above a summary line and a table, the chart three parts high."""
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.setSpacing(2)
        lower_layout.addWidget(summary)
        lower_layout.addWidget(table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(chart)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, table_stretch)
        return splitter

    def assemble(self, bar: QHBoxLayout, form: QWidget, results: QWidget, greeting: str) -> None:
        """Lay the parts out and start listening to the controller."""
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(form)
        splitter.addWidget(results)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

        self.controller.state_changed.connect(self._on_state)
        self.controller.progress.connect(self._on_progress)
        self.controller.finished.connect(self._on_finished)
        self.controller.failed.connect(
            lambda kind, message: self.show_message(
                "error", f"{kind.capitalize()} failed: {message}"
            )
        )
        self.controller.cancelled.connect(
            lambda kind: self.show_message("info", f"{kind.capitalize()} cancelled.")
        )
        self._on_state(IDLE)
        self.show_message("info", greeting)

    # -- hooks -------------------------------------------------------------------------

    def run_buttons(self) -> Sequence[QWidget]:
        """Buttons that start a run: enabled once a file is loaded."""
        return ()

    def muted_labels(self) -> Sequence[QLabel]:
        """Secondary text drawn in the theme's muted colour."""
        return (self.file_label,)

    def loaded_message(self, loaded: files.LoadedFile) -> str:
        return f"Loaded {loaded.path.name}."

    def on_column_changed(self, column: str) -> None:
        """The picked column changed (or a file was loaded)."""

    def show_outcome(self, kind: str, outcome: object) -> None:
        """A job other than loading a file returned ``outcome``."""

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
        for label in self.muted_labels():
            label.setStyleSheet(f"color: {theme.muted};")
        self.show_message(self.message_kind, self.message_label.text())

    def read_form(self, read: Callable[[], Params]) -> Params | None:
        """``read()`` the form; a bad value is named in the message line and gives None."""
        try:
            return read()
        except files.InvalidParameter as error:
            self.show_message("error", f"{error.field}: {error.reason}")
            return None

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        done = self.controller.shutdown(timeout_s)
        return self.exports.wait(timeout_s) and done

    def export_chart(self, path: Path) -> Path:
        """PNG or SVG (by extension). On the GUI thread: only it may paint the scene."""
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

    def ask_save(self, title: str, suffix: str, filter_text: str) -> Path | None:
        stem = (self.picker.currentText() or self.default_stem).replace("/", "_")
        path, _ = QFileDialog.getSaveFileName(self, title, f"{stem}-{suffix}", filter_text)
        return Path(path) if path else None

    def ask_export_chart(self, fmt: str) -> None:
        path = self.ask_save("Export chart", f"{self.export_name}.{fmt}", CHART_FILTERS[fmt])
        if path:
            self.export_chart(path)

    # -- Qt events ---------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt naming
        if dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt naming
        path = dropped_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.open_file(path)

    # -- runs --------------------------------------------------------------------------

    def _on_state(self, state: str) -> None:
        running = state == RUNNING
        self.progress_bar.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        for button in self.run_buttons():
            button.setEnabled(self.loaded is not None)  # a click while running supersedes
        if running:
            self.progress_bar.setRange(0, 0)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(done)

    def _on_finished(self, kind: str, outcome: object) -> None:
        if isinstance(outcome, files.LoadFailed):
            self.show_message("error", outcome.message())
        elif isinstance(outcome, files.LoadedFile):
            self._show_loaded(outcome)
        else:
            self.show_outcome(kind, outcome)
        self._on_state(self.controller.state)

    def _show_loaded(self, loaded: files.LoadedFile) -> None:
        self.loaded = loaded
        count = len(loaded.columns)
        noun = self.column_noun[0 if count == 1 else 1]
        self.file_label.setText(
            f"{loaded.path}  ·  {len(loaded.frame):,} rows  ·  {count:,} {noun}"
        )
        self.picker.blockSignals(True)
        self.picker.clear()
        self.picker.addItems(loaded.columns)
        self.picker.blockSignals(False)
        self.on_column_changed(self.picker.currentText())
        self.show_message("info", self.loaded_message(loaded))


def form_box(title: str, rows: Sequence[tuple[str, QWidget | QLayout]]) -> QGroupBox:
    """A titled group of labelled rows (an empty label: the row spans under the previous)."""
    box = QGroupBox(title)
    form = form_layout(box)
    for label, field in rows:
        form.addRow(label, field)
    return box


def form_layout(box: QGroupBox) -> QFormLayout:
    """The compact, right-aligned form every group box of these workspaces uses."""
    form = QFormLayout(box)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setContentsMargins(8, 6, 8, 6)
    form.setHorizontalSpacing(8)
    form.setVerticalSpacing(4)
    return form


def dropped_path(mime: object) -> Path | None:
    """The first local file of a drag, if any."""
    urls = mime.urls() if mime is not None and mime.hasUrls() else []  # type: ignore[attr-defined]
    for url in urls:
        if url.isLocalFile():
            return Path(url.toLocalFile())
    return None


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
