"""PrometheusSource and its client against real Prometheus + node_exporter on loopback."""

from __future__ import annotations

import time

import pytest

from connectors.errors import AuthFailed, ConnectionRefused, HttpError, SourceError
from connectors.prometheus import (
    BasicAuth,
    PrometheusClient,
    PrometheusSource,
    load_credentials,
    quote,
    store_basic_auth,
)
from models.catalogue import spec_for, split_name
from tests.servers.ports import free_port
from tests.servers.prometheus import PrometheusServer


def by_metric(samples: list) -> dict[str, float]:
    return {sample.metric: sample.value for sample in samples}


def test_collect_maps_node_exporter_to_the_catalogue(prometheus_server: PrometheusServer) -> None:
    source = PrometheusSource(prometheus_server.url, job=prometheus_server.job)
    before = time.time()
    samples = source.collect()
    values = by_metric(samples)
    assert {s.source for s in samples} == {"prometheus"}
    assert {s.host for s in samples} == {prometheus_server.instance}
    assert len({s.timestamp for s in samples}) == 1 and samples[0].timestamp >= before
    for family in ("cpu.percent", "mem.used.percent", "load.1m", "net.rx.bytes", "proc.count"):
        assert family in values, sorted(values)
    assert 0 <= values["cpu.percent"] <= 100
    assert 0 < values["mem.used.percent"] < 100
    assert values["proc.count"] >= 1
    cores = [m for m in values if m.startswith("cpu.core.percent:")]
    assert cores and all(0 <= values[m] <= 100 for m in cores)
    mounts = [m for m in values if m.startswith("disk.used.percent:")]
    assert mounts, sorted(values)
    for name, value in values.items():
        spec = spec_for(name)  # every name is in the catalogue
        assert value >= 0, name
        if spec.unit == "%":
            assert value <= 100, name
    # Per-interface rates are named by device; lo is left out of the total only.
    devices = {split_name(m)[1] for m in values if m.startswith("net.rx.bytes:")}
    assert devices


def test_disk_used_matches_the_local_reading(prometheus_server: PrometheusServer) -> None:
    import psutil

    source = PrometheusSource(prometheus_server.url, families=["disk.used.percent"])
    values = by_metric(source.collect())
    # The exporter runs on this machine: its root filesystem is ours (psutil's definition).
    if "disk.used.percent:/" not in values:
        pytest.skip(f"node_exporter reports no root filesystem here: {sorted(values)}")
    assert values["disk.used.percent:/"] == pytest.approx(psutil.disk_usage("/").percent, abs=1.0)


def test_instant_and_range_queries(prometheus_server: PrometheusServer) -> None:
    client = PrometheusClient(prometheus_server.url)
    now = time.time()
    up = client.query(f"up{{job={quote(prometheus_server.job)}}}", at=now)
    assert [(s.labels["instance"], s.value) for s in up] == [(prometheus_server.instance, 1.0)]
    assert up[0].timestamp == pytest.approx(now, abs=0.01)
    assert client.query("1 + 1")[0].value == 2.0  # a scalar answer
    series = client.query_range("up", now - 2, now, 0.5)
    assert len(series) == 1
    assert series[0].timestamps == pytest.approx([now - 2 + 0.5 * i for i in range(5)], abs=0.01)
    assert set(series[0].values) == {1.0}


def test_history_returns_catalogue_series_with_progress(
    prometheus_server: PrometheusServer,
) -> None:
    source = PrometheusSource(prometheus_server.url, families=["mem.used.percent", "load.1m"])
    seen: list[float] = []
    end = time.time()
    samples = source.history(end - 2, end, 1.0, progress=seen.append)
    assert seen == [0.5, 1.0]
    per_metric: dict[str, int] = {}
    for sample in samples:
        per_metric[sample.metric] = per_metric.get(sample.metric, 0) + 1
    assert per_metric == {"mem.used.percent": 3, "load.1m": 3}
    assert source.history(end - 2, end, 1.0, cancelled=lambda: True) == []


