"""The moto fixture serves real AWS APIs on loopback and resets between tests."""

from __future__ import annotations

import boto3

from tests.servers.moto import create_group


def _autoscaling(endpoint: str):
    return boto3.client("autoscaling", endpoint_url=endpoint, region_name="us-east-1")


def test_moto_serves_auto_scaling(moto_endpoint: str) -> None:
    assert moto_endpoint.startswith("http://127.0.0.1:")
    create_group(moto_endpoint, "web", desired=2, maximum=4)
    groups = _autoscaling(moto_endpoint).describe_auto_scaling_groups()["AutoScalingGroups"]
    assert [g["DesiredCapacity"] for g in groups] == [2]


def test_each_test_starts_from_a_clean_server(moto_endpoint: str) -> None:
    groups = _autoscaling(moto_endpoint).describe_auto_scaling_groups()["AutoScalingGroups"]
    assert groups == []
