"""AwsAsgExecutor against a real moto server on loopback (no mocks of boto3)."""

from __future__ import annotations

import time

import boto3
import pytest

from connectors.scaling.aws_asg import AwsAsgExecutor
from connectors.scaling.base import ExecutionError, ScalingExecutor
from tests.servers.moto import create_group
from tests.servers.ports import free_port


@pytest.fixture
def group(moto_endpoint: str) -> str:
    """A group 'web' with min 1, max 4, desired 2, made through the real API."""
    create_group(moto_endpoint, "web", desired=2, maximum=4)
    return "web"


def desired_in_aws(endpoint: str, name: str) -> int:
    client = boto3.client("autoscaling", endpoint_url=endpoint, region_name="us-east-1")
    groups = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    return groups["AutoScalingGroups"][0]["DesiredCapacity"]


def test_set_capacity_changes_the_group_and_reads_it_back(moto_endpoint: str, group: str) -> None:
    executor = AwsAsgExecutor(group, endpoint_url=moto_endpoint)
    assert isinstance(executor, ScalingExecutor)
    assert executor.target == "asg:web"
    assert executor.current_capacity() == 2
    assert executor.bounds() == (1, 4)
    result = executor.set_capacity(4)
    assert (result.previous, result.requested, result.verified) == (2, 4, 4)
    assert result.succeeded
    assert "HonorCooldown=False" in result.detail
    assert desired_in_aws(moto_endpoint, group) == 4  # seen by an independent client


def test_second_identical_call_is_a_verified_no_op(moto_endpoint: str, group: str) -> None:
    executor = AwsAsgExecutor(group, endpoint_url=moto_endpoint)
    executor.set_capacity(3)
    again = executor.set_capacity(3)
    assert (again.previous, again.verified) == (3, 3)
    assert again.succeeded
    assert desired_in_aws(moto_endpoint, group) == 3


@pytest.mark.parametrize("desired", [0, 5])
def test_outside_the_groups_bounds_names_them_and_changes_nothing(
    moto_endpoint: str, group: str, desired: int
) -> None:
    executor = AwsAsgExecutor(group, endpoint_url=moto_endpoint)
    with pytest.raises(ExecutionError) as caught:
        executor.set_capacity(desired)
    assert caught.value.target == "asg:web"
    assert "min 1" in caught.value.reason and "max 4" in caught.value.reason
    assert desired_in_aws(moto_endpoint, group) == 2


def test_missing_group_is_a_clear_error(moto_endpoint: str) -> None:
    executor = AwsAsgExecutor("nope", endpoint_url=moto_endpoint, region="us-east-1")
    with pytest.raises(ExecutionError) as caught:
        executor.set_capacity(2)
    assert "'nope' not found" in caught.value.reason
    assert "us-east-1" in caught.value.reason


def test_unreachable_endpoint_fails_fast_without_retrying(moto_endpoint: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    executor = AwsAsgExecutor("web", endpoint_url=closed, connect_timeout=1.0, read_timeout=1.0)
    start = time.monotonic()
    with pytest.raises(ExecutionError) as caught:
        executor.set_capacity(2)
    assert time.monotonic() - start < 5.0
    assert "cannot reach" in caught.value.reason and closed in caught.value.reason


def test_missing_credentials_say_so_without_secrets(
    moto_endpoint: str, group: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-role probing
    with pytest.raises(ExecutionError, match="no AWS credentials"):
        AwsAsgExecutor(group, endpoint_url=moto_endpoint).current_capacity()


def test_unknown_profile_and_missing_region_are_configuration_errors(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ExecutionError, match="profile 'ops' not found"):
        AwsAsgExecutor("web", profile="ops", endpoint_url=moto_endpoint).current_capacity()
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(ExecutionError, match="no AWS region"):
        AwsAsgExecutor("web", endpoint_url=moto_endpoint).current_capacity()


def test_a_named_profile_supplies_credentials_and_region(
    moto_endpoint: str, group: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    config = tmp_path / "config"
    config.write_text(
        "[profile ops]\nregion = us-east-1\n"
        "aws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    executor = AwsAsgExecutor(group, profile="ops", endpoint_url=moto_endpoint)
    assert executor.set_capacity(1).verified == 1


def test_aws_error_codes_become_plain_reasons() -> None:
    from botocore.exceptions import ClientError

    executor = AwsAsgExecutor("web")

    def reason(code: str, message: str = "") -> str:
        error = ClientError({"Error": {"Code": code, "Message": message}}, "SetDesiredCapacity")
        return executor._client_error_reason(error)

    assert "throttled" in reason("Throttling", "Rate exceeded") and "not retried" in reason(
        "Throttling"
    )
    denied = reason("InvalidClientTokenId", "token AKIAEXAMPLE is invalid")
    assert "credentials" in denied and "AKIAEXAMPLE" not in denied
    assert "ValidationError" in reason("ValidationError", "bad") and "bad" in reason(
        "ValidationError", "bad"
    )
