"""Streaming anomaly detection: detectors, their combination, incidents and actions.

See :mod:`models.anomaly.base` for the interface every detector follows.
"""

from __future__ import annotations

from models.anomaly.base import Detector, epoch_seconds
from models.anomaly.combined import CombinedDetector, CombinedScores
from models.anomaly.flatline import FlatlineDetector
from models.anomaly.incidents import Hysteresis, Incident, Severity, incident_spans
from models.anomaly.iqr import IQRDetector
from models.anomaly.isolation import IsolationForestDetector
from models.anomaly.level_shift import LevelShiftDetector
from models.anomaly.patterns import Pattern
from models.anomaly.pipeline import HostResult, SeriesResult, detect_host, detect_series
from models.anomaly.robust_z import RobustZScore
from models.anomaly.seasonal import SeasonalBandDetector
from models.anomaly.trend import TrendDetector

__all__ = [
    "CombinedDetector",
    "CombinedScores",
    "Detector",
    "FlatlineDetector",
    "HostResult",
    "Hysteresis",
    "IQRDetector",
    "Incident",
    "IsolationForestDetector",
    "LevelShiftDetector",
    "Pattern",
    "RobustZScore",
    "SeasonalBandDetector",
    "SeriesResult",
    "Severity",
    "TrendDetector",
    "detect_host",
    "detect_series",
    "epoch_seconds",
    "incident_spans",
]
