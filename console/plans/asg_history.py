"""An Auto Scaling group's driving metric from CloudWatch, one value per plan interval.

No Qt here: it runs in the worker of the forecast cycle (boto3 calls block). The query
is ``GetMetricData`` for ``namespace/metric`` with the dimension
``AutoScalingGroupName=<group>`` at the plan interval as period, so CloudWatch does the
averaging (or summing: a ``Sum`` becomes a per-second rate, like the AWS source does).
Only finished intervals are asked for, so the newest value is never a partial one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from connectors.aws.cloudwatch import CloudWatchMetric, Subject, fetch
from connectors.aws.session import make_client, make_session, translate

if TYPE_CHECKING:
    from console.plans.targets import TargetConfig

MIN_INTERVALS = 48  # a day of half-hours: fewer cannot show a daily pattern to forecast


class NoMetricData(Exception):
    """Too little (or no) CloudWatch data to forecast this target yet; no plan is made."""

    def __init__(self, target: str, metric: str, found: int, needed: int) -> None:
        have = "no data" if found == 0 else f"only {found} interval(s) of data"
        super().__init__(
            f"{target}: {have} for {metric} yet; plans start once CloudWatch has {needed} "
            "half-hour intervals"
        )
        self.target = target
        self.metric = metric
        self.found = found
        self.needed = needed


def metric_label(config: TargetConfig) -> str:
    return (
        f"{config.metric_namespace} {config.metric_name} ({config.metric_statistic}, "
        f"AutoScalingGroupName={config.group})"
    )


def group_history(
    config: TargetConfig,
    capacity: int,
    now: float,
    interval: pd.Timedelta,
    days: float,
    min_intervals: int = MIN_INTERVALS,
) -> pd.DataFrame:
    """``demand`` (the metric) and ``capacity`` per finished interval over ``days``.

    CloudWatch does not say how many instances served each past interval (that needs
    the group's own metrics enabled), so ``capacity`` is today's, flat.
    """
    period = int(interval.total_seconds())
    label = f"aws {config.region or 'default-region'}/asg/{config.group}"
    statistic = config.metric_statistic
    metric = CloudWatchMetric(
        config.metric_namespace,
        config.metric_name,
        statistic,
        config.metric_name,
        per_second=statistic == "Sum",
    )
    subject = Subject("AutoScalingGroupName", config.group, config.group)
    session = make_session(label, config.profile, config.region)
    client = make_client(session, "cloudwatch", config.endpoint_url)
    try:
        points = fetch(client, [subject], now - days * 86_400.0, now, period, [metric])
    except Exception as error:  # botocore's errors become the source errors operators know
        raise translate(label, error) from None
    series = pd.Series(
        [p.value for p in points],
        index=pd.to_datetime([p.timestamp for p in points], unit="s", utc=True),
        dtype=float,
    )
    series = series[~series.index.duplicated(keep="last")].sort_index()
    if len(series) < min_intervals:
        raise NoMetricData(config.name, metric_label(config), len(series), min_intervals)
    # The grid stays regular for the forecaster; a missing interval is filled from its
    # neighbours rather than read as zero load.
    grid = pd.date_range(series.index[0], series.index[-1], freq=interval)
    demand = series.reindex(grid).interpolate(limit_direction="both")
    frame = pd.DataFrame({"demand": demand, "capacity": float(capacity)})
    frame.index.name = "timestamp"
    return frame
