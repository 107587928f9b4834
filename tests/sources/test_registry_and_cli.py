"""``open_source`` URI mapping and ``headroom collect --source`` against real servers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from connectors.aws import AwsSource
from connectors.errors import BadSourceUri
from connectors.local import LocalCollector
from connectors.prometheus import PrometheusSource, store_basic_auth
from connectors.sources import open_source, redact
from models.samples import SAMPLE_COLUMNS
from tests.servers.moto import REGION
from tests.servers.prometheus import PrometheusServer

REPO = Path(__file__).resolve().parents[2]
HEADROOM = REPO / ".venv" / "bin" / "headroom"


def headroom(*args: str | Path) -> subprocess.CompletedProcess[str]:
    executable = HEADROOM if HEADROOM.exists() else Path(sys.executable).parent / "headroom"
    return subprocess.run(
        [str(executable), *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def in_process(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    from console.cli.main import main

    capsys.readouterr()
    try:
        code = main([str(arg) for arg in args])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, capsys.readouterr().err


# -- the registry ----------------------------------------------------------------------


def test_local_and_prometheus_uris() -> None:
    assert isinstance(open_source("local"), LocalCollector)
    source = open_source("prometheus+https://prom.example:9443/sub/path/?job=node&window=30s")
    assert isinstance(source, PrometheusSource)
    assert source.client.base_url == "https://prom.example:9443/sub/path"
    assert source.job == "node" and source.rate_window == "30s"
    plain = open_source("prometheus+http://127.0.0.1:9090?instance=a:1&instance=b:2")
    assert plain.client.base_url == "http://127.0.0.1:9090"
    assert 'instance=~"a:1|b:2"' in plain.selector


def test_prometheus_user_takes_the_password_from_the_keyring() -> None:
    store_basic_auth("http://prom.example:9090", "ops", "kept-in-keyring")
    source = open_source("prometheus+http://ops@prom.example:9090")
    credentials = source.client._credentials
    assert (credentials.username, credentials.password) == ("ops", "kept-in-keyring")


def test_aws_uris(moto_endpoint: str) -> None:
    group = open_source(f"aws://{REGION}/asg/web?endpoint={moto_endpoint}")
    assert isinstance(group, AwsSource)
    assert (group.kind, group.name, group.region, group.endpoint_url) == (
        "asg",
        "web",
        REGION,
        moto_endpoint,
    )
    instance = open_source("aws://eu-west-1/instance/i-0123456789abcdef0?period=300")
    assert (instance.kind, instance.region, instance.period) == ("instance", "eu-west-1", 300)


def test_aws_profile_in_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text("[profile staging]\nregion = ap-south-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    source = open_source("aws://staging@/asg/web")
    assert (source.profile, source.region) == ("staging", "ap-south-1")
    assert open_source("aws://staging@us-west-2/asg/web").region == "us-west-2"


def test_ssh_uris_go_to_the_ssh_collector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    collector_module = pytest.importorskip("connectors.ssh.collector")
    # Connecting is the SSH collector's business (tested with its own sshd); the
    # registry's is to hand it the URI and the files untouched.
    seen = {}

    def from_uri(uri, known_hosts=None, identity=None, custom=()):
        seen.update(uri=uri, known_hosts=known_hosts, identity=identity, custom=custom)
        return "collector"

    monkeypatch.setattr(collector_module.SshCollector, "from_uri", staticmethod(from_uri))
    kh, key = tmp_path / "known_hosts", tmp_path / "id"
    assert open_source("ssh://ops@db1:2222", known_hosts=kh, identity=key) == "collector"
    assert seen == {"uri": "ssh://ops@db1:2222", "known_hosts": kh, "identity": key, "custom": ()}
    assert open_source("ssh://db-alias") == "collector"
    assert seen["uri"] == "ssh://db-alias" and seen["known_hosts"] is None


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("", "no scheme"),
        ("nfs://server/share", "unknown scheme 'nfs'"),
        ("prometheus+http://", "no host"),
        ("prometheus+http://host:99999", "malformed URI"),
        ("prometheus+http://host:90x", "malformed URI"),
        ("prometheus+http://host:9090?window=forever", "window must be"),
        ("prometheus+http://host:9090?colour=red", "unknown option 'colour'"),
        ("prometheus+http://host:9090?job=a&job=b", "given 2 times"),
        ("prometheus+http://host:9090?host_label=pod", "host_label must be"),
        ("aws://us-east-1/vpc/x", "expected aws://"),
        ("aws://us-east-1/asg", "expected aws://"),
        ("aws://not_a_region/asg/web", "not an AWS region"),
        ("aws://us-east-1/asg/web?period=90", "multiple of 60"),
        ("aws://us-east-1/asg/web?endpoint=file:///etc/passwd", "http(s) URL"),
    ],
)
def test_bad_uris_are_refused_with_a_reason(uri: str, reason: str) -> None:
    with pytest.raises(BadSourceUri) as caught:
        open_source(uri)
    assert reason in caught.value.reason, caught.value.reason


@pytest.mark.parametrize(
    "uri", ["prometheus+https://ops:hunter2@prom:9090", "aws://me:hunter2@us-east-1/asg/web"]
)
def test_passwords_in_uris_are_refused_and_masked(uri: str) -> None:
    with pytest.raises(BadSourceUri, match="keyring") as caught:
        open_source(uri)
    assert "hunter2" not in str(caught.value)
    assert redact(uri).count("***") == 1 and "hunter2" not in redact(uri)


def test_aws_unknown_profile_is_a_bad_uri(moto_endpoint: str) -> None:
    with pytest.raises(BadSourceUri, match="no AWS profile named 'ghost'"):
        open_source("aws://ghost@us-east-1/asg/web")


# -- headroom collect --source ------------------------------------------------------------


def test_collect_from_prometheus_writes_the_local_columns(
    prometheus_server: PrometheusServer, tmp_path: Path
) -> None:
    out = tmp_path / "x.csv"
    uri = f"prometheus+http://{prometheus_server.url.removeprefix('http://')}"
    result = headroom("collect", "--source", uri, "--seconds", "2", "--out", out)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out)
    assert tuple(frame.columns) == SAMPLE_COLUMNS
    assert set(frame["source"]) == {"prometheus"}
    assert set(frame["host"]) == {prometheus_server.instance}
    assert frame["timestamp"].nunique() == 3  # snapshots at 0, 1 and 2 s
    per_metric = frame.groupby("metric").size()
    for metric in ("cpu.percent", "mem.used.percent", "net.rx.bytes"):
        assert per_metric.get(metric) == 3, per_metric.to_dict()
    assert f"to {out}" in result.stdout


def test_collect_from_aws_and_local_together(
    moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    import boto3

    cloudwatch = boto3.client("cloudwatch", endpoint_url=moto_endpoint, region_name=REGION)
    minute = (int(time.time()) // 60 - 2) * 60
    cloudwatch.put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "InstanceId", "Value": "i-0abc"}],
                "Timestamp": datetime.fromtimestamp(minute + 5, UTC),
                "Value": 42.0,
            }
        ],
    )
    out = tmp_path / "x.csv"
    aws = f"aws://{REGION}/instance/i-0abc?endpoint={moto_endpoint}"
    code, err = in_process(
        capsys, "collect", "--source", aws, "--source", "local", "--seconds", "1",
        "--interval", "0.5", "--out", out,
    )  # fmt: skip
    assert code == 0, err
    frame = pd.read_csv(out)
    cloud = frame[frame["source"] == "aws"]
    assert cloud[["host", "metric", "value"]].values.tolist() == [["i-0abc", "cpu.percent", 42.0]]
    assert (
        cloud["timestamp"]
        .iloc[0]
        .startswith(datetime.fromtimestamp(minute, UTC).strftime("%Y-%m-%dT%H:%M:00.000Z"))
    )
    assert (frame["source"] == "local").sum() > 10


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("gopher://x", "unknown scheme 'gopher'"),
        ("prometheus+http://ops:hunter2@h:1", "keyring"),
        ("aws://us-east-1/asg", "expected aws://"),
    ],
)
def test_collect_bad_source_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, fragment: str
) -> None:
    code, err = in_process(
        capsys, "collect", "--source", source, "--seconds", "1", "--out", tmp_path / "x.csv"
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("headroom collect: error:"), err
    assert fragment in lines[0] and "hunter2" not in err
    assert list(tmp_path.iterdir()) == []


def test_collect_unreachable_source_is_one_line_exit_2(tmp_path: Path) -> None:
    from tests.servers.ports import free_port

    uri = f"prometheus+http://127.0.0.1:{free_port()}"
    result = headroom("collect", "--source", uri, "--seconds", "2", "--out", tmp_path / "x.csv")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "connection refused" in result.stderr and "nothing written" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_collect_missing_identity_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = in_process(
        capsys, "collect", "--source", "ssh://ops@db1", "--identity", tmp_path / "nope",
        "--seconds", "1", "--out", tmp_path / "x.csv",
    )  # fmt: skip
    assert code == 2 and "--identity" in err and "no such file" in err
