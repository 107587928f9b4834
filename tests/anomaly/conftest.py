"""Synthetic series shared by the anomaly tests."""

from __future__ import annotations

import numpy as np

FIVE_MINUTES = 300.0
START = 1_700_000_000.0  # 2023-11-14, a UTC epoch


def timestamps(n: int) -> np.ndarray:
    return START + FIVE_MINUTES * np.arange(n)


def daily_noise(n: int, seed: int = 0, level: float = 50.0) -> np.ndarray:
    """A metric with a daily cycle (288 points of 5 min) and Gaussian noise."""
    rng = np.random.default_rng(seed)
    return level + 5 * np.sin(2 * np.pi * np.arange(n) / 288) + rng.normal(0, 1, n)