def test_targets_discovery_lists_the_exporter(prometheus_server: PrometheusServer) -> None:
    targets = PrometheusSource(prometheus_server.url).discover()
    assert [(t.instance, t.job, t.health) for t in targets] == [
        (prometheus_server.instance, "node", "up")
    ]
    assert targets[0].scrape_url.endswith("/metrics")
    assert PrometheusSource(prometheus_server.url, job="other").discover() == []


def test_nodename_host_label(prometheus_server: PrometheusServer) -> None:
    import os

    source = PrometheusSource(
        prometheus_server.url, host_label="nodename", families=["mem.used.percent"]
    )
    assert {s.host for s in source.collect()} == {os.uname().nodename}


@pytest.mark.parametrize(
    "evil",
    ['x"} or vector(1) #', 'x\\"}) or vector(1', "a\nb", "$(rm -rf /); `id`", ".*"],
)
def test_label_values_cannot_inject_into_queries(
    prometheus_server: PrometheusServer, evil: str
) -> None:
    # Either a job or an instance filter with a hostile value selects nothing:
    # no error, and no vector(1) or regex widening slipping through.
    assert PrometheusSource(prometheus_server.url, job=evil).collect() == []
    assert PrometheusSource(prometheus_server.url, instances=[evil]).collect() == []


def test_instance_filter_selects_the_host(prometheus_server: PrometheusServer) -> None:
    source = PrometheusSource(
        prometheus_server.url, instances=[prometheus_server.instance], families=["load.1m"]
    )
    assert [s.host for s in source.collect()] == [prometheus_server.instance]


def test_bad_promql_gives_prometheus_error_text(prometheus_server: PrometheusServer) -> None:
    client = PrometheusClient(prometheus_server.url)
    with pytest.raises(HttpError) as caught:
        client.query("rate(up[)")
    assert caught.value.status == 400
    assert "parse error" in str(caught.value)
    assert prometheus_server.url in str(caught.value)


def test_closed_port_is_refused_quickly() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ConnectionRefused, match="connection refused") as caught:
        PrometheusSource(url).collect()
    assert time.monotonic() - started < 2
    assert caught.value.source == url


def test_not_prometheus_is_a_clear_error(moto_server: str) -> None:
    # Any HTTP server that is not Prometheus: moto answers its own way.
    with pytest.raises(SourceError) as caught:
        PrometheusClient(moto_server, timeout=5).query("up")
    assert moto_server in str(caught.value)


def test_basic_auth_from_the_keyring_works(prometheus_auth_server: PrometheusServer) -> None:
    server = prometheus_auth_server
    store_basic_auth(server.url, server.username, server.password)
    credentials = load_credentials(server.url, server.username)
    assert server.password not in repr(credentials)
    source = PrometheusSource(server.url, credentials, families=["load.1m"])
    assert [s.host for s in source.collect()] == [server.instance]


@pytest.mark.parametrize("password", ["wrong-Passw0rd", None])
def test_wrong_or_missing_auth_fails_without_leaking(
    prometheus_auth_server: PrometheusServer, password: str | None
) -> None:
    server = prometheus_auth_server
    credentials = BasicAuth(server.username, password) if password else None
    with pytest.raises(AuthFailed) as caught:
        PrometheusClient(server.url, credentials).query("up")
    message = str(caught.value)
    assert "HTTP 401" in message and server.url in message
    for secret in (server.password, password or server.password):
        assert secret not in message and secret not in repr(caught.value.args)


def test_bearer_token_from_the_keyring_is_sent() -> None:
    # Prometheus itself only checks basic auth; a proxy in front of it checks tokens.
    # This loopback stand-in for such a proxy answers only the right token.
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from connectors.prometheus import store_bearer_token
    from connectors.sources import open_source

    answer = {"status": "success", "data": {"resultType": "vector", "result": []}}

    class TokenProxy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.headers.get("Authorization") == "Bearer t0ken-value"
            body = json.dumps(answer if ok else {"status": "error"}).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), TokenProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        with pytest.raises(AuthFailed, match="credentials required"):
            open_source(f"prometheus+{url}").collect()
        store_bearer_token(url, "t0ken-value")
        source = open_source(f"prometheus+{url}")
        assert "t0ken-value" not in repr(source.client._credentials)
        assert source.collect() == []  # accepted: an empty fleet, not an error
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
