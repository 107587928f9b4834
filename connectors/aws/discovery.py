"""Which Auto Scaling groups and EC2 instances exist, for choosing what to watch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AutoScalingGroup:
    name: str
    min_size: int
    max_size: int
    desired: int
    instance_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ec2Instance:
    instance_id: str
    state: str  # "running", "stopped", ...
    instance_type: str
    group: str | None  # the Auto Scaling group it belongs to, if any


def describe_groups(autoscaling: Any, names: list[str] | None = None) -> list[AutoScalingGroup]:
    """All groups (or the ``names`` given), sorted by name."""
    kwargs: dict[str, Any] = {"AutoScalingGroupNames": names} if names else {}
    groups = []
    for page in autoscaling.get_paginator("describe_auto_scaling_groups").paginate(**kwargs):
        for group in page.get("AutoScalingGroups", []):
            groups.append(
                AutoScalingGroup(
                    name=group["AutoScalingGroupName"],
                    min_size=int(group.get("MinSize", 0)),
                    max_size=int(group.get("MaxSize", 0)),
                    desired=int(group.get("DesiredCapacity", 0)),
                    instance_ids=tuple(
                        sorted(item["InstanceId"] for item in group.get("Instances", []))
                    ),
                )
            )
    return sorted(groups, key=lambda group: group.name)


def describe_instances(ec2: Any, instance_ids: list[str] | None = None) -> list[Ec2Instance]:
    """All instances (or those given), with the group they belong to, sorted by id."""
    kwargs: dict[str, Any] = {"InstanceIds": instance_ids} if instance_ids else {}
    found = []
    for page in ec2.get_paginator("describe_instances").paginate(**kwargs):
        for reservation in page.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                tags = {tag["Key"]: tag["Value"] for tag in instance.get("Tags", [])}
                found.append(
                    Ec2Instance(
                        instance_id=instance["InstanceId"],
                        state=instance.get("State", {}).get("Name", "unknown"),
                        instance_type=instance.get("InstanceType", ""),
                        group=tags.get("aws:autoscaling:groupName"),
                    )
                )
    return sorted(found, key=lambda instance: instance.instance_id)
