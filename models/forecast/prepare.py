"""Put a raw metric series onto a regular grid, explicitly, and say what was done.

Steps, in order (each counted in :class:`PreparedSeries`):

1. drop rows whose timestamp or value is missing or not finite;
2. infer the step as the median spacing of the distinct timestamps (unless given);
3. snap every timestamp to the nearest grid point counted from the first one and
   average the values that land on the same point (true duplicates and jitter alike);
4. fill gaps: runs of up to ``max_interpolated_gap`` missing points by linear
   interpolation; longer runs from the same time one day earlier when the step divides a
   day and that value exists, otherwise by linear interpolation as well. Every filled
   point is marked ``False`` in ``observed``;
5. detect a recent level shift (a step change in the rolling median that persists to the
   end) and, when at least ``min_points_after_shift`` points follow it, keep only the
   data from the shift on, so the models learn the current level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.forecast.base import InsufficientData

DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class PreparedSeries:
    values: np.ndarray  # regular grid, finite everywhere
    observed: np.ndarray  # True where the grid point had real data
    start: pd.Timestamp
    step: pd.Timedelta
    n_input: int  # rows given
    n_dropped_invalid: int  # rows without a timestamp or a finite value
    n_merged: int  # rows averaged into another row on the same grid point
    n_snapped: int  # rows moved to the nearest grid point (irregular timestamps)
    n_interpolated: int  # missing points filled by linear interpolation
    n_long_gap_filled: int  # missing points in long gaps (see module docstring)
    level_shift_at: pd.Timestamp | None = None  # where a detected shift starts
    n_dropped_before_shift: int = 0  # points discarded because they precede the shift

    def __len__(self) -> int:
        return len(self.values)

    @property
    def index(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=len(self.values), freq=self.step, name="timestamp")

    @property
    def end(self) -> pd.Timestamp:
        return self.start + self.step * (len(self.values) - 1)

    @property
    def n_missing(self) -> int:
        return self.n_interpolated + self.n_long_gap_filled

    def to_series(self) -> pd.Series:
        return pd.Series(self.values, index=self.index, name="value")

    def counts(self) -> dict[str, object]:
        return {
            "points": len(self.values),
            "input_rows": self.n_input,
            "dropped_invalid": self.n_dropped_invalid,
            "merged_duplicates": self.n_merged,
            "snapped_to_grid": self.n_snapped,
            "interpolated": self.n_interpolated,
            "long_gap_filled": self.n_long_gap_filled,
            "level_shift_at": None if self.level_shift_at is None else str(self.level_shift_at),
            "dropped_before_shift": self.n_dropped_before_shift,
        }


@dataclass(frozen=True)
class GriddedSeries:
    """Step 1-3 only: values on the grid with NaN where nothing was observed."""

    values: np.ndarray
    start: pd.Timestamp
    step: pd.Timedelta
    n_input: int
    n_dropped_invalid: int
    n_merged: int
    n_snapped: int

    @property
    def index(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=len(self.values), freq=self.step, name="timestamp")


def as_series(series: pd.Series) -> pd.Series:
    """A float series indexed by a UTC DatetimeIndex (naive timestamps are taken as UTC)."""
    index = pd.DatetimeIndex(pd.to_datetime(series.index, utc=True, errors="coerce"))
    return pd.Series(pd.to_numeric(series.to_numpy(), errors="coerce"), index=index, dtype=float)


def infer_step(index: pd.DatetimeIndex) -> pd.Timedelta:
    distinct = np.unique(index.as_unit("ns").asi8)
    if len(distinct) < 2:
        raise InsufficientData(len(distinct), 2, "need two distinct timestamps to infer the step")
    step_ns = int(np.median(np.diff(distinct)))
    # Round to whole seconds when the step is at least a second: jitter should not leak in.
    if step_ns >= 1_000_000_000:
        step_ns = int(round(step_ns / 1e9)) * 1_000_000_000
    return pd.Timedelta(step_ns, unit="ns")


def regularise(series: pd.Series, step: pd.Timedelta | None = None) -> GriddedSeries:
    """Steps 1-3: a regular grid with NaN where nothing was observed."""
    n_input = len(series)
    clean = as_series(series)
    valid = clean.index.notna() & np.isfinite(clean.to_numpy())
    clean = clean[valid].sort_index()
    n_dropped = n_input - len(clean)
    if len(clean) < 2:
        raise InsufficientData(len(clean), 2, "fewer than two valid rows")
    step = infer_step(clean.index) if step is None else pd.Timedelta(step)
    nanoseconds = clean.index.as_unit("ns").asi8  # pandas 3 may store us or s: be explicit
    start_ns = int(nanoseconds[0])
    offsets = (nanoseconds - start_ns) / pd.Timedelta(step).as_unit("ns").value
    slots = np.rint(offsets).astype(np.int64)
    n_snapped = int(np.count_nonzero(np.abs(offsets - slots) > 1e-9))
    length = int(slots[-1]) + 1
    sums = np.bincount(slots, weights=clean.to_numpy(), minlength=length)
    hits = np.bincount(slots, minlength=length)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(hits > 0, sums / np.maximum(hits, 1), np.nan)
    n_merged = int(np.sum(np.maximum(hits - 1, 0)))
    start = pd.Timestamp(start_ns, unit="ns", tz="UTC")
    return GriddedSeries(values, start, step, n_input, n_dropped, n_merged, n_snapped)


def fill_gaps(
    values: np.ndarray, step: pd.Timedelta, max_interpolated_gap: int
) -> tuple[np.ndarray, int, int]:
    """Step 4. Returns (filled values, points interpolated, points filled in long gaps)."""
    values = values.astype(float, copy=True)
    missing = np.isnan(values)
    if not missing.any():
        return values, 0, 0
    positions = np.arange(len(values))
    interpolated = np.interp(positions, positions[~missing], values[~missing])
    day_steps = int(DAY / step) if DAY % step == pd.Timedelta(0) else 0
    n_short = n_long = 0
    for first, last in _runs(missing):
        length = last - first + 1
        if length <= max_interpolated_gap or day_steps == 0:
            values[first : last + 1] = interpolated[first : last + 1]
            n_short += length
            continue
        for i in range(first, last + 1):
            # Same time yesterday (itself possibly filled already, left to right).
            previous = i - day_steps
            values[i] = values[previous] if previous >= 0 else interpolated[i]
        n_long += length
    return values, n_short, n_long


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(padded)
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def find_level_shift(values: np.ndarray, window: int) -> int | None:
    """Index where a persistent step change in level starts, or None.

    Compares the median of ``window`` points after each position with the median of the
    ``window`` points before. A shift must stand out from how that difference usually
    varies (x8 its robust spread), be large against the local spread of the data (x2.5),
    and persist: the median of everything after it must differ from the median of the
    window before it by at least half the jump.
    """
    n = len(values)
    if window < 3 or n < 4 * window:
        return None
    series = pd.Series(values)
    before = series.rolling(window).median().to_numpy()  # ends at t-1 after shifting
    after = series[::-1].rolling(window).median().to_numpy()[::-1]  # starts at t
    jumps = np.full(n, np.nan)
    jumps[window : n - window + 1] = (
        after[window : n - window + 1] - before[window - 1 : n - window]
    )
    valid = np.isfinite(jumps)
    spread_of_jumps = 1.4826 * np.median(np.abs(jumps[valid] - np.median(jumps[valid])))
    local = values - series.rolling(window, center=True, min_periods=1).median().to_numpy()
    local_spread = 1.4826 * np.median(np.abs(local - np.median(local)))
    centred = np.where(valid, np.abs(jumps - np.median(jumps[valid])), 0.0)
    t = int(np.argmax(centred))
    jump = jumps[t]
    if centred[t] <= 8 * spread_of_jumps or abs(jump) <= 2.5 * max(local_spread, 1e-12):
        return None
    persisted = np.median(values[t:]) - before[t - 1]
    if np.sign(persisted) != np.sign(jump) or abs(persisted) < 0.5 * abs(jump):
        return None
    return t


def prepare(
    series: pd.Series,
    *,
    step: pd.Timedelta | None = None,
    max_interpolated_gap: int = 12,
    handle_level_shift: bool = True,
    min_points_after_shift: int | None = None,
    min_points: int = 2,
) -> PreparedSeries:
    """Regularise ``series`` (values indexed by timestamps) for the models.

    ``min_points_after_shift`` defaults to two days of data (at least 48 points).
    Raises :class:`InsufficientData` when fewer than ``min_points`` grid points remain.
    """
    grid = regularise(series, step)
    values, n_short, n_long = fill_gaps(grid.values, grid.step, max_interpolated_gap)
    observed = ~np.isnan(grid.values)
    start = grid.start
    shift_at: pd.Timestamp | None = None
    n_dropped_shift = 0
    if handle_level_shift:
        day_steps = max(1, int(DAY / grid.step))
        window = min(day_steps, max(len(values) // 8, 3))
        needed = min_points_after_shift or max(2 * day_steps, 48)
        t = find_level_shift(values, window)
        if t is not None:
            shift_at = start + grid.step * t
            if len(values) - t >= needed:
                values, observed = values[t:], observed[t:]
                start, n_dropped_shift = shift_at, t
    if len(values) < min_points:
        raise InsufficientData(len(values), min_points)
    return PreparedSeries(
        values=values,
        observed=observed,
        start=start,
        step=grid.step,
        n_input=grid.n_input,
        n_dropped_invalid=grid.n_dropped_invalid,
        n_merged=grid.n_merged,
        n_snapped=grid.n_snapped,
        n_interpolated=n_short,
        n_long_gap_filled=n_long,
        level_shift_at=shift_at,
        n_dropped_before_shift=n_dropped_shift,
    )
