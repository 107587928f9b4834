"""Rightsizing: targets whose peak use over the last days stays far under their capacity.

The suggestion of each target comes with its latest forecast cycle (computed in that
cycle's worker from the same history, see ``controller.forecast_and_plan``); this view
only lists them, biggest saving first, and says plainly when there is nothing to save.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from console.plans.plan_detail import fill_table, make_table
from models.planning import RightsizingSuggestion

HEADERS = ("Target", "Now", "Peak use", "Suggested", "Saving $/h", "Saving $/month", "Based on")


class RightsizingView(QWidget):
    def __init__(self, days: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.days = days
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = make_table(HEADERS)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.show_suggestions({}, checked=0)

    def show_suggestions(
        self, suggestions: Mapping[str, RightsizingSuggestion | None], checked: int
    ) -> None:
        """``suggestions`` per target (None: not over-provisioned); ``checked`` targets seen."""
        found = sorted(
            (s for s in suggestions.values() if s is not None), key=lambda s: -s.saving_per_hour
        )
        fill_table(self.table, [_row(s) for s in found])
        if not checked:
            text = "Waiting for the first forecast of each target."
        elif not found:
            text = (
                f"Nothing to rightsize: every target's peak use over the last {self.days:g} days "
                f"is above half of its capacity ({checked} checked)."
            )
        else:
            total = sum(s.saving_per_month for s in found)
            text = (
                f"{len(found)} of {checked} targets peak at half their capacity or less over "
                f"the last {self.days:g} days; the suggested sizes keep 10 % headroom over "
                f"that peak and would save ${total:,.0f}/month. Change a target's size in "
                "its policy (minimum) or at its provider."
            )
        self.summary.setText(text)


def _row(s: RightsizingSuggestion) -> tuple[str, ...]:
    return (
        s.target,
        f"{s.current} units",
        f"{s.peak_units:.1f} units ({s.peak_fraction:.0%})",
        f"{s.suggested} units",
        f"{s.saving_per_hour:,.2f}",
        f"{s.saving_per_month:,.0f}",
        f"{s.samples} intervals, p99",
    )
