"""Remote fleet: connections (SSH, Prometheus, AWS), their poller, and the Fleet tab.

``install_fleet(window)`` is the one call the main window makes: it adds the
Fleet tab and the Connections panel, starts polling the saved connections
(samples go to the window's store writer), starts the anomaly detectors and
forecasts behind the table's flag and peak columns (in a worker), and opens a
host's charts in the Live tab when the operator selects it in the fleet table.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QMessageBox

from connectors.errors import HostKeyMismatch
from connectors.paths import config_dir
from console.fleet.connection_manager import ConnectionManager
from console.fleet.connections import ConnectionBook, ConnectionsFileError, load_book
from console.fleet.fleet_model import HOST_ROLE, FleetModel
from console.fleet.fleet_state import FleetState
from console.fleet.fleet_view import FleetView
from console.fleet.hostkey_dialog import HostKeyAsker, show_mismatch
from console.fleet.insights import FleetInsights
from console.fleet.poller import FleetPoller

log = logging.getLogger(__name__)


class Fleet(QObject):
    """Everything the fleet needs, owned by the window; ``shutdown`` stops the poller."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.state = FleetState()
        self.model = FleetModel(self.state, parent=self)
        self.view = FleetView(self.model)
        self.insights = FleetInsights(self.state, parent=self)
        self.insights.failed.connect(lambda message: window.notifier.report("fleet", message))
        self.asker = HostKeyAsker(window)
        try:
            book = load_book()
        except ConnectionsFileError as error:
            window.notifier.report("fleet", str(error))
            book = ConnectionBook()
        self.poller = FleetPoller(
            self.state,
            lambda: window.session.writer,
            interval_s=window.settings.interval_s,
            decide=self.asker.decide,
            known_hosts=config_dir() / "known_hosts",
            parent=self,
        )
        self.manager = ConnectionManager(book, self.state, self.poller.open_collector, window.pool)
        self.manager.changed.connect(self.poller.set_connections)
        self.poller.set_connections(book.connections)
        self.poller.status_changed.connect(self._status_changed)
        self.window = window
        self.warnings: list[QMessageBox] = []
        self._stopped = False

    def _status_changed(self, name: str, state: str) -> None:
        self.manager.refresh_status()
        status = self.state.status.get(name)
        if status is not None and isinstance(status.error, HostKeyMismatch):
            # Never silent: a changed key may be an attack, the operator must know at once.
            self.warnings.append(show_mismatch(status.error, self.window))
        elif status is not None and status.error is not None:
            self.window.notifier.report(f"fleet: {name}", status.message)

    def start(self) -> None:
        self.poller.start()
        self.insights.start()

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        if self._stopped:
            return True
        self._stopped = True
        self.model.timer.stop()
        self.manager.timer.stop()
        insights_done = self.insights.stop(timeout_s)
        return self.poller.stop(timeout_s) and insights_done

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Close:
            self.shutdown()
        return False


def install_fleet(window: Any) -> None:
    """Add the Fleet tab and Connections panel to ``window`` (a MainWindow) and start polling."""
    fleet = Fleet(window)
    window.fleet = fleet
    window.add_workspace("Fleet", fleet.view)
    dock = window.add_panel("Connections", fleet.manager, Qt.DockWidgetArea.BottomDockWidgetArea)
    dock.hide()  # opened from View > Connections…, the fleet table is what matters first
    action = dock.toggleViewAction()
    action.setText("Connections…")
    view_menu = next(
        (a.menu() for a in window.menuBar().actions() if a.text() == "&View" and a.menu()), None
    )
    if view_menu is not None:
        view_menu.addAction(action)
    window.addAction(action)

    def show_connections() -> None:
        dock.show()
        dock.raise_()

    fleet.view.connections_button.clicked.connect(show_connections)

    def open_host(host: str) -> None:
        window.live.set_host(host)
        window.show_workspace(window.live)

    fleet.view.table.doubleClicked.connect(lambda index: open_host(index.data(HOST_ROLE)))
    fleet.view.host_selected.connect(window.live.set_host)
    window.installEventFilter(fleet)
    fleet.start()
