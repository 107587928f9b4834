"""Configured scaling targets, persisted as JSON (no secrets), and their runtimes.

The demo target is there by default: the bundled demand trace served by a simulated
LocalPool, replayed "now" at 60x. An AWS Auto Scaling group target names the group,
profile, region and (for tests or private endpoints) an endpoint URL, and the CloudWatch
metric that drives it (``AWS/EC2 CPUUtilization`` by default, or a custom namespace and
metric); credentials come from boto3's own chain, never from this file.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pandas as pd

from connectors.paths import config_dir
from connectors.scaling.base import ScalingExecutor
from connectors.scaling.demo import DemoEnvironment, DemoTarget, DemoTrace
from models.planning import (
    AutoApprovePolicy,
    MetricKind,
    PlannerSettings,
    ScalableTarget,
    TargetKind,
    TargetMode,
)

TARGETS_FILE = "targets.json"
SCHEMA = 1
DEMO_SPEEDS = (1.0, 60.0, 360.0)
PLAN_INTERVAL = pd.Timedelta(minutes=30)  # the trace's resolution: one forecast step
HISTORY_DAYS = 14
STATISTICS = ("Average", "Sum", "Maximum", "Minimum", "SampleCount")
METRIC_KINDS = ("utilisation", "throughput")
PLANNER_LEVELS = (80, 95)  # the bands every live forecast carries


class TargetsFileError(Exception):
    """targets.json cannot be read or holds an invalid target."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class TargetConfig:
    name: str
    kind: str = "demo"  # "demo" or "asg"
    mode: TargetMode = TargetMode.APPROVAL_REQUIRED
    policy: AutoApprovePolicy = field(default_factory=AutoApprovePolicy)
    speed: float = 60.0  # demo only: demo seconds per wall second
    group: str = ""  # asg only
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    per_unit: float = 100.0  # requests/s one unit serves
    price_per_unit_hour: float = 0.20
    minimum: int = 1
    maximum: int = 20
    warmup_s: float = 300.0
    # asg only: the CloudWatch metric (dimension AutoScalingGroupName=group) that drives it.
    # "utilisation": per_unit is the % one instance should run at; "throughput": what one
    # instance serves (a Sum is read as a per-second rate).
    metric_namespace: str = "AWS/EC2"
    metric_name: str = "CPUUtilization"
    metric_statistic: str = "Average"
    metric_kind: str = "utilisation"
    # How plans are made: the band planned on, headroom, step limit, scale-in delay.
    planner: PlannerSettings = field(default_factory=PlannerSettings)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", TargetMode(self.mode))
        if self.planner.level not in PLANNER_LEVELS:
            raise ValueError(
                f"target {self.name!r}: plans cover the 80 or 95 % band, got {self.planner.level}"
            )
        if self.kind not in ("demo", "asg"):
            raise ValueError(f"target {self.name!r}: kind must be demo or asg, got {self.kind!r}")
        if self.kind == "asg" and not self.group.strip():
            raise ValueError(f"target {self.name!r}: an Auto Scaling group needs its name")
        if not (math.isfinite(self.speed) and self.speed > 0):
            raise ValueError(f"target {self.name!r}: speed must be > 0")
        if self.kind == "asg":
            self._check_metric()

    def _check_metric(self) -> None:
        where = f"target {self.name!r}"
        if not (self.metric_namespace.strip() and self.metric_name.strip()):
            raise ValueError(f"{where}: the CloudWatch namespace and metric name are needed")
        if self.metric_statistic not in STATISTICS:
            raise ValueError(f"{where}: statistic must be one of {', '.join(STATISTICS)}")
        if self.metric_kind not in METRIC_KINDS:
            raise ValueError(f"{where}: metric kind must be utilisation or throughput")
        if self.metric_kind == "utilisation" and not 0 < self.per_unit <= 100:
            raise ValueError(f"{where}: a target utilisation is between 0 and 100 %")

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "mode": self.mode.value,
            "policy": self.policy.to_dict(),
            "speed": self.speed,
            "group": self.group,
            "profile": self.profile,
            "region": self.region,
            "endpoint_url": self.endpoint_url,
            "per_unit": self.per_unit,
            "price_per_unit_hour": self.price_per_unit_hour,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "warmup_s": self.warmup_s,
            "metric_namespace": self.metric_namespace,
            "metric_name": self.metric_name,
            "metric_statistic": self.metric_statistic,
            "metric_kind": self.metric_kind,
            "planner": self.planner.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> TargetConfig:
        values = dict(data)
        values["policy"] = AutoApprovePolicy.from_dict(values.get("policy") or {})  # type: ignore[arg-type]
        planner = values.get("planner")  # absent from files saved before it existed
        values["planner"] = PlannerSettings.from_dict(planner) if planner else PlannerSettings()  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


def demo_config() -> TargetConfig:
    return TargetConfig(name="demo")


def targets_path() -> Path:
    return config_dir() / TARGETS_FILE


def load_targets(path: Path | None = None) -> list[TargetConfig]:
    """The configured targets; the demo target alone when nothing is configured yet."""
    path = path or targets_path()
    if not path.exists():
        return [demo_config()]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        targets = [TargetConfig.from_dict(item) for item in data["targets"]]
    except OSError as error:
        raise TargetsFileError(path, f"cannot read: {error.strerror}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise TargetsFileError(path, f"invalid: {error}") from None
    return targets or [demo_config()]


def save_targets(targets: list[TargetConfig], path: Path | None = None) -> None:
    path = path or targets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    payload = {"schema": SCHEMA, "targets": [t.to_dict() for t in targets]}
    temporary.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)  # a crash mid-write never leaves half a file


