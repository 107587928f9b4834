"""The Plans tab: forecasts become capacity plans that a person (or a policy) approves.

``install_plans(window)`` builds everything and adds the tab; the lead wires that one
call into MainWindow. With no targets configured, the demo target runs at 60x in
"approval required" mode, so a proposal appears within seconds.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow

from connectors.audit import AuditLog
from console.notify import Notifications
from console.plans.audit_view import AuditView
from console.plans.controller import PlanController
from console.plans.targets import TargetRuntime, TargetsFileError, demo_config, load_targets
from console.plans.workspace import PlansWorkspace


def build_plans(window: QMainWindow, audit: AuditLog | None = None) -> PlansWorkspace:
    """The Plans workspace for ``window`` (needs ``.pool`` and ``.notifier``), not started."""
    try:
        configs = load_targets()
    except TargetsFileError as error:
        window.notifier.report("Plans", str(error))  # type: ignore[attr-defined]
        configs = [demo_config()]
    audit = audit or AuditLog()
    notifications = Notifications(window.pool, window.notifier, window.statusBar(), window)  # type: ignore[attr-defined]
    controller = PlanController(
        [TargetRuntime(config) for config in configs],
        window.pool,  # type: ignore[attr-defined]
        window.notifier,  # type: ignore[attr-defined]
        audit,
        notifications.notify,
        parent=window,
    )
    view = AuditView(audit, window.pool, window.notifier)  # type: ignore[attr-defined]
    controller.plans_changed.connect(view.refresh)
    workspace = PlansWorkspace(controller, view)
    workspace.notifications = notifications  # type: ignore[attr-defined]
    return workspace


def install_plans(window: QMainWindow) -> PlansWorkspace:
    """Add the Plans tab to ``window`` and start the plan loop; the window shuts it down."""
    workspace = build_plans(window)
    window.add_workspace("Plans", workspace)  # type: ignore[attr-defined]
    workspace.controller.start()
    workspace.audit.refresh()
    return workspace
