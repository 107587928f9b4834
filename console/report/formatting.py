"""Human wording for times, durations, periods and numbers in reports."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pandas as pd

DAY = pd.Timedelta(days=1)
WEEK = pd.Timedelta(days=7)


def utc_time(epoch_or_stamp: float | pd.Timestamp) -> str:
    """``2014-02-14 14:30 UTC`` (seconds only when there are any)."""
    if isinstance(epoch_or_stamp, pd.Timestamp):
        stamp = epoch_or_stamp.tz_convert("UTC") if epoch_or_stamp.tzinfo else epoch_or_stamp
        moment = stamp.to_pydatetime()
    else:
        moment = datetime.fromtimestamp(float(epoch_or_stamp), tz=UTC)
    layout = "%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M"
    return moment.strftime(layout) + " UTC"


def duration(seconds: float) -> str:
    """``45 s``, ``5 min``, ``2 h 30 min``, ``3 d 4 h``: the two largest units."""
    if not math.isfinite(seconds):
        return "–"
    seconds = round(abs(seconds))
    if seconds < 60:
        return f"{seconds} s"
    units = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
    parts = []
    for name, size in units:
        count, seconds = divmod(seconds, size)
        if count or parts:
            parts.append((count, name))
    shown = [f"{count} {name}" for count, name in parts[:2] if count]
    return " ".join(shown)


def period_name(period: int, step: pd.Timedelta) -> str:
    """``daily (288 steps)``, ``weekly (2016 steps)`` or ``every 6 h (72 steps)``."""
    length = step * period
    if length == DAY:
        words = "daily"
    elif length == WEEK:
        words = "weekly"
    else:
        words = f"every {duration(length.total_seconds())}"
    return f"{words} ({period:,} steps)"


def number(value: float, digits: int = 3) -> str:
    """Significant digits without scientific notation for everyday magnitudes."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 6 or magnitude < -4:
        return f"{value:.{digits - 1}e}"
    decimals = max(0, digits - 1 - magnitude)
    return f"{value:,.{decimals}f}"


def percent(fraction_or_percent: float, already_percent: bool = False) -> str:
    if fraction_or_percent is None or not math.isfinite(fraction_or_percent):
        return "–"
    value = fraction_or_percent if already_percent else fraction_or_percent * 100
    return f"{value:.1f} %"
