"""``AwsSource``: CloudWatch metrics of an Auto Scaling group or an EC2 instance.

CloudWatch is not live: datapoints are per ``period`` (60 s with detailed
monitoring, 300 s without) and arrive minutes late. So ``collect()`` returns
the datapoints of *finished* periods it has not returned before, each stamped
with its period's start — often none at all, which is normal. ``history()``
returns everything in a window, for backfilling a store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from connectors.aws.cloudwatch import MAPPING, Point, Subject, fetch
from connectors.aws.discovery import (
    AutoScalingGroup,
    Ec2Instance,
    describe_groups,
    describe_instances,
)
from connectors.aws.session import make_client, make_session, translate
from connectors.errors import SourceError
from models.samples import Sample

SOURCE_NAME = "aws"
KINDS = ("asg", "instance")


def _no_progress(_fraction: float) -> None:
    return None


def _never() -> bool:
    return False


class AwsSource:
    """Collector over CloudWatch for one Auto Scaling group (``kind="asg"``) or instance.

    For a group, samples come for the group as a whole (``host`` = group name)
    and, with ``per_instance``, for each of its current instances (``host`` =
    instance id).
    """

    source = SOURCE_NAME

    def __init__(
        self,
        kind: str,
        name: str,
        *,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        period: int = 60,
        lookback: float = 900.0,
        per_instance: bool = True,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if period <= 0 or period % 60:
            raise ValueError(f"period must be a positive multiple of 60 s, got {period}")
        self.kind = kind
        self.name = name
        self.profile = profile
        self.period = period
        self.lookback = lookback
        self.per_instance = per_instance
        self.endpoint_url = endpoint_url
        label = f"aws {profile + '@' if profile else ''}{region or 'default-region'}/{kind}/{name}"
        self.session = make_session(label, profile, region)
        self.region = str(self.session.region_name)
        self.host = f"{self.region}/{kind}/{name}"
        self._label = f"aws {profile + '@' if profile else ''}{self.host}"
        self._clients: dict[str, Any] = {}
        self._returned_until: dict[tuple[str, str], float] = {}

    def __repr__(self) -> str:
        return f"AwsSource({self._label!r})"

    # -- Collector protocol -----------------------------------------------------------

    def collect(self, now: float | None = None) -> list[Sample]:
        """Datapoints of finished periods not returned by an earlier call."""
        end = time.time() if now is None else now
        fresh = []
        for point in self._fetch(end - self.lookback, end):
            key = (point.subject.host, point.metric)
            if point.timestamp + self.period > end:
                continue  # the period is still filling: a Sum would read low
            if point.timestamp <= self._returned_until.get(key, float("-inf")):
                continue
            self._returned_until[key] = point.timestamp
            fresh.append(point)
        return [self._sample(point) for point in fresh]

    # -- more than the protocol -------------------------------------------------------

    def history(
        self,
        start: float,
        end: float,
        *,
        progress: Callable[[float], None] = _no_progress,
        cancelled: Callable[[], bool] = _never,
    ) -> list[Sample]:
        """Every datapoint in ``[start, end)``, one subject at a time (for progress)."""
        subjects = self.subjects()
        samples: list[Sample] = []
        for done, subject in enumerate(subjects, start=1):
            if cancelled():
                break
            samples += [
                self._sample(point)
                for point in self._call(
                    fetch, self._client("cloudwatch"), [subject], start, end, self.period
                )
            ]
            progress(done / len(subjects))
        return samples

    def subjects(self) -> list[Subject]:
        """What the CloudWatch queries are about, group first, then its instances."""
        if self.kind == "instance":
            return [Subject("InstanceId", self.name, self.name)]
        subjects = [Subject("AutoScalingGroupName", self.name, self.name)]
        if self.per_instance:
            group = self.group()
            subjects += [Subject("InstanceId", iid, iid) for iid in group.instance_ids]
        return subjects

    def group(self) -> AutoScalingGroup:
        """This source's Auto Scaling group, as AWS describes it now."""
        groups = self._call(describe_groups, self._client("autoscaling"), [self.name])
        if not groups:
            raise SourceError(self._label, f"no Auto Scaling group named {self.name!r}")
        return groups[0]

    def discover_groups(self) -> list[AutoScalingGroup]:
        """Every Auto Scaling group in the region (for a picker)."""
        return self._call(describe_groups, self._client("autoscaling"), None)

    def discover_instances(self) -> list[Ec2Instance]:
        """Every EC2 instance in the region, each with its group if it has one."""
        return self._call(describe_instances, self._client("ec2"), None)

    # -- helpers ----------------------------------------------------------------------

    def _fetch(self, start: float, end: float) -> list[Point]:
        return self._call(
            fetch, self._client("cloudwatch"), self.subjects(), start, end, self.period, MAPPING
        )

    def _sample(self, point: Point) -> Sample:
        return Sample(point.timestamp, SOURCE_NAME, point.subject.host, point.metric, point.value)

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = make_client(self.session, service, self.endpoint_url)
        return self._clients[service]

    def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        import botocore.exceptions

        try:
            return function(*args)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise translate(self._label, error) from None
