"""Draws the fleet table's text cells from the model's formatted cells, with cached text layouts.

Qt's stock delegate asks the model for every role and lays each cell's text out
again on every paint: with ~400 cells on screen repainted twice a second that was
most of the GUI thread's time. Here a text is laid out once, as a ``QStaticText``
kept by its string (CPU "52.3", host names, statuses recur from one refresh to the
next), and each paint is a fill and a glyph blit.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QStaticText, QTransform
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

PADDING = 4
MAX_LAYOUTS = 8192  # distinct strings kept laid out (~1 KB each); then start again
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight)
_SELECTED = QStyle.StateFlag.State_Selected.value


class CellDelegate(QStyledItemDelegate):
    """For models with ``cell_at(position, column) -> {role: value}`` (the FleetModel)."""

    def __init__(self, parent: QObject | None = None, alternate: bool = True) -> None:
        super().__init__(parent)
        self.alternate = alternate  # shade odd rows (the view has no hidden or moved rows)
        self._palette_key = -1
        self._colours: tuple[QBrush, QBrush, QColor, QColor] | None = None
        self._layouts: dict[str, QStaticText] = {}

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        # Each attribute of ``option`` read from Python is a wrapped copy, and operators on
        # Qt's enums run Python code: read each once and test flags on plain ints.
        model: Any = index.model()
        position = index.row()
        cell = model.cell_at(position, index.column())
        rect = option.rect
        palette = option.palette
        if palette.cacheKey() != self._palette_key or self._colours is None:
            self._palette_key = palette.cacheKey()
            self._layouts.clear()  # a new theme may come with a new font
            self._colours = (
                palette.highlight(),
                palette.alternateBase(),
                palette.highlightedText().color(),
                palette.text().color(),
            )
        highlight, alternate, highlighted_text, text_colour = self._colours
        selected = bool(option.state.value & _SELECTED)
        if selected:
            painter.fillRect(rect, highlight)
        elif position % 2 and self.alternate:  # what the view's "alternating rows" means
            painter.fillRect(rect, alternate)
        display = cell.get(_DISPLAY)
        if not display:
            return
        text = self._layouts.get(display)  # type: ignore[arg-type]
        if text is None:
            if len(self._layouts) >= MAX_LAYOUTS:
                self._layouts.clear()
            text = self._layouts[display] = QStaticText(display)  # type: ignore[index]
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.prepare(QTransform(), painter.font())
        painter.setPen(highlighted_text if selected else cell.get(_FOREGROUND) or text_colour)
        size = text.size()
        left, top, width, height = rect.getRect()
        if cell.get(_ALIGNMENT, 0) & _RIGHT:
            x = left + width - PADDING - size.width()
        else:
            x = left + PADDING
        y = top + (height - size.height()) / 2
        if size.width() + 2 * PADDING <= width:
            painter.drawStaticText(int(x), int(y), text)
            return
        painter.save()  # too wide for the column: clip rather than spill into the next cell
        painter.setClipRect(rect.adjusted(0, 0, -PADDING, 0))
        painter.drawStaticText(int(max(x, left + PADDING)), int(y), text)
        painter.restore()
