"""The plan loop against an Auto Scaling group on a real moto server: history from the
group's CloudWatch metric, proposal, execution, audit, and a failing executor."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

import boto3
import pytest

from connectors.audit_verify import verify_log
from console.plans.asg_history import MIN_INTERVALS
from console.plans.targets import TargetConfig
from models.planning import PlanState
from tests.gui.test_plans_support import WAIT_MS, first_cycle, make_rig, wait_audit
from tests.servers.moto import REGION, create_group

HALF_HOUR = 1800.0


def put_group_metric(
    endpoint: str,
    level: float,
    intervals: int = 3 * 48,
    namespace: str = "AWS/EC2",
    metric: str = "CPUUtilization",
    per_datapoint: int = 3,
) -> None:
    """``intervals`` finished half-hours of ``metric`` for group "web", around ``level``
    (a small deterministic wobble, so the forecast has a band to work with)."""
    client = boto3.client("cloudwatch", endpoint_url=endpoint, region_name=REGION)
    end = math.floor(time.time() / HALF_HOUR) * HALF_HOUR
    data = []
    for i in range(intervals):
        start = end - (intervals - i) * HALF_HOUR
        for j in range(per_datapoint):
            data.append(
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": "AutoScalingGroupName", "Value": "web"}],
                    "Timestamp": datetime.fromtimestamp(start + j * 300, UTC),
                    "Value": level * (1 + 0.02 * math.sin(i * 0.7 + j)),
                }
            )
    for offset in range(0, len(data), 500):
        client.put_metric_data(Namespace=namespace, MetricData=data[offset : offset + 500])


def make_group(endpoint: str, desired: int = 8) -> object:
    create_group(endpoint, "web", desired=desired, maximum=20)
    return boto3.client("autoscaling", endpoint_url=endpoint, region_name=REGION)


def desired_capacity(client: object) -> int:
    groups = client.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])  # type: ignore[attr-defined]
    return int(groups["AutoScalingGroups"][0]["DesiredCapacity"])


@pytest.fixture
def asg_rig(qtbot, tmp_path, moto_endpoint):
    client = make_group(moto_endpoint)
    put_group_metric(moto_endpoint, 90.0)  # 8 instances at 90 % CPU: scale out
    config = TargetConfig(
        name="web",
        kind="asg",
        group="web",
        endpoint_url=moto_endpoint,
        region=REGION,
        per_unit=60.0,
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


def asg_config(endpoint: str, **overrides: object) -> TargetConfig:
    values: dict[str, object] = {
        "name": "web",
        "kind": "asg",
        "group": "web",
        "endpoint_url": endpoint,
        "region": REGION,
        "per_unit": 60.0,
    }
    values.update(overrides)
    return TargetConfig(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("level", [30.0, 90.0])
def test_the_plan_follows_the_groups_cloudwatch_cpu(qtbot, tmp_path, moto_endpoint, level):
    make_group(moto_endpoint)
    put_group_metric(moto_endpoint, level)
    rig = make_rig(qtbot, tmp_path, asg_config(moto_endpoint))
    try:
        plan = first_cycle(qtbot, rig)
        history = rig.controller.cycles["web"].history
        assert len(history) >= 3 * 48 - 1  # the put half-hours, not the demo's weeks
        assert history["demand"].between(level * 0.97, level * 1.03).all()
        # Utilisation: 8 instances at ``level`` % need level x 8 / 60 % units, + 10 %.
        expected = level * 8 / 60 * 1.10
        assert all(expected * 0.95 <= need <= expected * 1.25 for need in plan.proposal.need)
        first = plan.proposal.steps[0]
        assert (first.to_units > 8) == (level > 60)
    finally:
        assert rig.controller.stop(10.0)


def test_a_custom_namespace_sum_is_read_as_a_rate(qtbot, tmp_path, moto_endpoint):
    make_group(moto_endpoint)
    # 900,000 requests per half-hour in one datapoint: 500 requests/s.
    put_group_metric(
        moto_endpoint, 900_000.0, namespace="Shop/Web", metric="Requests", per_datapoint=1
    )
    config = asg_config(
        moto_endpoint,
        metric_namespace="Shop/Web",
        metric_name="Requests",
        metric_statistic="Sum",
        metric_kind="throughput",
        per_unit=100.0,
    )
    rig = make_rig(qtbot, tmp_path, config)
    try:
        plan = first_cycle(qtbot, rig)
        demand = rig.controller.cycles["web"].history["demand"]
        assert demand.between(500 * 0.97, 500 * 1.03).all()
        assert all(5 * 1.1 * 0.95 <= need <= 5 * 1.1 * 1.25 for need in plan.proposal.need)
    finally:
        assert rig.controller.stop(10.0)


@pytest.mark.parametrize(("intervals", "says"), [(0, "no data"), (10, "only 10 interval(s)")])
def test_too_little_cloudwatch_data_is_a_clear_error_and_no_plan(
    qtbot, tmp_path, moto_endpoint, intervals, says
):
    make_group(moto_endpoint)
    if intervals:
        put_group_metric(moto_endpoint, 50.0, intervals=intervals)
    rig = make_rig(qtbot, tmp_path, asg_config(moto_endpoint))
    try:
        with qtbot.waitSignal(rig.notifier.reported, timeout=WAIT_MS) as reported:
            rig.controller.run_cycle()
        source, message, _details = reported.args
        assert source == "Plans: web"
        assert says in message and "AWS/EC2 CPUUtilization" in message
        assert f"{MIN_INTERVALS} half-hour intervals" in message
        qtbot.waitUntil(lambda: not rig.controller.busy(), timeout=WAIT_MS)
        assert rig.controller.plans == [] and rig.told == []
    finally:
        assert rig.controller.stop(10.0)


def test_the_target_dialog_takes_the_cloudwatch_metric(qtbot):
    from console.plans.target_dialog import AsgTargetDialog

    dialog = AsgTargetDialog({"demo"})
    qtbot.addWidget(dialog)
    assert not dialog.grab().isNull()  # painting asks QWidget.metric(): nothing may hide it
    dialog.group.setText("web")
    config = dialog.config()
    assert (config.metric_namespace, config.metric_name, config.metric_statistic) == (
        "AWS/EC2",
        "CPUUtilization",
        "Average",
    )
    assert config.metric_kind == "utilisation" and config.per_unit == 60
    dialog.cw_namespace.setText("Shop/Web")
    dialog.cw_metric.setText("Requests")
    dialog.cw_statistic.setCurrentText("Sum")
    dialog.metric_kind.setCurrentIndex(dialog.metric_kind.findData("throughput"))
    dialog.per_unit.setValue(250)
    config = dialog.config()
    assert (config.metric_namespace, config.metric_name, config.metric_statistic) == (
        "Shop/Web",
        "Requests",
        "Sum",
    )
    assert config.metric_kind == "throughput" and config.per_unit == 250
    assert TargetConfig.from_dict(config.to_dict()) == config
    dialog.cw_metric.setText(" ")
    dialog.accept()
    assert "metric name" in dialog.error.text()
    with pytest.raises(ValueError, match="between 0 and 100"):
        asg_config("http://127.0.0.1:1", per_unit=150.0)


def test_the_tab_says_why_an_asg_target_has_no_plan(qtbot, moto_endpoint):
    from tests.gui.test_plans_workspace import close, open_plans

    make_group(moto_endpoint)
    host, workspace = open_plans(qtbot)
    try:
        with qtbot.waitSignal(workspace.controller.cycle_failed, timeout=WAIT_MS):
            workspace.add_target(asg_config(moto_endpoint))
        assert workspace.current_target() == "web"
        assert workspace.target_problem.isVisible()
        assert "no data for AWS/EC2 CPUUtilization" in workspace.target_problem.text()
        assert not [p for p in workspace.controller.plans if p.target == "web"]
        workspace.target.setCurrentText("demo")
        assert not workspace.target_problem.isVisible()
    finally:
        close(host, workspace)
