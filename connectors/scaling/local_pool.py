"""A simulated pool of identical units: the scaling target that needs no cloud account.

Each unit remembers when it was started and serves only once its warm-up has
passed, like a real instance that boots and fills its caches. ``set_capacity``
is absolute (so idempotent), removes the newest units first (they are the ones
still warming up, and the oldest are the most proven), and reads the size back
before reporting success — from the state file when there is one, so a success
means the new size survives a restart. All methods are thread-safe: a GUI worker
may scale the pool while another thread asks it to serve demand.
"""

from __future__ import annotations

import contextlib
import json
import math
import operator
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from connectors.scaling.base import ExecutionError, ExecutionResult

STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class PoolSnapshot:
    """How the pool coped with one demand value at one moment.

    ``capacity`` counts every unit, ``serving`` only the warm ones; ``served`` and
    ``unserved`` are in the demand's unit (e.g. requests/s); ``utilisation`` is
    served / (serving × unit capacity), 0 when no unit is serving.
    """

    timestamp: float
    demand: float
    capacity: int
    serving: int
    served: float
    unserved: float
    utilisation: float


class PoolStateError(ExecutionError):
    """The pool's state file cannot be read or written."""

    def __init__(self, target: str, path: Path, reason: str) -> None:
        super().__init__(target, f"state file {path}: {reason}")
        self.path = path


class LocalPool:
    """A thread-safe simulated pool; satisfies :class:`ScalingExecutor`.

    ``initial`` units start already warm. With ``state_path``, the pool's units
    are saved as JSON after each change and loaded on construction, so a restart
    keeps the size (``initial`` is then ignored). ``clock`` returns seconds; the
    demo passes an accelerated clock so warm-up follows simulated time.
    """

    def __init__(
        self,
        name: str,
        initial: int,
        min_size: int,
        max_size: int,
        warmup_s: float,
        clock: Callable[[], float] = time.time,
        state_path: Path | str | None = None,
    ) -> None:
        if not 0 <= min_size <= max_size:
            raise ValueError(f"need 0 <= min_size <= max_size, got {min_size} and {max_size}")
        if not min_size <= initial <= max_size:
            raise ValueError(f"initial {initial} outside [{min_size}, {max_size}]")
        if not (math.isfinite(warmup_s) and warmup_s >= 0):
            raise ValueError(f"warmup_s must be a finite number >= 0, got {warmup_s}")
        self.name = name
        self.min_size = min_size
        self.max_size = max_size
        self.warmup_s = float(warmup_s)
        self._clock = clock
        self._state_path = Path(state_path) if state_path is not None else None
        self._lock = threading.Lock()
        now = clock()
        loaded = self._load_units()
        if loaded is None:
            loaded = [now - self.warmup_s] * initial
        else:
            # A start after "now" means the clock moved back (an accelerated demo clock
            # restarts at wall time): such units restart their warm-up now.
            loaded = [min(started, now) for started in loaded]
        # Start times, oldest first: scale-in pops from the end (newest first).
        self._units: list[float] = sorted(loaded)

    @property
    def target(self) -> str:
        return f"local:{self.name}"

    def current_capacity(self) -> int:
        with self._lock:
            return len(self._units)

    def unit_start_times(self) -> list[float]:
        """When each unit was started, oldest first (a copy)."""
        with self._lock:
            return list(self._units)

    def serving_units(self, now: float | None = None) -> int:
        """Units whose warm-up has finished at ``now`` (default: the clock)."""
        with self._lock:
            return self._serving(self._clock() if now is None else now)

    def set_capacity(self, desired: int) -> ExecutionResult:
        desired = self._whole_units(desired)
        if not self.min_size <= desired <= self.max_size:
            raise ExecutionError(
                self.target,
                f"desired capacity {desired} is outside the pool's bounds "
                f"(min {self.min_size}, max {self.max_size})",
            )
        with self._lock:
            previous = len(self._units)
            before = list(self._units)
            if desired == previous:
                detail = f"already at {desired} units; nothing changed"
            elif desired > previous:
                started = self._clock()
                self._units.extend([started] * (desired - previous))
                detail = (
                    f"started {desired - previous} unit(s); they serve after "
                    f"{self.warmup_s:g} s of warm-up"
                )
            else:
                del self._units[desired:]
                detail = f"stopped {previous - desired} unit(s), newest first"
            if desired != previous:
                try:
                    self._save_units()
                except PoolStateError:
                    self._units = before  # memory must not claim a size the file lacks
                    raise
            verified = self._read_back()
        if verified != desired:
            raise ExecutionError(self.target, f"asked for {desired} units but read back {verified}")
        return ExecutionResult(self.target, desired, previous, verified, detail)

    def serve(self, demand: float, unit_capacity: float, now: float | None = None) -> PoolSnapshot:
        """Serve ``demand`` with the warm units at ``now``; nothing is queued or carried over."""
        if not unit_capacity > 0:
            raise ValueError(f"unit_capacity must be > 0, got {unit_capacity}")
        demand = max(0.0, float(demand))
        with self._lock:
            moment = self._clock() if now is None else float(now)
            capacity = len(self._units)
            serving = self._serving(moment)
        servable = serving * unit_capacity
        served = min(demand, servable)
        return PoolSnapshot(
            timestamp=moment,
            demand=demand,
            capacity=capacity,
            serving=serving,
            served=served,
            unserved=demand - served,
            utilisation=served / servable if servable > 0 else 0.0,
        )

    # -- internals (callers hold the lock, except during construction) -----------------

    def _serving(self, now: float) -> int:
        return sum(1 for started in self._units if started + self.warmup_s <= now)

    def _whole_units(self, desired: object) -> int:
        if isinstance(desired, bool):
            raise ExecutionError(
                self.target, f"desired capacity must be a whole number, got {desired!r}"
            )
        try:
            return operator.index(desired)  # int and numpy integers, not 2.5
        except TypeError:
            if isinstance(desired, float) and desired.is_integer():
                return int(desired)
            raise ExecutionError(
                self.target, f"desired capacity must be a whole number, got {desired!r}"
            ) from None

    def _read_back(self) -> int:
        if self._state_path is None:
            return len(self._units)
        units = self._load_units()
        return 0 if units is None else len(units)

    def _load_units(self) -> list[float] | None:
        path = self._state_path
        if path is None or not path.exists():
            return None
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise PoolStateError(self.target, path, f"cannot read: {error.strerror}") from None
        except ValueError as error:
            raise PoolStateError(self.target, path, f"not valid JSON ({error})") from None
        units = state.get("units") if isinstance(state, dict) else None
        if (
            not isinstance(units, list)
            or state.get("version") != STATE_VERSION
            or not all(isinstance(u, int | float) and not isinstance(u, bool) for u in units)
        ):
            raise PoolStateError(
                self.target,
                path,
                f"expected {{'version': {STATE_VERSION}, 'units': [start times]}}",
            )
        return [float(u) for u in units]

    def _save_units(self) -> None:
        path = self._state_path
        if path is None:
            return
        state = {"version": STATE_VERSION, "name": self.name, "units": self._units}
        temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(state), encoding="utf-8")
            os.replace(temporary, path)  # a crash leaves the old state, never half a file
        except OSError as error:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise PoolStateError(self.target, path, f"cannot write: {error.strerror}") from None
