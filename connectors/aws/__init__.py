"""AWS as a Headroom source: CloudWatch metrics of Auto Scaling groups and EC2 instances.

Public API::

    AwsSource(kind, name, *, profile=None, region=None, endpoint_url=None,
              period=60, lookback=900.0, per_instance=True)     # kind: "asg" | "instance"
        .collect(now=None) -> list[Sample]          # Collector protocol
        .history(start, end, *, progress, cancelled) -> list[Sample]
        .subjects() -> list[Subject]; .group() -> AutoScalingGroup
        .discover_groups() -> list[AutoScalingGroup]
        .discover_instances() -> list[Ec2Instance]
    MAPPING: CloudWatch metric → catalogue name (table in connectors.aws.cloudwatch)

Credentials and region follow boto3's chain and named profiles. Failures are
:mod:`connectors.errors` exceptions naming the group or instance.
"""

from __future__ import annotations

from connectors.aws.cloudwatch import MAPPING, CloudWatchMetric, Point, Subject
from connectors.aws.discovery import AutoScalingGroup, Ec2Instance
from connectors.aws.source import KINDS, SOURCE_NAME, AwsSource

__all__ = [
    "KINDS",
    "MAPPING",
    "SOURCE_NAME",
    "AutoScalingGroup",
    "AwsSource",
    "CloudWatchMetric",
    "Ec2Instance",
    "Point",
    "Subject",
]