class TargetRuntime:
    """A target while the console runs: its clock, demand history and executor.

    The demo replays the trace through a LocalPool in demo time; ``demo_time`` resumes
    that clock where an earlier run left it (plans saved then stay in the future they
    were made for) and ``pool_state`` keeps the pool's size across restarts. An ASG
    target runs at real time, forecasts from its CloudWatch metric (fetched in the
    cycle's worker) and is scaled through AwsAsgExecutor.
    """

    def __init__(
        self,
        config: TargetConfig,
        wall_clock: Callable[[], float] = time.time,
        initial: int | None = None,
        demo_time: float | None = None,
        pool_state: Path | None = None,
    ) -> None:
        self.config = config
        self.wall_clock = wall_clock
        self.pool_state = pool_state
        speed = config.speed if config.kind == "demo" else 1.0
        # Demo time = anchor + (shifted wall - anchor) x speed; shifting the wall clock by a
        # constant makes the demo start at ``demo_time`` and still run at ``speed``.
        self._offset = (
            0.0 if demo_time is None or config.kind != "demo" else demo_time - wall_clock()
        )
        offset = self._offset
        demo_target = DemoTarget(
            name=config.name,
            unit_capacity=config.per_unit,
            price_per_unit_hour=config.price_per_unit_hour,
            warmup_s=config.warmup_s,
            initial=initial if initial is not None else DemoTarget.initial,
            min_size=config.minimum,
            max_size=config.maximum,
        )
        self.demo = DemoEnvironment.create(
            speed=speed,
            target=demo_target,
            wall_clock=(lambda: wall_clock() + offset) if offset else wall_clock,
            trace=_trace(),
            state_path=pool_state if config.kind == "demo" else None,
        )
        self.executor: ScalingExecutor = self.demo.executor
        if config.kind == "asg":
            from connectors.scaling.aws_asg import AwsAsgExecutor

            self.executor = AwsAsgExecutor(
                config.group, config.profile, config.region, config.endpoint_url
            )

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def speed(self) -> float:
        return self.demo.trace.speed

    def now(self) -> pd.Timestamp:
        """The target's own time (demo time for the demo)."""
        return pd.Timestamp(self.demo.clock(), unit="s", tz="UTC").floor("us")

    def clock_seconds(self) -> float:
        """The target's own time as epoch seconds (saved with the plans)."""
        return self.demo.clock()

    def wall_time_at(self, when: pd.Timestamp) -> float:
        """The wall-clock time at which the target's own time reaches ``when``."""
        return self.demo.trace.wall_time(when.timestamp()) - self._offset

    def history(self) -> pd.DataFrame:
        """Demand and capacity per plan interval, complete intervals only (worker thread).

        An ASG's comes from CloudWatch (NoMetricData until there is enough of it)."""
        if self.config.kind == "asg":
            from console.plans.asg_history import group_history

            return group_history(
                self.config,
                self.executor.current_capacity(),
                self.clock_seconds(),
                PLAN_INTERVAL,
                HISTORY_DAYS,
            )
        self.demo.tick()
        frame = self.demo.history_frame()
        frame = frame[frame.index >= frame.index[-1] - pd.Timedelta(days=HISTORY_DAYS)]
        grouped = frame.resample(PLAN_INTERVAL)
        means = grouped.mean()
        counts = grouped["demand"].count()
        full = int(PLAN_INTERVAL / pd.Timedelta(seconds=self.demo.target.sample_step_s))
        return means[counts >= full].dropna()

    def scalable_target(self, current: int) -> ScalableTarget:
        config = self.config
        return ScalableTarget(
            name=config.name,
            kind=TargetKind.POOL if config.kind == "demo" else TargetKind.ASG,
            metric="requests.per_s" if config.kind == "demo" else config.metric_name,
            metric_kind=MetricKind.THROUGHPUT
            if config.kind == "demo"
            else MetricKind(config.metric_kind),
            per_unit=config.per_unit,
            current=min(max(current, config.minimum), config.maximum),
            desired=min(max(current, config.minimum), config.maximum),
            minimum=config.minimum,
            maximum=config.maximum,
            price_per_unit_hour=config.price_per_unit_hour,
            warmup=timedelta(seconds=config.warmup_s),
            cooldown=timedelta(0),
            mode=config.mode,
            executor=self.executor.target,
        )

    def with_config(self, config: TargetConfig) -> TargetRuntime:
        """A runtime for the edited config; the demo pool keeps its size across a speed change."""
        if config.kind == self.config.kind == "demo" and config.speed == self.config.speed:
            self.config = config
            return self
        if config.kind != "demo":
            return TargetRuntime(config, self.wall_clock)
        # The demo clock carries on at the new speed: saved plans keep their meaning.
        current = self.demo.executor.current_capacity()
        return TargetRuntime(
            config, self.wall_clock, current, self.clock_seconds(), self.pool_state
        )


_TRACE: DemoTrace | None = None


def _trace() -> DemoTrace:
    global _TRACE
    if _TRACE is None:
        _TRACE = DemoTrace.load()
    return _TRACE
