"""AwsSource against a real moto server: discovery, CloudWatch values, profiles, errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from connectors.aws import MAPPING, AwsSource
from connectors.errors import BadSourceUri, ConnectionRefused, SourceError
from tests.servers.moto import REGION, create_group

PERIOD = 60


def make_group(endpoint: str, name: str = "web", size: int = 2, region: str = REGION) -> list[str]:
    """An Auto Scaling group of ``size`` instances; returns their ids."""
    return create_group(endpoint, name, desired=size, region=region)


def put_points(
    endpoint: str,
    dimension: str,
    value: str,
    metric: str,
    values: list[float],
    end: float,
    region: str = REGION,
) -> None:
    """One datapoint per minute, the last one in the minute before ``end``."""
    cloudwatch = boto3.client("cloudwatch", endpoint_url=endpoint, region_name=region)
    start_minute = (int(end) // PERIOD - len(values)) * PERIOD
    cloudwatch.put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": dimension, "Value": value}],
                "Timestamp": datetime.fromtimestamp(start_minute + PERIOD * i + 1, UTC),
                "Value": v,
            }
            for i, v in enumerate(values)
        ],
    )


def by_key(samples: list) -> dict[tuple[str, str], list[float]]:
    out: dict[tuple[str, str], list[float]] = {}
    for sample in sorted(samples, key=lambda s: s.timestamp):
        out.setdefault((sample.host, sample.metric), []).append(sample.value)
    return out


def test_group_and_instance_values_come_back_mapped(moto_endpoint: str) -> None:
    now = time.time()
    instances = make_group(moto_endpoint, "web", 2)
    put_points(moto_endpoint, "AutoScalingGroupName", "web", "CPUUtilization", [40, 50, 60], now)
    put_points(moto_endpoint, "AutoScalingGroupName", "web", "NetworkIn", [6000, 12000], now)
    put_points(moto_endpoint, "InstanceId", instances[0], "CPUUtilization", [10, 20], now)
    put_points(moto_endpoint, "InstanceId", instances[1], "NetworkOut", [600], now)

    source = AwsSource("asg", "web", region=REGION, endpoint_url=moto_endpoint)
    samples = source.collect(now)
    values = by_key(samples)
    assert values[("web", "cpu.percent")] == [40, 50, 60]
    # Sums per minute become bytes per second.
    assert values[("web", "net.rx.bytes")] == [100, 200]
    assert values[(instances[0], "cpu.percent")] == [10, 20]
    assert values[(instances[1], "net.tx.bytes")] == [10]
    assert {s.source for s in samples} == {"aws"}
    assert all(s.timestamp % PERIOD == 0 for s in samples)
    # Nothing new since: the same datapoints are not returned twice.
    assert source.collect(now) == []


def test_collect_skips_the_period_still_filling(moto_endpoint: str) -> None:
    now = time.time()
    put_points(moto_endpoint, "InstanceId", "i-0abc", "CPUUtilization", [30, 70], now + PERIOD)
    source = AwsSource("instance", "i-0abc", region=REGION, endpoint_url=moto_endpoint)
    first = source.collect(now)
    assert [s.value for s in first] == [30]  # the current minute waits for the next call
    later = source.collect(now + PERIOD)
    assert [s.value for s in later] == [70]


def test_history_reports_progress(moto_endpoint: str) -> None:
    now = time.time()
    instances = make_group(moto_endpoint, "api", 1)
    put_points(moto_endpoint, "InstanceId", instances[0], "CPUUtilization", [5, 6, 7], now)
    source = AwsSource("asg", "api", region=REGION, endpoint_url=moto_endpoint)
    seen: list[float] = []
    samples = source.history(now - 900, now, progress=seen.append)
    assert [s.value for s in samples if s.host == instances[0]] == [5, 6, 7]
    assert seen == [0.5, 1.0]  # the group, then its one instance
    assert source.history(now - 900, now, cancelled=lambda: True) == []


def test_discovery_finds_groups_and_their_instances(moto_endpoint: str) -> None:
    web = make_group(moto_endpoint, "web", 2)
    api = make_group(moto_endpoint, "api", 1)
    source = AwsSource("asg", "web", region=REGION, endpoint_url=moto_endpoint)
    groups = source.discover_groups()
    assert [(g.name, g.desired, len(g.instance_ids)) for g in groups] == [
        ("api", 1, 1),
        ("web", 2, 2),
    ]
    assert source.group().instance_ids == tuple(web)
    found = {i.instance_id: i.group for i in source.discover_instances()}
    assert found == {web[0]: "web", web[1]: "web", api[0]: "api"}
    assert [s.host for s in source.subjects()] == ["web", *web]


def test_missing_group_is_a_source_error_naming_it(moto_endpoint: str) -> None:
    source = AwsSource("asg", "ghost", region=REGION, endpoint_url=moto_endpoint)
    with pytest.raises(SourceError, match="no Auto Scaling group named 'ghost'") as caught:
        source.collect()
    assert "ghost" in caught.value.source


def test_named_profile_selects_region_and_credentials(
    moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text("[profile staging]\nregion = eu-west-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[staging]\naws_access_key_id = AKIASTAGING\naws_secret_access_key = not-a-secret\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name)
    make_group(moto_endpoint, "eu-web", 1, region="eu-west-1")
    make_group(moto_endpoint, "us-web", 1, region=REGION)

    source = AwsSource("asg", "eu-web", profile="staging", endpoint_url=moto_endpoint)
    assert source.region == "eu-west-1"
    assert source.session.get_credentials().access_key == "AKIASTAGING"
    # moto keeps regions apart: only the profile's region has this group.
    assert [g.name for g in source.discover_groups()] == ["eu-web"]
    with pytest.raises(BadSourceUri, match="no AWS profile named 'prod'"):
        AwsSource("asg", "eu-web", profile="prod", endpoint_url=moto_endpoint)


def test_unreachable_endpoint_is_connection_refused(moto_endpoint: str) -> None:
    from tests.servers.ports import free_port

    closed = f"http://127.0.0.1:{free_port()}"
    source = AwsSource("instance", "i-1", region=REGION, endpoint_url=closed)
    started = time.monotonic()
    with pytest.raises(ConnectionRefused) as caught:
        source.collect()
    assert time.monotonic() - started < 10
    assert "testing" not in str(caught.value)  # the (fake) secret key never shows


def test_mapping_targets_catalogue_names() -> None:
    from models.catalogue import spec_for

    for metric in MAPPING:
        spec = spec_for(metric.catalogue_name)
        assert spec.unit == ("%" if not metric.per_second else "B/s"), metric
