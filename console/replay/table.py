"""The policy comparison table: one row per replayed policy, the engine's figures."""

from __future__ import annotations

from console.analysis.results import ResultTable
from console.replay.jobs import POLICY_LABELS, ReplayOutcome
from console.views.units import format_value

COLUMNS = (
    "Policy",
    "Cost",
    "Unit-hours",
    "Under capacity",
    "Unserved demand",
    "Actions",
    "Peak units",
    "Cost vs static",
)


class ComparisonTable(ResultTable):
    def __init__(self) -> None:
        super().__init__(COLUMNS)
        # Room for all three policies without scrolling, even under a tall chart.
        rows = len(POLICY_LABELS) * self.verticalHeader().defaultSectionSize()
        self.setMinimumHeight(
            self.horizontalHeader().sizeHint().height()
            + rows
            + self.horizontalScrollBar().sizeHint().height()
            + 2 * self.frameWidth()
        )
        self.setToolTip(
            "Under capacity: % of replayed intervals where demand exceeded the serving units "
            "x unit capacity. Unserved demand: the sum of those shortfalls (demand units x "
            "intervals). Actions: intervals where the requested fleet changed."
        )

    def show_outcome(self, outcome: ReplayOutcome) -> None:
        rows = []
        for name, result in outcome.report.policies.items():
            versus = outcome.cost_vs_static(name)
            rows.append(
                [
                    POLICY_LABELS.get(name, name),
                    f"{result.cost:,.2f}",
                    f"{result.unit_hours:,.1f}",
                    f"{result.percent_under_capacity:.2f} %",
                    format_value(result.unserved_demand, ""),
                    f"{result.scaling_actions:,}",
                    f"{result.peak_units:,}",
                    "–" if versus is None else f"{versus:+.1f} %",
                ]
            )
        self.set_rows(rows)
