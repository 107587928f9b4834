"""Paints a host's recent CPU as a sparkline inside its table cell: no widget per row."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from console.fleet.fleet_model import SPARK_KEY_ROLE, SPARK_ROLE

LINE = QColor("#3a8fd9")
_SELECTED = QStyle.StateFlag.State_Selected.value
SPARK_MAX = 100.0  # CPU percent: a fixed scale so rows compare at a glance


class SparklineDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pen = QPen(LINE)
        self.pen.setWidth(1)
        self.pen.setCosmetic(True)  # width-1 cosmetic pens are the cheap ones
        self._cache: dict[object, tuple[object, QPixmap | None]] = {}

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if option.state.value & _SELECTED:  # on ints: Qt's enum operators run Python code
            painter.fillRect(option.rect, option.palette.highlight())
            # The line is drawn in the highlight's own blue: give it a backdrop to stay legible.
            painter.fillRect(option.rect.adjusted(2, 2, -2, -2), option.palette.base())
        # The line only changes when a new history slot is written (every 10 s), but the
        # table repaints a few times a second: draw each line once, then blit it.
        size = option.rect.size()
        model = index.model()
        if hasattr(model, "spark_at"):  # the fleet model: ask it directly, not through C++
            row_key, values = model.spark_at(index.row())
        else:
            row_key, values = index.data(SPARK_KEY_ROLE), lambda: index.data(SPARK_ROLE)
        key = (row_key, size.width(), size.height())
        row = key[0][0] if isinstance(key[0], tuple) else None
        pixmap = self._cache.get(row) if row is not None else None
        if pixmap is None or pixmap[0] != key:
            pixmap = (key, self._render(values(), size.width(), size.height()))
            if row is not None:
                self._cache[row] = pixmap  # one entry per host: bounded by the fleet size
        if pixmap[1] is not None:
            painter.drawPixmap(option.rect.topLeft(), pixmap[1])

    def _render(self, values: object, width: int, height: int) -> QPixmap | None:
        if not isinstance(values, np.ndarray) or not np.isfinite(values).any():
            return None
        pixmap = QPixmap(max(width, 1), max(height, 1))
        pixmap.fill(QColor(0, 0, 0, 0))
        painter = QPainter(pixmap)
        self._draw(painter, values, width, height)
        painter.end()
        return pixmap

    def _draw(self, painter: QPainter, values: np.ndarray, width: int, height: int) -> None:
        left, top, span_x, span_y = 2.0, 3.0, max(width - 4.0, 1.0), max(height - 6.0, 1.0)
        step = span_x / max(len(values) - 1, 1)
        clipped = np.clip(values, 0.0, SPARK_MAX)
        ys = top + span_y - clipped / SPARK_MAX * span_y
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(self.pen)
        # Gaps (NaN) split the line so a silent host does not look flat.
        run: list[QPointF] = []
        for i, y in enumerate(ys.tolist()):
            if y != y:  # NaN
                if len(run) > 1:
                    painter.drawPolyline(QPolygonF(run))
                run = []
                continue
            run.append(QPointF(left + i * step, y))
        if len(run) > 1:
            painter.drawPolyline(QPolygonF(run))
        elif len(run) == 1:
            painter.drawPoint(run[0])

    def sizeHint(  # noqa: N802 - Qt API
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> object:
        hint = super().sizeHint(option, index)
        hint.setWidth(max(hint.width(), 120))
        return hint
