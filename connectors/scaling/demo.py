"""The demo target: real demand replayed "now", served by a simulated pool.

The bundled trace (``resources/demo/demand.csv``, see its README for provenance)
is three weeks of New York taxi demand at 30-minute resolution, scaled to
requests/s. It starts on a Monday at 00:00 and loops, aligned on the week, so at
any time the demand follows the same weekday and hour of day as the clock shows.

Time in the demo is *demo time*: it equals the wall clock when the demo starts and
then runs ``speed`` times faster (``speed=60``: an hour per minute). Demand,
samples, the pool's warm-up and the price per unit-hour all follow demo time, so
forecasts and plans see ordinary-looking timestamps and a 30-minute step.

    demo = DemoEnvironment.create(speed=60)
    demo.history(n)          # the last n samples on a regular grid (backfilled at start)
    demo.tick()              # -> DemoSample now; call it from a timer
    demo.executor            # the LocalPool, a ScalingExecutor for plans
"""

from __future__ import annotations

import csv
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from connectors.scaling.local_pool import LocalPool

TRACE_PATH = Path(__file__).resolve().parent.parent.parent / "resources" / "demo" / "demand.csv"
# 1970-01-05 00:00 UTC was a Monday: the trace's first point is aligned on it.
MONDAY_EPOCH_S = 4 * 86_400.0
# Derivation of the bundled trace from NAB's nyc_taxi.csv (passengers per 30 min).
SOURCE_START = "2014-10-06 00:00:00"  # a Monday; no labelled anomaly within 3 weeks
SOURCE_WEEKS = 3
PASSENGERS_PER_REQUEST_S = 20.0  # 28,600 passengers/30 min at the peak -> 1,430 requests/s


