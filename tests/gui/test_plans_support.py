"""Shared helpers for the Plans tests: a controllable wall clock and a controller rig."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
from PySide6.QtCore import QThreadPool

from connectors.audit import AuditLog
from console.plans.controller import PlanController
from console.plans.targets import TargetConfig, TargetRuntime
from console.workers import ErrorNotifier
from models.planning import Plan, PlanState

WAIT_MS = 15_000


class FakeWallClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    controller: PlanController
    runtime: TargetRuntime
    clock: FakeWallClock
    audit: AuditLog
    notifier: ErrorNotifier
    told: list[tuple[str, str]]

    def advance_to(self, demo_time: pd.Timestamp) -> None:
        """Move the wall clock so the runtime's own time reaches ``demo_time``."""
        self.clock.now = max(self.clock.now, self.runtime.wall_time_at(demo_time) + 0.001)

    def plans(self, state: PlanState | None = None) -> list[Plan]:
        return [p for p in self.controller.plans if state is None or p.state is state]

    def decisions(self) -> list[str]:
        return [entry.decision for entry in self.audit.entries()]


def make_rig(qtbot, tmp_path, config: TargetConfig) -> Rig:
    clock = FakeWallClock()
    runtime = TargetRuntime(config, wall_clock=clock)
    notifier = ErrorNotifier()
    pool = QThreadPool()
    audit = AuditLog(tmp_path / "audit.jsonl")
    told: list[tuple[str, str]] = []
    controller = PlanController(
        [runtime], pool, notifier, audit, lambda kind, message: told.append((kind, message))
    )
    return Rig(controller, runtime, clock, audit, notifier, told)


def first_cycle(qtbot, rig: Rig) -> Plan:
    with qtbot.waitSignal(rig.controller.cycle_done, timeout=WAIT_MS):
        rig.controller.run_cycle()
    return rig.controller.plans[-1]


def wait_audit(qtbot, rig: Rig, decision: str) -> None:
    qtbot.waitUntil(lambda: decision in rig.decisions(), timeout=WAIT_MS)
