"""What the Analysis and What-if workspace tests share: a workspace with its own pool, a drop."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDropEvent

from console.file_workspace import FileWorkspace
from console.theme import DARK


@contextmanager
def workspace_on_own_pool(
    qtbot: object, make: Callable[[QThreadPool], FileWorkspace]
) -> Iterator[FileWorkspace]:
    """A dark-themed workspace at a desktop size; its workers are waited for afterwards."""
    pool = QThreadPool()
    view = make(pool)
    view.apply_theme(DARK)
    view.resize(1300, 820)
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    try:
        yield view
    finally:
        view.shutdown()
        pool.waitForDone(10_000)


def drop_file(view: FileWorkspace, path: Path) -> None:
    """Drop ``path`` on ``view`` as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    view.dropEvent(event)
