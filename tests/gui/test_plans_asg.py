"""The plan loop against an Auto Scaling group on a real moto server, and a failing executor."""

from __future__ import annotations

import boto3
import pytest

from connectors.audit_verify import verify_log
from console.plans.targets import TargetConfig
from models.planning import PlanState
from tests.gui.test_plans_support import WAIT_MS, first_cycle, make_rig, wait_audit
from tests.servers.moto import REGION


def make_group(endpoint: str, desired: int = 8) -> object:
    client = boto3.client("autoscaling", endpoint_url=endpoint, region_name=REGION)
    client.create_launch_configuration(
        LaunchConfigurationName="lc", ImageId="ami-12345678", InstanceType="t3.micro"
    )
    client.create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchConfigurationName="lc",
        MinSize=1,
        MaxSize=20,
        DesiredCapacity=desired,
        AvailabilityZones=["us-east-1a"],
    )
    return client


def desired_capacity(client: object) -> int:
    groups = client.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])  # type: ignore[attr-defined]
    return int(groups["AutoScalingGroups"][0]["DesiredCapacity"])


@pytest.fixture
def asg_rig(qtbot, tmp_path, moto_endpoint):
    client = make_group(moto_endpoint)
    config = TargetConfig(
        name="web", kind="asg", group="web", endpoint_url=moto_endpoint, region=REGION
    )
    rig = make_rig(qtbot, tmp_path, config)
    yield rig, client
    assert rig.controller.stop(10.0)


def test_asg_plan_goes_from_proposal_to_execution_and_audit(qtbot, asg_rig):
    rig, client = asg_rig
    plan = first_cycle(qtbot, rig)
    assert plan.state is PlanState.PROPOSED
    assert plan.proposal.current == 8  # read from the group, not assumed
    first = plan.proposal.steps[0]
    rig.controller.approve([plan.id])
    rig.advance_to(first.at)
    rig.controller.check_due()
    qtbot.waitUntil(lambda: desired_capacity(client) == first.to_units, timeout=WAIT_MS)
    wait_audit(qtbot, rig, "executed")
    executed = [e for e in rig.audit.entries() if e.decision == "executed"][0]
    assert executed.result["target"] == "asg:web"
    assert executed.result["verified"] == first.to_units == desired_capacity(client)
    assert rig.decisions()[:3] == ["proposed", "approved", "executed"]
    assert verify_log(rig.audit).intact


def test_a_failing_executor_fails_the_plan_once_with_the_reason(qtbot, asg_rig):
    rig, client = asg_rig
    plan = first_cycle(qtbot, rig)
    rig.controller.approve([plan.id])
    client.delete_auto_scaling_group(AutoScalingGroupName="web", ForceDelete=True)
    rig.advance_to(plan.proposal.steps[0].at)
    rig.controller.check_due()
    qtbot.waitUntil(lambda: plan.state is PlanState.FAILED, timeout=WAIT_MS)
    reason = plan.history[-1].reason
    assert "web" in reason
    wait_audit(qtbot, rig, "failed")
    # Later checks do not retry: one failure, one notification, one audit entry.
    for _ in range(3):
        rig.controller.check_due()
    failures = [t for t in rig.told if t[0] == "Plan failed"]
    assert len(failures) == 1 and reason in failures[0][1]
    assert rig.decisions().count("failed") == 1
    failed = [e for e in rig.audit.entries() if e.decision == "failed"][0]
    assert failed.result == {"reason": reason}
    assert rig.controller.held == {"web"}  # auto-approval paused until someone looks
