"""A real moto server on loopback, serving Auto Scaling, EC2 and CloudWatch.

Use the ``moto_endpoint`` fixture (registered in tests/conftest.py): it yields the
endpoint URL, with throwaway credentials and region set in the environment so
boto3 clients made by the code under test talk to it. Each test gets a clean
server state (moto's reset API), so tests do not see each other's groups.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.ports import free_port, wait_for_port

REGION = "us-east-1"


def create_group(
    endpoint: str, name: str = "web", desired: int = 2, maximum: int = 4, region: str = REGION
) -> list[str]:
    """An Auto Scaling group made through the real API (min 1); returns its instance ids."""
    import boto3

    autoscaling = boto3.client("autoscaling", endpoint_url=endpoint, region_name=region)
    autoscaling.create_launch_configuration(
        LaunchConfigurationName=f"{name}-lc", ImageId="ami-12345678", InstanceType="t3.micro"
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchConfigurationName=f"{name}-lc",
        MinSize=1,
        MaxSize=maximum,
        DesiredCapacity=desired,
        AvailabilityZones=[f"{region}a"],
    )
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    return sorted(i["InstanceId"] for i in group["AutoScalingGroups"][0]["Instances"])


def _moto_server_command(port: int) -> list[str]:
    script = Path(sys.executable).parent / "moto_server"
    executable = str(script) if script.exists() else shutil.which("moto_server")
    if executable is None:
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    return [executable, "-H", "127.0.0.1", "-p", str(port)]


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        _moto_server_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def moto_endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Endpoint URL of a clean moto server, with fake credentials in the environment."""
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return moto_server
