"""Polls every connection in bounded thread pools; one bad or slow host never stalls the rest.

A dispatcher thread starts one task per due connection (starting 1,000 tasks a
second from the GUI thread would cost it ~50 ms a second). Each task opens the
connection's collector if needed, collects, hands the samples to the store
writer and folds them into :class:`FleetState` (both from the worker thread),
then records the connection's status from the typed errors of
``connectors.errors``. Hosts that failed or answered slower than the poll
interval move to a separate small "slow lane" pool, so however many hosts hang,
healthy ones keep their threads. Failures back off exponentially (shown as
"retrying in N s"); unknown or changed host keys and rejected credentials wait
for the operator (:meth:`FleetPoller.poll_now`) instead of retrying.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, QThreadPool, Signal

from connectors.errors import AuthFailed, HostKeyMismatch, SourceError, UnknownHostKey
from console.fleet.connections import Connection
from console.fleet.fleet_state import ConnectionStatus, FleetState
from models.samples import Sample

log = logging.getLogger(__name__)

TICK_MS = 100
BACKOFF_INITIAL_S = 1.0
BACKOFF_MAX_S = 60.0
AWS_MIN_INTERVAL_S = 30.0  # CloudWatch has 1-minute periods: polling faster only costs API calls
MAX_REPLACED = 64  # extra fast-lane threads standing in for ones stuck on unknown-slow hosts
NEEDS_OPERATOR = (UnknownHostKey, HostKeyMismatch, AuthFailed)


class Collector(Protocol):
    host: str

    def collect(self, now: float | None = None) -> list[Sample]: ...


class SampleSink(Protocol):
    def put(self, samples: list[Sample]) -> None: ...


OpenCollector = Callable[[Connection], Collector]


@dataclass
class _Slot:
    connection: Connection
    collector: Collector | None = None
    busy: bool = False
    started_at: float = 0.0
    next_at: float = 0.0
    failures: int = 0
    slow: bool = False
    timed_out: bool = False
    replaced: bool = False  # a stand-in thread was added for this poll's stuck thread
    removed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class FleetPoller(QObject):
    # connection name, status text; emitted from workers, delivered queued on the GUI thread
    status_changed = Signal(str, str)

    def __init__(
        self,
        state: FleetState,
        sink: Callable[[], SampleSink | None] = lambda: None,
        *,
        interval_s: float = 1.0,
        timeout_s: float = 5.0,
        threads: int = 16,
        slow_threads: int = 4,
        open_collector: OpenCollector | None = None,
        decide: Callable[[str, str, str], bool] | None = None,
        known_hosts: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.sink = sink
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.decide = decide
        self.known_hosts = known_hosts
        self.open_collector = open_collector or self._open_default
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.slow_pool = QThreadPool(self)
        self.slow_pool.setMaxThreadCount(slow_threads)
        self.slots: dict[str, _Slot] = {}
        self.polls = 0
        self.base_threads = threads
        self.stand_ins = 0
        self._pool_lock = threading.Lock()
        self.stored = 0
        self._counter_lock = threading.Lock()
        self._tick_lock = threading.Lock()
        self._stopping = threading.Event()
        self._dispatcher: threading.Thread | None = None

    # -- control (GUI thread) -----------------------------------------------------------

    def set_connections(self, connections: list[Connection]) -> None:
        """Poll exactly these from now on; changed definitions reopen their collector."""
        with self._tick_lock:
            self._set_connections(connections)

    def _set_connections(self, connections: list[Connection]) -> None:
        wanted = {c.name: c for c in connections}
        for name in list(self.slots):
            if name not in wanted or wanted[name] != self.slots[name].connection:
                self.slots.pop(name).removed = True
        count = max(len(wanted), 1)
        now = time.monotonic()
        for index, (name, connection) in enumerate(wanted.items()):
            if name not in self.slots:
                # Spread first polls over one interval so a big fleet is not polled in lockstep.
                self.slots[name] = _Slot(connection, next_at=now + self.interval_s * index / count)
                self.state.set_connection_tags(name, connection.tags)

    def start(self) -> None:
        if self._dispatcher is None:
            self._dispatcher = threading.Thread(
                target=self._dispatch, name="headroom-fleet-dispatcher", daemon=True
            )
            self._dispatcher.start()

    def _dispatch(self) -> None:
        while not self._stopping.wait(TICK_MS / 1000):
            try:
                self.tick()
            except Exception:  # a bug must not end polling silently for the whole fleet
                log.exception("fleet dispatcher tick failed")

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop polling; wait (bounded) for running polls, then close connections."""
        self._stopping.set()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout_s)
        deadline_ms = int(timeout_s * 1000)
        done = self.pool.waitForDone(deadline_ms) and self.slow_pool.waitForDone(deadline_ms)
        for slot in self.slots.values():
            close = getattr(slot.collector, "close", None)
            if close is not None and not slot.busy:
                try:
                    close()
                except Exception:
                    log.debug("closing %s failed", slot.connection.name, exc_info=True)
        return done

    def poll_now(self, name: str) -> None:
        """Retry at once (after the operator accepted a key or fixed a password)."""
        slot = self.slots.get(name)
        if slot is None:
            return
        slot.failures = 0
        slot.next_at = 0.0
        connection = getattr(slot.collector, "connection", None)
        if connection is not None and hasattr(connection, "reset_backoff"):
            connection.reset_backoff()
        self.tick()

    def tick(self) -> None:
        with self._tick_lock:
            self._tick()

    def _tick(self) -> None:
        now = time.monotonic()
        for slot in list(self.slots.values()):
            if slot.busy:
                if not slot.timed_out and now - slot.started_at > self.timeout_s:
                    slot.timed_out = True  # reported now; the thread returns on its own timeout
                    if not slot.slow:
                        self._add_stand_in(slot)
                    slot.slow = True
                    self._set_status(
                        slot,
                        ConnectionStatus(
                            "timeout", f"no answer within {self.timeout_s:g} s", now + 1.0
                        ),
                    )
                continue
            if now < slot.next_at:
                continue
            slot.busy = True
            slot.timed_out = False
            slot.started_at = now
            interval = self.interval_s
            if slot.connection.kind == "aws":
                interval = max(interval, AWS_MIN_INTERVAL_S)
            # Keep the phase: the next poll is due one interval after this one was due.
            slot.next_at = max(slot.next_at + interval, now + interval / 2)
            # A plain callable, not a QRunnable subclass: PySide keeps some of those
            # wrappers (and all they reference) alive after they ran, 1,000 a second.
            (self.slow_pool if slot.slow else self.pool).start(partial(self._run_poll, slot))

    def _add_stand_in(self, slot: _Slot) -> None:
        with self._pool_lock:
            if self.stand_ins >= MAX_REPLACED:
                return
            self.stand_ins += 1
            slot.replaced = True
            self.pool.setMaxThreadCount(self.base_threads + self.stand_ins)

    def _release_stand_in(self) -> None:
        with self._pool_lock:
            self.stand_ins -= 1
            self.pool.setMaxThreadCount(self.base_threads + self.stand_ins)

    # -- one poll (worker thread) -------------------------------------------------------

    def _run_poll(self, slot: _Slot) -> None:
        try:
            self._poll(slot)
        except Exception:  # never raise into Qt's pool; a bug must not kill polling
            log.exception("poll of %s crashed", slot.connection.name)
        finally:
            if slot.replaced:
                slot.replaced = False
                self._release_stand_in()
            slot.busy = False

    def _poll(self, slot: _Slot) -> None:
        name = slot.connection.name
        started = time.monotonic()
        try:
            if slot.collector is None:
                slot.collector = self.open_collector(slot.connection)
            samples = slot.collector.collect()
        except SourceError as error:
            self._failed(slot, error)
            return
        except Exception as error:  # an unexpected library error is still one host's problem
            log.debug("%s failed", name, exc_info=True)
            self._failed(slot, SourceError(name, f"{type(error).__name__}: {error}"))
            return
        if slot.removed:
            return
        elapsed = time.monotonic() - started
        slot.failures = 0
        slot.slow = elapsed > self.interval_s
        sink = self.sink()
        if sink is not None and samples:
            sink.put(samples)
        self.state.ingest(name, samples)
        with self._counter_lock:
            self.polls += 1
            self.stored += len(samples) if sink is not None else 0
        self._set_status(slot, ConnectionStatus("connected", f"{len(samples)} samples"))

    def _failed(self, slot: _Slot, error: SourceError) -> None:
        if slot.removed:
            return
        slot.failures += 1
        slot.slow = True
        host = getattr(slot.collector, "host", None) or slot.connection.name
        self.state.declare(slot.connection.name, host, slot.connection.kind)
        now = time.monotonic()
        if isinstance(error, NEEDS_OPERATOR):
            slot.next_at = math.inf  # asking again every few seconds would be noise
            self._set_status(slot, ConnectionStatus(error.kind, str(error), error=error))
            return
        delay = min(BACKOFF_MAX_S, BACKOFF_INITIAL_S * 2 ** (slot.failures - 1))
        connection = getattr(slot.collector, "connection", None)
        delay = max(delay, float(getattr(connection, "retry_in", 0.0) or 0.0))
        slot.next_at = now + delay
        self._set_status(slot, ConnectionStatus(error.kind, str(error), now + delay, error))

    def _set_status(self, slot: _Slot, status: ConnectionStatus) -> None:
        name = slot.connection.name
        previous = self.state.status.get(name)
        self.state.set_status(name, status)
        if previous is None or previous.state != status.state:
            self.status_changed.emit(name, status.state)

    # -- opening sources ----------------------------------------------------------------

    def _open_default(self, connection: Connection) -> Any:
        if connection.kind == "ssh":
            from connectors.ssh.collector import SshCollector
            from connectors.ssh.connection import ConnectionOptions
            from connectors.ssh.hostkeys import default_known_hosts, refuse_unknown

            options = ConnectionOptions(
                connect_timeout=self.timeout_s,
                command_timeout=self.timeout_s,
                allow_agent=False,
                look_for_keys=False,
            )
            return SshCollector.from_uri(
                connection.uri(),
                known_hosts=self.known_hosts or default_known_hosts(),
                decide=self.decide or refuse_unknown,
                options=options,
                custom=connection.custom_metrics(),
            )
        from connectors.sources import open_source

        if connection.kind == "prometheus":
            from console.fleet.secrets import session_prometheus_password

            password = session_prometheus_password(connection)
            if password is not None:
                # The keyring refused the password (none on this machine): open without
                # the user, so nothing asks the keyring, then hand the password over.
                from connectors.prometheus import PrometheusClient
                from connectors.prometheus.auth import BasicAuth

                source = open_source(connection.with_changes(user="").uri())
                source.client = PrometheusClient(
                    source.client.base_url,
                    BasicAuth(connection.user, password),
                    timeout=self.timeout_s,
                )
                return source
        return open_source(connection.uri())
