"""Pure parsers for what a Linux host prints: /proc files, ``df -P`` and nvidia-smi.

:data:`POLL_SCRIPT` (or, every few polls, :data:`POLL_SCRIPT_WITH_DISKS`) is the
ONE fixed command run per poll. It prints every file under a ``@@<section>``
header, using only ``awk`` (and ``df``) besides shell built-ins, because every
extra process on the remote side costs a fork and exec per poll. Both are
constants: no operator or remote data is ever inserted into them.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from connectors.gpu import GpuReading, parse_query_output

_FAST_FILES = "/proc/stat /proc/meminfo /proc/loadavg /proc/net/dev /proc/diskstats"


def _script(files: str, with_df: bool) -> str:
    df = (
        "echo @@df\n"
        # A hung NFS mount must not hang the poll: bound df where timeout(1) exists.
        "if command -v timeout >/dev/null 2>&1; then timeout 3 df -P -k; else df -P -k; fi "
        "2>/dev/null\n"
        if with_df
        else ""
    )
    body = f"""\
LC_ALL=C; export LC_ALL
awk 'FNR==1{{print "@@" FILENAME}} {{print}}' {files} 2>/dev/null
echo @@/sys/block
for d in /sys/block/*; do echo "${{d##*/}}"; done
echo @@procs
set -- /proc/[0-9]*; echo "$#"
{df}echo @@gpu
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total \\
--format=csv,noheader,nounits 2>/dev/null
fi
echo @@end
"""
    # Run through sh whatever the login shell is (fish or csh would not parse it).
    return "sh -c " + shlex.quote(body)


# Every poll: CPU, memory, load, network, disk I/O, processes, GPUs.
POLL_SCRIPT = _script(_FAST_FILES, with_df=False)
# Every few polls: the same plus /proc/mounts and df. Disk space changes slowly and
# df (two processes) would otherwise cost as much as everything else together.
POLL_SCRIPT_WITH_DISKS = _script(_FAST_FILES + " /proc/mounts", with_df=True)


def split_sections(text: str) -> dict[str, str]:
    """The poll output, by section (``/proc/stat``, ``procs``, ``df``, ...)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("@@"):
            current = sections.setdefault(line[2:].strip(), [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines) for name, lines in sections.items()}


# -- /proc/stat -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CpuTimes:
    busy: float  # jiffies
    total: float


def parse_stat(text: str) -> dict[str, CpuTimes]:
    """``cpu`` (all cores) and ``cpu0``, ``cpu1``... → busy and total jiffies.

    Counted like psutil: guest time is already inside user/nice, idle includes iowait.
    """
    out = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields or not fields[0].startswith("cpu"):
            continue
        try:
            values = [float(v) for v in fields[1:]]
        except ValueError:
            continue
        if len(values) < 4:
            continue
        total = sum(values[:8])  # user nice system idle iowait irq softirq steal
        idle = values[3] + (values[4] if len(values) > 4 else 0.0)
        out[fields[0]] = CpuTimes(total - idle, total)
    return out


def cpu_percent(before: CpuTimes, after: CpuTimes) -> float | None:
    total = after.total - before.total
    if total <= 0:
        return None  # no tick since the last poll
    return min(100.0, max(0.0, 100.0 * (after.busy - before.busy) / total))


# -- /proc/meminfo, /proc/loadavg -------------------------------------------------------


def parse_meminfo(text: str) -> dict[str, float]:
    """Field → kB (or count). ``MemTotal: 16318460 kB`` → ``{"MemTotal": 16318460.0}``."""
    out = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        fields = rest.split()
        if sep and fields:
            try:
                out[name.strip()] = float(fields[0])
            except ValueError:
                continue
    return out


def memory_percents(meminfo: dict[str, float]) -> dict[str, float]:
    """``mem.used.percent`` (excluding cache and buffers) and ``swap.used.percent``."""
    out = {}
    total = meminfo.get("MemTotal", 0.0)
    if total > 0:
        available = meminfo.get("MemAvailable")
        if available is None:  # kernels before 3.14
            available = sum(meminfo.get(k, 0.0) for k in ("MemFree", "Buffers", "Cached"))
        out["mem.used.percent"] = min(100.0, max(0.0, 100.0 * (total - available) / total))
    swap_total = meminfo.get("SwapTotal", 0.0)
    swap_free = meminfo.get("SwapFree", 0.0)
    out["swap.used.percent"] = (
        min(100.0, max(0.0, 100.0 * (swap_total - swap_free) / swap_total)) if swap_total else 0.0
    )
    return out


def parse_loadavg(text: str) -> tuple[float, float, float] | None:
    fields = text.split()
    try:
        return float(fields[0]), float(fields[1]), float(fields[2])
    except (IndexError, ValueError):
        return None


# -- /proc/net/dev, /proc/diskstats -----------------------------------------------------


def parse_net_dev(text: str) -> dict[str, tuple[float, float]]:
    """Interface → (received bytes, sent bytes), both counters."""
    out = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        fields = rest.split()
        if not sep or len(fields) < 9:
            continue  # the two header lines
        try:
            out[name.strip()] = (float(fields[0]), float(fields[8]))
        except ValueError:
            continue
    return out


SECTOR_BYTES = 512  # /proc/diskstats counts 512-byte sectors whatever the device's size
# Not disks an operator reads or writes directly, or already counted underneath.
_VIRTUAL_BLOCK = re.compile(r"^(loop|ram|zram|dm-|md|sr|nbd|fd)\d*")


def parse_diskstats(text: str, whole_disks: set[str] | None = None) -> tuple[float, float] | None:
    """Bytes read and written by whole physical disks (partitions would count twice).

    ``whole_disks`` are the names under /sys/block; without it every device that
    is not virtual counts (partitions included).
    """
    read = written = 0.0
    seen = False
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 10:
            continue
        name = fields[2]
        if _VIRTUAL_BLOCK.match(name):
            continue
        if whole_disks is not None and name not in whole_disks:
            continue
        try:
            read += float(fields[5]) * SECTOR_BYTES
            written += float(fields[9]) * SECTOR_BYTES
        except ValueError:
            continue
        seen = True
    return (read, written) if seen else None


# -- /proc/mounts, df -P ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mount:
    device: str
    mountpoint: str
    fstype: str


def _unescape_mount(field: str) -> str:
    # The kernel writes space, tab, newline and backslash as octal escapes.
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mounts(text: str) -> list[Mount]:
    out = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            out.append(Mount(*(_unescape_mount(f) for f in fields[:3])))
    return out


def parse_df(text: str) -> dict[str, float]:
    """Mountpoint → percent used, from ``df -P -k`` (POSIX format, one line per fs).

    The percentage is used / (used + available), as df computes it (the root
    reserve is not space the workload can use).
    """
    out = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 6:
            continue
        try:
            used, available = float(fields[2]), float(fields[3])
        except ValueError:
            continue
        # A mountpoint may contain spaces: it is everything after the capacity column.
        mountpoint = line.split(None, 5)[5]
        if used + available > 0:
            out[mountpoint] = 100.0 * used / (used + available)
    return out


# -- nvidia-smi -------------------------------------------------------------------------


def parse_nvidia_smi(text: str) -> list[GpuReading]:
    """``index, utilization.gpu, memory.used, memory.total`` CSV (noheader, nounits)."""
    return parse_query_output(text)


def parse_process_count(text: str) -> float | None:
    try:
        count = float(text.strip())
    except ValueError:
        return None
    # An unmatched glob leaves the pattern itself: "1" process means none could be listed.
    return count if count > 1 else None
