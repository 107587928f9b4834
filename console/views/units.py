"""Readable numbers for axes and readouts: 1.5 MB/s, 23.4 %, 812 kB."""

from __future__ import annotations

import math

SI_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def format_value(value: float, unit: str, digits: int = 3) -> str:
    """``format_value(1536000, "B/s") == "1.54 MB/s"``; percentages stay unscaled."""
    if value is None or not math.isfinite(value):
        return "–"
    if unit == "%":
        return f"{value:.1f} %"
    scaled, prefix = value, ""
    for factor, symbol in SI_PREFIXES:
        if abs(value) >= factor:
            scaled, prefix = value / factor, symbol
            break
    text = _significant(scaled, digits)
    suffix = f"{prefix}{unit}"
    return f"{text} {suffix}" if suffix else text


def format_bytes(size: int | None) -> str:
    return "–" if size is None else format_value(float(size), "B")


def _significant(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    magnitude = int(math.floor(math.log10(abs(value))))
    decimals = max(0, digits - 1 - magnitude)
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
