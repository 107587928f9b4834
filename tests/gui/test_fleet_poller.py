"""The poller: healthy hosts keep updating while others are dead, slow or refused."""

from __future__ import annotations

import threading
import time

from connectors.errors import AuthFailed, ConnectionRefused
from console.fleet.connections import Connection
from console.fleet.fleet_model import FleetModel
from console.fleet.fleet_state import FleetState
from console.fleet.poller import FleetPoller
from models.samples import Sample


class FakeSource:
    """Answers at once, after ``delay_s``, or with a typed error; counts its calls."""

    def __init__(self, host: str, delay_s: float = 0.0, error: Exception | None = None) -> None:
        self.host = host
        self.delay_s = delay_s
        self.error = error
        self.calls = 0
        self.release = threading.Event()

    def collect(self, now: float | None = None) -> list[Sample]:
        self.calls += 1
        if self.delay_s:
            self.release.wait(self.delay_s)
        if self.error is not None:
            raise self.error
        t = time.time()
        return [
            Sample(t, "sim", self.host, "cpu.percent", 10.0 + self.calls),
            Sample(t, "sim", self.host, "mem.used.percent", 40.0),
        ]


class Sink:
    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.lock = threading.Lock()

    def put(self, samples: list[Sample]) -> None:
        with self.lock:
            self.samples.extend(samples)


def test_bad_hosts_never_stall_good_ones(qtbot):
    sources = {f"good{i}": FakeSource(f"good{i}") for i in range(20)}
    sources["dead"] = FakeSource("dead", error=ConnectionRefused("dead", "connection refused"))
    sources["locked"] = FakeSource("locked", error=AuthFailed("locked", "authentication failed"))
    slow = [FakeSource(f"slow{i}", delay_s=30.0) for i in range(6)]
    sources.update({s.host: s for s in slow})
    state = FleetState(window_s=60, resolution_s=1.0)
    model = FleetModel(state, refresh_hz=4)
    sink = Sink()
    # Fewer threads than slow hosts: only the slow lane keeps them from starving the rest.
    poller = FleetPoller(
        state,
        lambda: sink,
        interval_s=0.2,
        timeout_s=0.5,
        threads=4,
        slow_threads=2,
        open_collector=lambda c: sources[c.name],
    )
    poller.set_connections([Connection(name, "ssh", name) for name in sources])
    poller.start()
    try:
        qtbot.waitUntil(
            lambda: all(sources[f"good{i}"].calls >= 5 for i in range(20)), timeout=15000
        )
        qtbot.waitUntil(lambda: state.status.get("slow0") is not None, timeout=5000)
        qtbot.waitUntil(lambda: sources["dead"].calls >= 2, timeout=5000)
        model.refresh()
        dead_text = model.index(state.hosts.index("dead"), 3).data()
        slow_state = state.status["slow0"].state
    finally:
        poller.stop(0.1)
        for source in slow:
            source.release.set()
        assert poller.stop(5.0)
    model.refresh()
    texts = {state.hosts[row]: model.index(row, 3).data() for row in range(model.rowCount())}
    assert texts["good3"] == "connected"
    assert dead_text.startswith("refused · retrying in "), dead_text
    assert texts["locked"] == "auth failed"
    assert sources["locked"].calls == 1  # a rejected password is not retried in a loop
    assert slow_state == "timeout"
    stored_hosts = {s.host for s in sink.samples}
    assert {f"good{i}" for i in range(20)} <= stored_hosts
    assert sources["dead"].calls < sources["good0"].calls  # backing off, not hammering
    assert model.index(state.hosts.index("good0"), 4).data() != ""
