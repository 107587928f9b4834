"""The Plans tab: forecasts become capacity plans that a person (or a policy) approves.

``install_plans(window)`` builds everything and adds the tab; the lead wires that one
call into MainWindow. With no targets configured, the demo target runs at 60x in
"approval required" mode, so a proposal appears within seconds. Plans are saved under
the data directory (:mod:`connectors.plan_store`) and restored here on the next start.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import QMainWindow

from connectors.audit import AuditLog
from connectors.paths import data_dir
from connectors.plan_store import PlanSnapshot, PlanStore, PlanStoreError
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
    store = PlanStore()
    try:
        restored = store.load()  # small, once at start-up, like targets.json
    except PlanStoreError as error:
        window.notifier.report("Plans", str(error))  # type: ignore[attr-defined]
        restored = PlanSnapshot()
    notifications = Notifications(window.pool, window.notifier, window.statusBar(), window)  # type: ignore[attr-defined]
    runtimes = [
        TargetRuntime(
            config,
            demo_time=restored.clocks.get(config.name),
            pool_state=data_dir() / f"pool-{re.sub(r'[^A-Za-z0-9_.-]', '_', config.name)}.json",
        )
        for config in configs
    ]
    controller = PlanController(
        runtimes,
        window.pool,  # type: ignore[attr-defined]
        window.notifier,  # type: ignore[attr-defined]
        audit,
        notifications.notify,
        parent=window,
        store=store,
        restored=restored,
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
