"""NVIDIA GPU utilisation through ``nvidia-smi``, when this machine has it.

No GPU library is imported: ``nvidia-smi`` ships with the driver, so if it runs,
the numbers are there. When it is absent or fails, the probe says it is
unavailable and the collector simply does not offer ``gpu.*`` metrics.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass

log = logging.getLogger(__name__)

QUERY_ARGS = (
    "--query-gpu=index,utilization.gpu,memory.used,memory.total",
    "--format=csv,noheader,nounits",
)
# nvidia-smi answers in tens of milliseconds; a hung driver must not stall collection.
DEFAULT_TIMEOUT_S = 2.0
# A GPU that stopped answering is given up after this many failed reads in a row.
MAX_CONSECUTIVE_FAILURES = 3


@dataclass(frozen=True, slots=True)
class GpuReading:
    """One GPU's state. ``None`` where nvidia-smi reports ``[N/A]`` or similar."""

    index: int
    util_percent: float | None
    mem_used_percent: float | None


def _number(text: str) -> float | None:
    text = text.strip().strip("[]")
    try:
        value = float(text)
    except ValueError:
        return None  # "N/A", "Not Supported", "ERR!", ...
    return value if value == value else None  # NaN is not a reading


def parse_query_output(text: str) -> list[GpuReading]:
    """Parse ``index, utilization.gpu, memory.used, memory.total`` lines.

    Lines that do not have four fields or whose index is not an integer are
    skipped (nvidia-smi prints warnings on stdout on some drivers).
    """
    readings = []
    for line in text.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != 4 or not fields[0].isdigit():
            continue
        util, used, total = (_number(field) for field in fields[1:])
        mem_percent = None
        if used is not None and total is not None and total > 0:
            mem_percent = min(100.0, max(0.0, 100.0 * used / total))
        if util is not None:
            util = min(100.0, max(0.0, util))
        readings.append(GpuReading(int(fields[0]), util, mem_percent))
    return readings


class GpuProbe:
    """Reads GPU utilisation with ``nvidia-smi``; ``available`` is False when it cannot."""

    def __init__(self, command: str = "nvidia-smi", timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout = timeout
        self._executable = shutil.which(command)
        self._failures = 0
        self.available = self._executable is not None and bool(self._run())

    def _run(self) -> list[GpuReading]:
        assert self._executable is not None
        try:
            result = subprocess.run(
                [self._executable, *QUERY_ARGS],
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as error:
            log.debug("nvidia-smi failed: %s", error)
            return []
        if result.returncode != 0:
            log.debug("nvidia-smi exited with %s", result.returncode)
            return []
        return parse_query_output(result.stdout)

    def read(self) -> list[GpuReading]:
        """Current readings, or ``[]`` when unavailable (never raises)."""
        if not self.available:
            return []
        readings = self._run()
        if readings:
            self._failures = 0
            return readings
        self._failures += 1
        if self._failures >= MAX_CONSECUTIVE_FAILURES:
            # Logged once, then the metric is no longer offered: no error spam.
            log.warning("nvidia-smi stopped answering; GPU metrics disabled")
            self.available = False
        return []
