"""A value axis that labels ticks with units and SI prefixes (``20 MB/s``)."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg

from console.views.units import format_value


class UnitAxisItem(pg.AxisItem):
    def __init__(self, unit: str, orientation: str = "left", **kwargs: Any) -> None:
        super().__init__(orientation, **kwargs)
        self.unit = unit
        self.enableAutoSIPrefix(False)  # we format the prefix into every tick instead

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802 - Qt naming
        if self.unit == "%":
            return [f"{v:g}%" for v in values]
        return [format_value(v * scale, self.unit, digits=3) for v in values]
