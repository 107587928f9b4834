"""Scores of backtest frames: one dict per frame, a DataFrame per (series, model).

A backtest frame has the columns ``actual, mean, lo_<L>, hi_<L>`` (one pair per level) and
optionally ``reference`` (the last value known at the origin, for directional accuracy)
— the format of :func:`models.forecast.backtest.rolling_origin_backtest`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from models.evaluation.metrics import (
    coverage,
    directional_accuracy,
    mape,
    mase,
    rmse,
    smape,
    wape,
)


def score(frame: pd.DataFrame, scale: float, levels: Sequence[int] = (80, 95)) -> dict[str, float]:
    actual, mean = frame["actual"], frame["mean"]
    result = {
        "mase": mase(actual, mean, scale),
        "smape": smape(actual, mean),
        "wape": wape(actual, mean),
        "mape": mape(actual, mean),
        "rmse": rmse(actual, mean),
    }
    for level in levels:
        result[f"coverage_{level}"] = coverage(actual, frame[f"lo_{level}"], frame[f"hi_{level}"])
    if "reference" in frame:
        result["directional"] = directional_accuracy(actual, mean, frame["reference"])
    return result


def scoreboard(
    frame: pd.DataFrame, scales: Mapping[str, float], levels: Sequence[int] = (80, 95)
) -> pd.DataFrame:
    """Rows indexed by (series, model), one column per metric.

    ``frame`` stacks backtest frames with extra ``series`` and ``model`` columns;
    ``scales[series]`` is that series' MASE denominator.
    """
    rows = []
    for (series, model), group in frame.groupby(["series", "model"], sort=True):
        rows.append({"series": series, "model": model, **score(group, scales[series], levels)})
    return pd.DataFrame(rows).set_index(["series", "model"])
