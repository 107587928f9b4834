"""CloudWatch metrics → Headroom's catalogue, fetched with ``GetMetricData``.

The mapping (namespace, CloudWatch metric, statistic → catalogue name):

===============  ==================  =========  =========================  ===========
namespace        metric              statistic  catalogue name             conversion
===============  ==================  =========  =========================  ===========
AWS/EC2          CPUUtilization      Average    cpu.percent                none (%)
AWS/EC2          NetworkIn           Sum        net.rx.bytes               ÷ period → B/s
AWS/EC2          NetworkOut          Sum        net.tx.bytes               ÷ period → B/s
AWS/EC2          EBSReadBytes        Sum        disk.read.bytes            ÷ period → B/s
AWS/EC2          EBSWriteBytes       Sum        disk.write.bytes           ÷ period → B/s
AWS/EC2          DiskReadBytes       Sum        disk.read.bytes:instance-store   ÷ period
AWS/EC2          DiskWriteBytes      Sum        disk.write.bytes:instance-store  ÷ period
CWAgent          mem_used_percent    Average    mem.used.percent           none (%)
CWAgent          swap_used_percent   Average    swap.used.percent          none (%)
===============  ==================  =========  =========================  ===========

The same metrics exist per instance (dimension ``InstanceId``) and per Auto
Scaling group (dimension ``AutoScalingGroupName``, the group's aggregate). For a
group, the *Sum* metrics add up the bytes of all its instances in the period,
so the group's rate is the fleet's rate. Memory and swap need the CloudWatch
agent; without it those queries simply return nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class CloudWatchMetric:
    namespace: str
    name: str
    statistic: str
    catalogue_name: str
    per_second: bool  # a Sum over the period, divided by its length to give a rate


MAPPING: tuple[CloudWatchMetric, ...] = (
    CloudWatchMetric("AWS/EC2", "CPUUtilization", "Average", "cpu.percent", False),
    CloudWatchMetric("AWS/EC2", "NetworkIn", "Sum", "net.rx.bytes", True),
    CloudWatchMetric("AWS/EC2", "NetworkOut", "Sum", "net.tx.bytes", True),
    CloudWatchMetric("AWS/EC2", "EBSReadBytes", "Sum", "disk.read.bytes", True),
    CloudWatchMetric("AWS/EC2", "EBSWriteBytes", "Sum", "disk.write.bytes", True),
    CloudWatchMetric("AWS/EC2", "DiskReadBytes", "Sum", "disk.read.bytes:instance-store", True),
    CloudWatchMetric("AWS/EC2", "DiskWriteBytes", "Sum", "disk.write.bytes:instance-store", True),
    CloudWatchMetric("CWAgent", "mem_used_percent", "Average", "mem.used.percent", False),
    CloudWatchMetric("CWAgent", "swap_used_percent", "Average", "swap.used.percent", False),
)

MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit


@dataclass(frozen=True, slots=True)
class Subject:
    """What a query is about: a CloudWatch dimension and the Headroom host it becomes."""

    dimension: str  # "InstanceId" or "AutoScalingGroupName"
    value: str
    host: str


@dataclass(frozen=True, slots=True)
class Point:
    subject: Subject
    metric: str  # catalogue name
    timestamp: float
    value: float


def fetch(
    cloudwatch: Any,
    subjects: Sequence[Subject],
    start: float,
    end: float,
    period: int,
    mapping: Sequence[CloudWatchMetric] = MAPPING,
) -> list[Point]:
    """Every datapoint of every mapped metric of every subject in ``[start, end)``.

    Both ends are rounded down to a multiple of ``period``.
    """
    # Whole periods on period boundaries: CloudWatch (and moto) then stamp each
    # datapoint at its period's start, and no partial period at either end is asked for.
    start = (start // period) * period
    end = (end // period) * period
    if end <= start:
        return []
    plan = [(subject, metric) for subject in subjects for metric in mapping]
    points: list[Point] = []
    for offset in range(0, len(plan), MAX_QUERIES_PER_CALL):
        chunk = plan[offset : offset + MAX_QUERIES_PER_CALL]
        queries = [
            _query(f"q{index}", subject, metric, period)
            for index, (subject, metric) in enumerate(chunk)
        ]
        pages = cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=queries,
            StartTime=datetime.fromtimestamp(start, UTC),
            EndTime=datetime.fromtimestamp(end, UTC),
            ScanBy="TimestampAscending",
        )
        for page in pages:
            for result in page.get("MetricDataResults", []):
                subject, metric = chunk[int(result["Id"][1:])]
                scale = 1.0 / period if metric.per_second else 1.0
                points += [
                    Point(subject, metric.catalogue_name, stamp.timestamp(), float(value) * scale)
                    for stamp, value in zip(
                        result.get("Timestamps", []), result.get("Values", []), strict=True
                    )
                ]
    return points


def _query(
    query_id: str, subject: Subject, metric: CloudWatchMetric, period: int
) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": metric.namespace,
                "MetricName": metric.name,
                "Dimensions": [{"Name": subject.dimension, "Value": subject.value}],
            },
            "Period": period,
            "Stat": metric.statistic,
        },
        "ReturnData": True,
    }