class DemoTraceError(Exception):
    """The demand trace file is missing or malformed."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        super().__init__(f"{path}{'' if line is None else f':{line}'}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass(frozen=True, eq=False)
class DemoTrace:
    """A demand cycle: ``values[i]`` requests/s at ``i × step_s`` after a Monday 00:00."""

    values: np.ndarray
    step_s: float

    @classmethod
    def load(cls, path: Path | str = TRACE_PATH) -> DemoTrace:
        """Read ``timestamp,requests_per_s`` rows at a regular step (the bundled trace)."""
        path = Path(path)
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.reader(handle))
        except OSError as error:
            raise DemoTraceError(path, None, f"cannot read: {error.strerror}") from None
        if not rows or [cell.strip() for cell in rows[0]] != ["timestamp", "requests_per_s"]:
            raise DemoTraceError(path, 1, "expected header 'timestamp,requests_per_s'")
        stamps, values = [], []
        for line, row in enumerate(rows[1:], start=2):
            try:
                stamp = np.datetime64(row[0].strip(), "s")
                value = float(row[1])
            except (IndexError, ValueError):
                raise DemoTraceError(path, line, f"bad row {','.join(row)!r}") from None
            if not (math.isfinite(value) and value >= 0):
                raise DemoTraceError(path, line, f"demand must be >= 0, got {row[1]!r}")
            stamps.append(stamp)
            values.append(value)
        if len(values) < 2:
            raise DemoTraceError(path, None, "needs at least two rows")
        steps = np.diff(np.array(stamps)).astype(float)
        if not (steps > 0).all() or len(set(steps)) != 1:
            line = int(np.flatnonzero(steps != steps[0])[0]) + 3
            raise DemoTraceError(path, line, "timestamps must be evenly spaced and increasing")
        return cls(np.array(values, dtype=float), float(steps[0]))

    @property
    def duration_s(self) -> float:
        return len(self.values) * self.step_s

    def demand_at_offset(self, offset_s: float | np.ndarray) -> float | np.ndarray:
        """Demand ``offset_s`` into the cycle, linearly interpolated, looping at the end."""
        position = np.mod(np.asarray(offset_s, dtype=float), self.duration_s) / self.step_s
        below = np.floor(position).astype(int)
        fraction = position - below
        above = (below + 1) % len(self.values)
        below %= len(self.values)  # guards float rounding of the modulo to the cycle's end
        result = self.values[below] * (1 - fraction) + self.values[above] * fraction
        return float(result) if np.ndim(result) == 0 else result

    def demand_at(self, demo_time: float | np.ndarray) -> float | np.ndarray:
        """Demand at a (demo) epoch time: same weekday and hour as in the trace."""
        return self.demand_at_offset(np.asarray(demo_time, dtype=float) - MONDAY_EPOCH_S)

    def shifted(self, now: float, speed: float = 1.0) -> ShiftedTrace:
        """Replay from wall-clock ``now``, ``speed`` times faster than real time."""
        return ShiftedTrace(self, anchor=float(now), speed=float(speed))


@dataclass(frozen=True)
class ShiftedTrace:
    """Demand at wall-clock times: demo time is ``anchor + (wall - anchor) × speed``."""

    trace: DemoTrace
    anchor: float
    speed: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed) and self.speed > 0):
            raise ValueError(f"speed must be > 0, got {self.speed}")

    def demo_time(self, wall_time: float) -> float:
        return self.anchor + (wall_time - self.anchor) * self.speed

    def wall_time(self, demo_time: float) -> float:
        return self.anchor + (demo_time - self.anchor) / self.speed

    def demand_at(self, wall_time: float) -> float:
        return float(self.trace.demand_at(self.demo_time(wall_time)))


@dataclass(frozen=True)
class DemoTarget:
    """Defaults that make plans interesting within a minute at 60×.

    Demand runs from ~85 to ~1,430 requests/s, so 1 to 15 units of 100 requests/s;
    starting at 8 units leaves peaks unserved and nights wasteful. A 5-minute warm-up
    is 5 s of wall time at 60×: an approved step shows its effect almost at once.
    """

    name: str = "demo"
    unit_capacity: float = 100.0  # requests/s one warm unit serves
    price_per_unit_hour: float = 0.20  # currency per unit per (demo) hour
    warmup_s: float = 300.0  # demo seconds
    initial: int = 8
    min_size: int = 1
    max_size: int = 20
    sample_step_s: float = 300.0  # demo seconds between history samples
    history_s: float = 14 * 86_400.0  # backfilled at start so forecasts work at once

    def __post_init__(self) -> None:
        if not (self.unit_capacity > 0 and self.sample_step_s > 0 and self.history_s > 0):
            raise ValueError("unit_capacity, sample_step_s and history_s must be > 0")


@dataclass(frozen=True, slots=True)
class DemoSample:
    """What the demo pool did at one demo time. ``serving`` counts warm units."""

    timestamp: float
    demand: float
    capacity: int
    serving: int
    utilisation: float
    unserved: float


class DemoEnvironment:
    """Replayed demand, a LocalPool serving it, and a history on a regular grid.

    Thread-safe: ``tick`` from a GUI timer while a worker calls
    ``executor.set_capacity``. ``wall_clock`` is injectable for tests.
    """

    def __init__(
        self,
        trace: ShiftedTrace,
        target: DemoTarget,
        wall_clock: Callable[[], float] = time.time,
        state_path: Path | str | None = None,
    ) -> None:
        self.trace = trace
        self.target = target
        self._wall_clock = wall_clock
        self.executor = LocalPool(
            target.name,
            target.initial,
            target.min_size,
            target.max_size,
            target.warmup_s,
            clock=self.clock,
            state_path=state_path,
        )
        self._lock = threading.Lock()
        capacity = max(1, math.ceil(target.history_s / target.sample_step_s))
        self._history: deque[DemoSample] = deque(maxlen=capacity)
        self._backfill(self.clock())

    @classmethod
    def create(
        cls,
        speed: float = 60.0,
        target: DemoTarget | None = None,
        now: float | None = None,
        wall_clock: Callable[[], float] = time.time,
        trace: DemoTrace | None = None,
        state_path: Path | str | None = None,
    ) -> DemoEnvironment:
        """A demo starting at wall time ``now`` (default: the clock) at ``speed``×."""
        start = wall_clock() if now is None else now
        replay = (trace or DemoTrace.load()).shifted(start, speed)
        return cls(replay, target or DemoTarget(), wall_clock, state_path)

    def clock(self) -> float:
        """The current demo time (epoch seconds)."""
        return self.trace.demo_time(self._wall_clock())

    def sample_at(self, demo_time: float) -> DemoSample:
        """What the pool does with the demand at ``demo_time`` (nothing is recorded)."""
        demand = float(self.trace.trace.demand_at(demo_time))
        snapshot = self.executor.serve(demand, self.target.unit_capacity, now=demo_time)
        return DemoSample(
            timestamp=demo_time,
            demand=demand,
            capacity=snapshot.capacity,
            serving=snapshot.serving,
            utilisation=snapshot.utilisation,
            unserved=snapshot.unserved,
        )

    def tick(self, now: float | None = None) -> DemoSample:
        """The sample at wall time ``now``; records every grid point passed since the last tick."""
        demo_now = self.trace.demo_time(self._wall_clock() if now is None else now)
        step = self.target.sample_step_s
        end = math.floor(demo_now / step) * step  # the latest grid point passed
        with self._lock:
            last = self._history[-1].timestamp if self._history else end - step
            # After a long pause (a suspended laptop) only ``maxlen`` points can be kept.
            first = max(last + step, end - ((self._history.maxlen or 1) - 1) * step)
            count = round((end - first) / step) + 1 if end >= first else 0
            for index in range(count):
                self._history.append(self.sample_at(first + index * step))
        return self.sample_at(demo_now)

    def history(self, n: int | None = None) -> list[DemoSample]:
        """The last ``n`` grid samples (all kept when ``n`` is None), oldest first."""
        with self._lock:
            samples = list(self._history)
        if n is None:
            return samples
        return samples[-n:] if n > 0 else []

    def history_frame(self, n: int | None = None) -> pd.DataFrame:
        """``history(n)`` as a DataFrame on a UTC DatetimeIndex named ``timestamp``."""
        samples = self.history(n)
        index = pd.to_datetime([s.timestamp for s in samples], unit="s", utc=True)
        columns = ("demand", "capacity", "serving", "utilisation", "unserved")
        return pd.DataFrame(
            {name: [getattr(s, name) for s in samples] for name in columns},
            index=pd.DatetimeIndex(index, name="timestamp"),
        )

    def cost_per_hour(self) -> float:
        """What the pool's current size costs per (demo) hour."""
        return self.executor.current_capacity() * self.target.price_per_unit_hour

    def _backfill(self, demo_now: float) -> None:
        # Before the demo started the pool ran at its initial size, warm all along.
        step = self.target.sample_step_s
        end = math.floor(demo_now / step) * step
        count = self._history.maxlen or 1
        times = end - step * np.arange(count - 1, -1, -1)
        demand = np.asarray(self.trace.trace.demand_at(times), dtype=float)
        capacity = self.executor.current_capacity()
        servable = capacity * self.target.unit_capacity
        served = np.minimum(demand, servable)
        for stamp, value, done in zip(times, demand, served, strict=True):
            self._history.append(
                DemoSample(
                    timestamp=float(stamp),
                    demand=float(value),
                    capacity=capacity,
                    serving=capacity,
                    utilisation=float(done / servable) if servable > 0 else 0.0,
                    unserved=float(value - done),
                )
            )


def derive_trace(source_csv: Path | str) -> list[tuple[str, float]]:
    """The bundled trace from NAB's nyc_taxi.csv: how resources/demo/demand.csv was made."""
    start = np.datetime64(SOURCE_START, "s")
    end = start + np.timedelta64(SOURCE_WEEKS * 7, "D")
    rows = []
    with Path(source_csv).open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            stamp = np.datetime64(record["timestamp"], "s")
            if start <= stamp < end:
                requests = round(float(record["value"]) / PASSENGERS_PER_REQUEST_S, 2)
                rows.append((record["timestamp"], requests))
    return rows


def write_trace(rows: list[tuple[str, float]], path: Path | str = TRACE_PATH) -> None:
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["timestamp", "requests_per_s"])
        writer.writerows((stamp, f"{value:g}") for stamp, value in rows)
