"""Which incidents hold scale-in: those still open on the driving metric.

The planner never scales in while the target's metrics are anomalous: a dip during an
outage or a broken exporter is no reason to shed capacity that will be needed when it
ends. A *trend* does not hold: demand falling steadily for days is exactly what scale-in
is for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # importing the detectors pulls in scikit-learn: keep it off import time
    from models.anomaly import Incident


def open_incidents(demand: pd.Series, metric: str, target: str) -> tuple[Incident, ...]:
    """Incidents of ``demand`` (one point per plan interval) still open at its last
    point, other than trends."""
    from models.anomaly import Pattern, detect_series, epoch_seconds

    values = demand.to_numpy(dtype=float)
    if len(values) == 0:
        return ()
    found = detect_series(values, epoch_seconds(demand.index), metric, target).incidents
    last = len(values) - 1
    return tuple(i for i in found if i.end_row == last and i.pattern is not Pattern.TREND)
