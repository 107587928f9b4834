"""Real Prometheus and node_exporter on loopback (Debian's packages).

``prometheus_server`` (session): node_exporter plus a Prometheus scraping it
every second, ready once a few scrapes are stored. ``prometheus_auth_server``
(session, started only when asked for): a second Prometheus over the same
exporter that demands basic auth (user ``ops``, password in ``.password``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers.ports import free_port, wait_for_port

PROMETHEUS = "/usr/bin/prometheus"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
JOB = "node"
# Only what the catalogue maps: fewer collectors, faster scrapes, quieter logs.
COLLECTORS = (
    "cpu",
    "loadavg",
    "meminfo",
    "filesystem",
    "netdev",
    "diskstats",
    "processes",
    "uname",
)


@dataclass(frozen=True)
class PrometheusServer:
    url: str
    instance: str  # node_exporter's address, the `instance` label of its series
    job: str
    username: str | None = None
    password: str | None = None


def _need(binary: str) -> None:
    if shutil.which(binary) is None:
        pytest.skip(f"{binary} is not installed (bootstrap.py installs it on Debian)")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)


def _scrapes_stored(url: str, header: str | None) -> int:
    query = urllib.parse.urlencode({"query": f'count_over_time(up{{job="{JOB}"}}[1m]) and up == 1'})
    request = urllib.request.Request(f"{url}/api/v1/query?{query}")
    if header:
        request.add_header("Authorization", header)
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            result = json.loads(response.read())["data"]["result"]
    except OSError:
        return 0
    return int(float(result[0]["value"][1])) if result else 0


def _wait_until_scraped(
    url: str, header: str | None, process: subprocess.Popen[bytes], scrapes: int
) -> None:
    deadline = time.monotonic() + 30
    while _scrapes_stored(url, header) < scrapes:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Prometheus at {url} did not scrape node_exporter in time")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def node_exporter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need(NODE_EXPORTER)
    folder = tmp_path_factory.mktemp("node_exporter")
    port = free_port()
    enabled = [f"--collector.{name}" for name in COLLECTORS]
    process = _start(
        [
            NODE_EXPORTER,
            f"--web.listen-address=127.0.0.1:{port}",
            "--collector.disable-defaults",
            *enabled,
        ],
        folder / "node_exporter.log",
    )
    try:
        wait_for_port(port, timeout=15)
        yield f"127.0.0.1:{port}"
    finally:
        _stop(process)


def _prometheus(
    folder: Path, exporter: str, web_config: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    _need(PROMETHEUS)
    config = folder / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"scrape_configs:\n  - job_name: {JOB}\n    static_configs:\n"
        f"      - targets: ['{exporter}']\n"
    )
    port = free_port()
    command = [
        PROMETHEUS,
        f"--config.file={config}",
        f"--storage.tsdb.path={folder / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    if web_config is not None:
        command.append(f"--web.config.file={web_config}")
    process = _start(command, folder / "prometheus.log")
    try:
        wait_for_port(port, timeout=30)
    except TimeoutError:
        _stop(process)
        raise
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def prometheus_server(
    node_exporter: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusServer]:
    process, url = _prometheus(tmp_path_factory.mktemp("prometheus"), node_exporter)
    try:
        # Three scrapes give every rate() two points and the tests a range to query.
        _wait_until_scraped(url, None, process, scrapes=3)
        yield PrometheusServer(url, node_exporter, JOB)
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def prometheus_auth_server(
    node_exporter: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusServer]:
    import base64

    import bcrypt

    folder = tmp_path_factory.mktemp("prometheus-auth")
    username, password = "ops", "s3cret-Passw0rd"
    # The lowest cost: Prometheus checks the hash on every request, and this is a test.
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    web_config = folder / "web.yml"
    web_config.write_text(f"basic_auth_users:\n  {username}: '{hashed}'\n")
    process, url = _prometheus(folder, node_exporter, web_config)
    header = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    try:
        _wait_until_scraped(url, header, process, scrapes=1)  # auth tests read gauges only
        yield PrometheusServer(url, node_exporter, JOB, username, password)
    finally:
        _stop(process)
