"""Small synthetic series shared by the forecasting tests (fast to fit, known structure)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def seasonal_series(
    days: int = 21,
    freq: str = "1h",
    weekly: bool = False,
    noise: float = 1.0,
    trend: float = 0.0,
    seed: int = 0,
    start: str = "2024-01-01",
) -> pd.Series:
    """Daily sine (+ optional weekday/weekend difference) + noise + linear trend."""
    index = pd.date_range(start, periods=int(pd.Timedelta(days=days) / pd.Timedelta(freq)),
                          freq=freq, tz="UTC", name="timestamp")  # fmt: skip
    hours = index.hour.to_numpy() + index.minute.to_numpy() / 60
    values = 50 + 10 * np.sin(2 * np.pi * hours / 24)
    if weekly:
        values += np.where(index.day_of_week.to_numpy() >= 5, -15.0, 0.0)
    rng = np.random.default_rng(seed)
    values += rng.normal(0, noise, len(index)) + trend * np.arange(len(index))
    return pd.Series(values, index=index, name="value")
