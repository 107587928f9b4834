"""The What-if workspace: policy replay of a recorded demand series in the console
(:mod:`console.replay.workspace`, its chart, comparison table and jobs).

``install_replay(window)`` adds the tab; the main window calls it once, after its first paint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    from console.replay.workspace import ReplayWorkspace

TAB_TITLE = "What-if"


def install_replay(window: QMainWindow) -> ReplayWorkspace:
    """Add the What-if tab to ``window`` (a MainWindow: ``add_workspace``, ``pool``).

    The window's shutdown calls the workspace's, which cancels a running replay.
    """
    from console.replay.workspace import ReplayWorkspace

    workspace = ReplayWorkspace(getattr(window, "pool", None))
    theme = getattr(window, "current_theme", None)
    if theme is not None:
        workspace.apply_theme(theme)
    window.add_workspace(TAB_TITLE, workspace)  # type: ignore[attr-defined]
    return workspace
