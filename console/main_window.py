"""The main window: a thin shell that assembles views, menus and the live session.

Workspaces are tabs (``add_workspace``); side panels are docks (``add_panel``),
so the Analysis, Plans and Fleet views and a connection manager plug in later
without touching the existing views.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt, QThreadPool, QTimer, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QFrame,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QWidget,
)

from connectors.paths import config_dir
from console import __version__, theme
from console.analysis.tab import AnalysisTab
from console.live.collection import Collector
from console.live.history import HistoryLoader
from console.live.insights import install_insights
from console.live.retention import RetentionScheduler
from console.live.session import LiveSession
from console.settings import Settings, save_settings
from console.views.chart_specs import DEFAULT_CHARTS, ChartSpec
from console.views.host_list import HostEntry, HostListModel, HostListView
from console.views.live_workspace import LiveWorkspace
from console.views.status_bar import StatusBarView
from console.views.time_window import PRESETS
from console.workers import ErrorNotifier, Task

WINDOW_STATE_FILE = "window-state.ini"


def window_state_settings() -> QSettings:
    """Qt's own blobs (geometry, dock layout) only; typed settings live in settings.json."""
    return QSettings(str(config_dir() / WINDOW_STATE_FILE), QSettings.Format.IniFormat)


def check_store(path: Path) -> Path:
    """Open and close a store (in a worker) so a bad file is reported before we switch."""
    from connectors.store import MetricStore

    MetricStore(path, readonly=True).close()
    return path


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings: Settings,
        store_path: Path | None,
        collector: Collector | None = None,
        start_collection: bool = True,
        chart_specs: Iterable[ChartSpec] = DEFAULT_CHARTS,
        defer_charts: bool = False,
    ) -> None:
        """``defer_charts``: paint the window first, build the charts right after
        (what the app does, for a fast first paint); tests get them at once."""
        super().__init__()
        self._charts_deferred = False  # event() runs during construction already
        self.settings = settings
        self.setWindowTitle("Headroom")
        self.notifier = ErrorNotifier(self)
        self.pool = QThreadPool(self)
        self.session = LiveSession(
            self.notifier,
            settings.interval_s,
            store_path,
            collector,
            parent=self,
        )
        self.history = HistoryLoader(self.notifier, self.pool, self)
        self.retention = RetentionScheduler(
            self.notifier,
            lambda: self.session.store_path if self.session.writer is not None else None,
            lambda: self.settings.retention_days,
            self.pool,
            self,
        )
        self.store_error_box: QMessageBox | None = None
        self._store_check: Task | None = None

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.live = LiveWorkspace(
            self.session.buffers,
            self.history,
            lambda: self.session.store_path,
            settings.default_window,
            chart_specs,
            defer_charts=defer_charts,
        )
        self._charts_deferred = defer_charts
        self.add_workspace("Live", self.live, scrollable=False)

        self.hosts = HostListModel(self)
        self.host_list = HostListView(self.hosts)
        self.host_list.host_selected.connect(self.live.set_host)
        hosts_dock = self.add_panel("Hosts", self.host_list, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.resizeDocks([hosts_dock], [170], Qt.Orientation.Horizontal)  # charts get the room
        self.analysis = AnalysisTab(self.pool)
        self.add_workspace("Analysis", self.analysis, scrollable=False)
        self.insights = install_insights(self)  # forecast bar (menu corner), anomaly dock
        self.workspaces: list[QWidget] = []  # Plans, What-if: see _install_workspaces
        self._shut_down = False

        self.status = StatusBarView(self)
        self.setStatusBar(self.status)
        self.notifier.reported.connect(self.status.show_error)
        self.session.samples_added.connect(self._on_samples)
        self.stats_timer = QTimer(self)
        self.stats_timer.setInterval(1000)
        self.stats_timer.timeout.connect(self._update_stats)
        self.stats_timer.start()

        self._build_menus()
        self.apply_theme(settings.theme)
        # Plans, What-if and Fleet import the engines: built once live data is on screen,
        # and after the status bar exists (their notifications go there).
        self._preload: Task | None = None
        if defer_charts:
            # After the first live frame (or 3 s without one): live data comes first.
            self.live.frame_drawn.connect(
                self._preload_workspaces, Qt.ConnectionType.SingleShotConnection
            )
            QTimer.singleShot(3000, self._preload_workspaces)
        else:
            self._install_workspaces()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)
        self.resize(1280, 820)
        self.restore_window_state()
        if start_collection:
            # After the first paint: opening the store and importing psutil can wait.
            QTimer.singleShot(0, self.session.start)
            self.retention.start()
        self._update_stats()

    # -- assembly ----------------------------------------------------------------------

    def add_workspace(self, title: str, widget: QWidget, scrollable: bool = True) -> int:
        """Add a tab. A scrollable workspace scrolls when the window is narrower than its
        controls, so no workspace can force the whole window wider than the screen."""
        page = widget
        if scrollable:
            page = QScrollArea()
            page.setWidget(widget)
            page.setWidgetResizable(True)
            page.setFrameShape(QFrame.Shape.NoFrame)
        return self.tabs.addTab(page, title)

    def workspace_at(self, index: int) -> QWidget:
        page = self.tabs.widget(index)
        return page.widget() if isinstance(page, QScrollArea) else page

    def show_workspace(self, widget: QWidget) -> None:
        for index in range(self.tabs.count()):
            if self.workspace_at(index) is widget:
                self.tabs.setCurrentIndex(index)
                return

    def add_panel(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")  # saveState() needs stable names
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&Open store…", self.ask_open_store, QKeySequence.StandardKey.Open)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        view = self.menuBar().addMenu("&View")
        theme_menu = view.addMenu("&Theme")
        self.theme_actions = QActionGroup(self)
        for choice, label in (("system", "Follow &system"), ("dark", "&Dark"), ("light", "&Light")):
            action = self._action(theme_menu, label, lambda _=False, c=choice: self.set_theme(c))
            action.setCheckable(True)
            action.setData(choice)
            action.setChecked(choice == self.settings.theme)
            self.theme_actions.addAction(action)
        self.per_core_action = self._action(view, "Per-&core CPU", self.live.set_per_core)
        self.per_core_action.setCheckable(True)
        self.pause_action = self._action(view, "&Pause charts", self.live.set_paused, "Space")
        self.pause_action.setCheckable(True)
        self.live.bar.pause_toggled.connect(self.pause_action.setChecked)
        view.addSeparator()
        for number, window in enumerate(PRESETS, start=1):
            self._action(
                view,
                f"Last {window.label}",
                lambda _=False, w=window: self.live.bar.select(w),
                f"Ctrl+{number}",
            )
        self._action(view, "Custom range…", self.live.bar.ask_custom_range, "Ctrl+0")

        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About Headroom", self.show_about)

    def _action(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[..., object],
        shortcut: str | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)  # shortcuts work even with the menu bar hidden
        return action

    # -- behaviour ---------------------------------------------------------------------

    def set_theme(self, choice: str) -> None:
        self.settings.theme = choice
        self.apply_theme(choice)
        self._save_settings()

    def apply_theme(self, choice: str) -> theme.Theme:
        chosen = theme.resolve(choice)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_to_application(app, chosen)
        self.live.apply_theme(chosen)
        self.status.apply_theme(chosen)
        self.analysis.apply_theme(chosen)
        self.insights.apply_theme(chosen)
        for workspace in self.workspaces:
            workspace.apply_theme(chosen)  # type: ignore[attr-defined]
        self.current_theme = chosen
        return chosen

    def ask_open_store(self) -> None:
        start = str(self.session.store_path or config_dir())
        path, _ = QFileDialog.getOpenFileName(
            self, "Open metric store", start, "Metric stores (*.sqlite *.db);;All files (*)"
        )
        if path:
            self.open_store(Path(path))

    def open_store(self, path: Path) -> None:
        """Check the store in a worker, then switch to it; a bad store shows a message."""
        task = Task(lambda _token: check_store(path), "open store")
        task.signals.succeeded.connect(self._on_store_ok)
        task.signals.failed.connect(self._on_store_failed)
        self._store_check = task
        self.pool.start(task)

    @Slot(int, object)
    def _on_store_ok(self, _task_id: int, path: Path) -> None:
        self.session.switch_store(path)
        self.status.showMessage(f"Using store {path}", 5000)
        self._update_stats()

    @Slot(int, str, str)
    def _on_store_failed(self, _task_id: int, message: str, details: str) -> None:
        self.notifier.report("store", message, details)
        box = QMessageBox(QMessageBox.Icon.Warning, "Cannot open store", message, parent=self)
        box.setInformativeText("The console keeps using the current store.")
        box.open()  # non-blocking
        self.store_error_box = box

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About Headroom",
            f"<b>Headroom</b> {__version__}<br>Desktop operations console for SREs: "
            "live metrics, forecasts, anomaly detection and approval-gated scaling.",
        )

    @Slot(int)
    def _on_samples(self, _count: int) -> None:
        host = self.session.host
        if host:
            self.hosts.upsert(HostEntry(host, "local", "live"))

    def _update_stats(self) -> None:
        path = self.session.store_path
        self.status.update_stats(
            self.session.samples_per_second(),
            self.session.store_size_bytes(),
            str(path) if path and self.session.writer is not None else "",
        )

    def _on_system_scheme_changed(self) -> None:
        if self.settings.theme == "system":
            self.apply_theme("system")

    def _save_settings(self) -> None:
        try:
            save_settings(self.settings)
        except OSError as error:
            self.notifier.report_exception("settings", error)

    # -- state and shutdown ------------------------------------------------------------

    def restore_window_state(self) -> None:
        stored = window_state_settings()
        geometry = stored.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = stored.value("state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self.per_core_action.setChecked(stored.value("perCore", False, type=bool))
        self.live.set_per_core(self.per_core_action.isChecked())

    def save_window_state(self) -> None:
        stored = window_state_settings()
        stored.setValue("geometry", self.saveGeometry())
        stored.setValue("state", self.saveState())
        stored.setValue("perCore", self.per_core_action.isChecked())
        stored.sync()

    @Slot()
    def _preload_workspaces(self) -> None:
        """Import the engines behind Plans, What-if and Fleet in a worker (seconds of
        pandas, statsmodels, scikit-learn and boto3 that would freeze the window), then
        build the workspaces here, from modules already loaded."""
        if self._preload is not None or self.workspaces or self._shut_down:
            return
        self._preload = Task(import_workspace_engines, "loading workspaces")
        self._preload.signals.finished.connect(self._install_workspaces)
        self.pool.start(self._preload)

    @Slot()
    def _install_workspaces(self) -> None:
        if self.workspaces or self._shut_down:
            return  # already installed (the first-frame signal and the timer both call)
        from console.fleet import install_fleet
        from console.plans import install_plans
        from console.replay import install_replay

        self.plans = install_plans(self)
        self.whatif = install_replay(self)
        install_fleet(self)  # sets self.fleet: Fleet tab, Connections panel, poller
        self.workspaces = [self.plans, self.whatif]
        current = getattr(self, "current_theme", None)  # unset while __init__ runs
        for workspace in self.workspaces if current is not None else ():
            workspace.apply_theme(current)  # type: ignore[attr-defined]

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Stop every worker (bounded). Safe to call more than once."""
        self._shut_down = True
        self.stats_timer.stop()
        self.live.shutdown()
        ok = self.session.stop(timeout_s)
        ok = self.history.shutdown(timeout_s) and ok
        ok = self.retention.shutdown(timeout_s) and ok
        ok = self.insights.shutdown(timeout_s) and ok
        ok = self.analysis.shutdown(timeout_s) and ok
        for workspace in self.workspaces:
            ok = workspace.shutdown(timeout_s) and ok  # type: ignore[attr-defined]
        if hasattr(self, "fleet"):
            ok = self.fleet.shutdown(timeout_s) and ok
        return self.pool.waitForDone(int(timeout_s * 1000)) and ok

    def event(self, event: QEvent) -> bool:
        if self._charts_deferred and event.type() == QEvent.Type.Paint:
            self._charts_deferred = False
            QTimer.singleShot(0, self.live.build_charts)  # after this paint reaches the screen
        return super().event(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt naming
        self.save_window_state()
        self.shutdown()
        super().closeEvent(event)


# Qt-free modules the later workspaces need; importing them creates no Qt object.
WORKSPACE_ENGINES = (
    "models.forecast",
    "models.anomaly",
    "models.planning",
    "models.simulation",
    "connectors.scaling",
    "connectors.aws",
    "connectors.ssh",
)


def import_workspace_engines(_token: object) -> None:
    """Load ``WORKSPACE_ENGINES`` (a failure surfaces later, where the module is used)."""
    import importlib

    for name in WORKSPACE_ENGINES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - the workspace reports it when it imports
            continue
