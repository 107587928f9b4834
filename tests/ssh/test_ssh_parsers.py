"""Pure parsers of what a Linux host prints, on recorded outputs."""

from __future__ import annotations

import base64
import hashlib

import paramiko
import pytest

from connectors.ssh import proc
from connectors.ssh.custom import CustomMetric, CustomMetricError
from connectors.ssh.hostkeys import fingerprint, known_hosts_name

STAT = """\
cpu  100 0 50 800 50 0 0 0 0 0
cpu0 60 0 20 400 20 0 0 0 0 0
cpu1 40 0 30 400 30 0 0 0 0 0
intr 12345
ctxt 999
"""


def test_stat_and_cpu_percent() -> None:
    before = proc.parse_stat(STAT)
    assert set(before) == {"cpu", "cpu0", "cpu1"}
    assert before["cpu"] == proc.CpuTimes(busy=150, total=1000)
    after = proc.parse_stat(STAT.replace("cpu  100 0 50 800", "cpu  200 0 50 900"))
    assert proc.cpu_percent(before["cpu"], after["cpu"]) == pytest.approx(50.0)
    assert proc.cpu_percent(before["cpu0"], before["cpu0"]) is None  # no tick


def test_meminfo_percents_with_and_without_memavailable() -> None:
    modern = proc.parse_meminfo(
        "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\n"
        "SwapTotal: 200 kB\nSwapFree: 150 kB\nHugePages_Total: 0\n"
    )
    assert proc.memory_percents(modern) == {"mem.used.percent": 40.0, "swap.used.percent": 25.0}
    old = proc.parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 100 kB\nCached: 300 kB")
    assert proc.memory_percents(old) == {"mem.used.percent": 50.0, "swap.used.percent": 0.0}


def test_loadavg() -> None:
    assert proc.parse_loadavg("0.52 0.58 0.59 2/1234 5678\n") == (0.52, 0.58, 0.59)
    assert proc.parse_loadavg("") is None


def test_net_dev() -> None:
    text = """\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0: 5000 50 0 0 0 0 0 0 7000 70 0 0 0 0 0 0
"""
    assert proc.parse_net_dev(text) == {"lo": (1000.0, 1000.0), "eth0": (5000.0, 7000.0)}


def test_diskstats_counts_whole_disks_only() -> None:
    text = """\
   8       0 sda 100 0 2000 0 50 0 4000 0 0 0 0
   8       1 sda1 90 0 1800 0 40 0 3000 0 0 0 0
   7       0 loop0 5 0 100 0 0 0 0 0 0 0 0
 253       0 dm-0 5 0 900 0 0 0 900 0 0 0 0
 259       0 nvme0n1 1 0 10 0 1 0 20 0 0 0 0
"""
    whole = {"sda", "loop0", "dm-0", "nvme0n1"}
    assert proc.parse_diskstats(text, whole) == (2010 * 512.0, 4020 * 512.0)
    assert proc.parse_diskstats("", whole) is None


def test_df_and_mounts_with_spaces() -> None:
    df = """\
Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/sda1         1000000   250000    750000      25% /
/dev/sdb1          100000    90000     10000      90% /mnt/my disk
tmpfs               10000        0     10000       0% /run
"""
    assert proc.parse_df(df) == {"/": 25.0, "/mnt/my disk": 90.0, "/run": 0.0}
    mounts = proc.parse_mounts("/dev/sdb1 /mnt/my\\040disk ext4 rw 0 0\nproc /proc proc rw 0 0\n")
    assert mounts[0] == proc.Mount("/dev/sdb1", "/mnt/my disk", "ext4")


def test_nvidia_smi_csv() -> None:
    readings = proc.parse_nvidia_smi("0, 37, 2048, 8192\n1, [N/A], 100, 0\n")
    assert readings[0].util_percent == 37.0 and readings[0].mem_used_percent == 25.0
    assert readings[1].util_percent is None and readings[1].mem_used_percent is None


def test_sections_and_process_count() -> None:
    sections = proc.split_sections("noise\n@@/proc/loadavg\n1 2 3 1/2 3\n@@procs\n57\n@@end\n")
    assert sections == {"/proc/loadavg": "1 2 3 1/2 3", "procs": "57", "end": ""}
    assert proc.parse_process_count("57") == 57.0
    assert proc.parse_process_count("1") is None  # the glob matched nothing


def test_fingerprint_is_openssh_sha256() -> None:
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))
    public = paramiko.PKey.from_type_string("ssh-ed25519", blob)
    expected = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert fingerprint(public) == f"SHA256:{expected}"
    assert "=" not in fingerprint(public)
    assert known_hosts_name("h", 22) == "h" and known_hosts_name("h", 2222) == "[h]:2222"


def test_custom_metric_definitions_and_output() -> None:
    metric = CustomMetric("queue.length", "redis-cli -p {port} llen jobs", params={"port": "6379"})
    assert metric.argv == ("redis-cli", "-p", "6379", "llen", "jobs")
    assert metric.parse_output("17\n") == [("custom.queue.length", 17.0)]
    assert metric.parse_output("a 1\nb 2\n") == [
        ("custom.queue.length:a", 1.0),
        ("custom.queue.length:b", 2.0),
    ]
    for bad_output in ("", "lots", "a b c", "x; 1", "nan"):
        with pytest.raises(CustomMetricError):
            metric.parse_output(bad_output)
    for name, command, params in [
        ("Bad Name", "echo 1", {}),
        ("ok", "echo {missing}", {}),
        ("ok", "echo {v!r}", {"v": "1"}),
        ("ok", "echo 'open", {}),
        ("ok", "", {}),
        ("ok", "echo {v}", {"v": "two\nlines"}),
    ]:
        with pytest.raises(CustomMetricError):
            CustomMetric(name, command, params=params)
