"""Forecast bands and anomaly marks on the live charts, computed off the GUI thread.

On a schedule (every minute by default; the operator can change it or turn it off)
and on demand ("Forecast now"), the recent points of the shown host are copied out
of the ring buffers on the GUI thread (a few thousand floats: cheap), then a worker
forecasts one primary series per chart and runs anomaly detection on every series
the charts show. The result lands on the charts as overlays and in the anomaly
panel. A newer run supersedes the one in flight; cancellation is cooperative
(checked between series).

The work itself is :func:`compute_insights`, a plain function testable without Qt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QToolButton,
    QWidget,
)

from console.live.buffers import LiveBuffers
from console.theme import Theme
from console.views.anomaly_panel import (
    AnomalyPanel,
    AnomalySelection,
    MarkedIncident,
    mark_incidents,
)
from console.views.time_window import PRESET_BY_KEY, TimeWindow, custom_window
from console.workers import CancelToken, LatestOnlyRunner, one_line

if TYPE_CHECKING:
    from console.live.slow_watch import StoredFindings
    from console.main_window import MainWindow
    from console.views.chart_panel import ChartPanel
    from console.views.forecast_overlay import AnomalyOverlay, ForecastBandOverlay
    from console.views.live_workspace import LiveWorkspace
    from models.anomaly import Incident
    from models.forecast import Exhaustion, Forecast

DEFAULT_INTERVAL_S = 60.0
INTERVAL_CHOICES_S = (0.0, 30.0, 60.0, 300.0, 900.0)  # 0 = only on demand
LABEL_WIDTH = 330  # px of the forecast bar's state text
ANOMALY_DOCK_WIDTH = 420  # px: severity, pattern, host, metric and start readable
STORED_REFRESH_S = 600.0  # how often a pass re-reads the stored days of the shown host
MIN_POINTS = 30  # fewer points than this: nothing sensible to forecast
MAX_HORIZON_STEPS = 2000  # keeps a very short sampling interval from exploding the horizon
# Charts with several instances (mounts) forecast the one closest to running out.
FULLEST_INSTANCE_CHARTS = frozenset({"disk_space"})


@dataclass(frozen=True)
class InsightsConfig:
    interval_s: float = DEFAULT_INTERVAL_S
    horizon_s: float = 300.0  # how far ahead the band reaches
    levels: tuple[int, ...] = (80, 95)


@dataclass(frozen=True)
class LiveSnapshot:
    """Copies of the recent points of one host, taken on the GUI thread."""

    host: str
    series: dict[str, tuple[np.ndarray, np.ndarray]]  # metric -> (epoch seconds, values)
    forecast_metrics: dict[str, str]  # chart key -> metric to forecast
    chart_metrics: dict[str, tuple[str, ...]]  # chart key -> metrics to run detection on
    store_path: Path | None = None  # where the days before the ring are (slow trends)

    @property
    def latest(self) -> float | None:
        ends = [float(times[-1]) for times, _ in self.series.values() if len(times)]
        return max(ends) if ends else None


@dataclass(frozen=True)
class ChartInsight:
    metric: str | None  # the forecast series
    forecast: Forecast | None
    exhaustion: tuple[Exhaustion, ...] = ()
    marked: tuple[MarkedIncident, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class InsightsResult:
    host: str
    charts: dict[str, ChartInsight]
    incidents: tuple[Incident, ...]
    latest: float | None
    seconds: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)  # metric -> why it was skipped
    # What the stored days showed (trends, the 48-h exhaustion outlook); None: not read.
    stored: StoredFindings | None = None


def take_snapshot(
    buffers: LiveBuffers, panel: ChartPanel, host: str, store_path: Path | None = None
) -> LiveSnapshot:
    """What to analyse for ``host``: every non-per-core series of every chart."""
    available = buffers.metrics(host)
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    forecast_metrics: dict[str, str] = {}
    chart_metrics: dict[str, tuple[str, ...]] = {}
    for key in panel.specs:
        shown = [m for m, _, rule in panel.metrics_for(key, available) if not rule.per_core]
        for metric in shown:
            buffer = buffers.get(host, metric)
            if buffer is not None and metric not in series:
                times, values = buffer.arrays()
                series[metric] = (times.copy(), values.copy())  # views: the ring moves on
        shown = [m for m in shown if m in series and len(series[m][0]) >= MIN_POINTS]
        if not shown:
            continue
        chart_metrics[key] = tuple(shown)
        if key in FULLEST_INSTANCE_CHARTS:
            forecast_metrics[key] = max(shown, key=lambda m: float(series[m][1][-1]))
        else:
            forecast_metrics[key] = shown[0]
    return LiveSnapshot(host, series, forecast_metrics, chart_metrics, store_path)


def compute_insights(
    snapshot: LiveSnapshot,
    config: InsightsConfig,
    token: CancelToken | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> InsightsResult | None:
    """Forecast and detect over a snapshot; ``None`` when cancelled part-way.

    Cancellation and progress are per series (a fit of one live series takes tens of
    milliseconds). A thread, not a process: measured under load, a child process did
    not reduce the GUI thread's longest stall (about 80 ms either way, 35 ms idle).
    """
    from models.forecast import exhaustion_for_metric

    started = time.perf_counter()
    detect_list = sorted(
        {m for metrics in snapshot.chart_metrics.values() for m in metrics if varies(snapshot, m)}
    )
    requests: list[tuple[str, str, Callable[..., object], tuple[object, ...]]] = []
    for key, metric in snapshot.forecast_metrics.items():
        times, values = snapshot.series[metric]
        horizon = horizon_steps(times, config.horizon_s)
        requests.append(("forecast", key, forecast_series, (times, values, horizon, config.levels)))
    for metric in detect_list:
        times, values = snapshot.series[metric]
        requests.append(
            ("detect", metric, detect_incidents, (times, values, metric, snapshot.host))
        )
    # Every charted metric: one flat for the last hour may still be filling over days.
    charted = sorted({m for metrics in snapshot.chart_metrics.values() for m in metrics})
    if snapshot.store_path is not None and charted and snapshot.latest is not None:
        slow_args = (snapshot.store_path, snapshot.host, tuple(charted), snapshot.latest)
        requests.append(("stored", "", watch_stored, slow_args))
    outcomes = _run_requests(requests, token, progress)
    if outcomes is None:
        return None

    forecasts: dict[str, tuple[Forecast | None, tuple[Exhaustion, ...], str | None]] = {}
    incidents_by_metric: dict[str, tuple[Incident, ...]] = {}
    failures: dict[str, str] = {}
    stored: StoredFindings | None = None
    for (kind, name, _, _), outcome in zip(requests, outcomes, strict=True):
        if kind == "stored":
            if isinstance(outcome, Failed):
                failures["stored history"] = outcome.reason
            else:
                stored = outcome  # type: ignore[assignment]
        elif isinstance(outcome, Failed):
            metric = snapshot.forecast_metrics[name] if kind == "forecast" else name
            failures[metric] = outcome.reason
            if kind == "forecast":
                forecasts[name] = (None, (), outcome.reason)
        elif kind == "forecast":
            metric = snapshot.forecast_metrics[name]
            forecasts[name] = (outcome, tuple(exhaustion_for_metric(metric, outcome)), None)
        else:
            incidents_by_metric[name] = tuple(outcome)  # type: ignore[call-overload]
    charts: dict[str, ChartInsight] = {}
    for key, metrics in snapshot.chart_metrics.items():
        marked: list[MarkedIncident] = []
        for metric in metrics:
            times, values = snapshot.series[metric]
            marked += mark_incidents(incidents_by_metric.get(metric, ()), times, values)
        forecast, exhaustion, error = forecasts.get(key, (None, (), None))
        charts[key] = ChartInsight(
            snapshot.forecast_metrics.get(key), forecast, exhaustion, tuple(marked), error
        )
    incidents = tuple(i for metric in charted for i in incidents_by_metric.get(metric, ()))
    result = InsightsResult(
        snapshot.host, charts, incidents, snapshot.latest, time.perf_counter() - started, failures
    )
    return result if stored is None else with_stored(result, stored)


def with_stored(result: InsightsResult, stored: StoredFindings) -> InsightsResult:
    """``result`` with what the stored days showed. Slow trends go to the anomaly panel,
    not onto the charts: they span days, the charts an hour."""
    trends = tuple(i for incidents in stored.trends.values() for i in incidents)
    return replace(result, incidents=result.incidents + trends, stored=stored)


def _run_requests(
    requests: list[tuple[str, str, Callable[..., object], tuple[object, ...]]],
    token: CancelToken | None,
    progress: Callable[[int, int], None],
) -> list[object] | None:
    """Every request's outcome, in order; ``None`` once cancelled."""
    total = len(requests)
    progress(0, total)
    outcomes: list[object] = []
    for _, _, function, args in requests:
        if token is not None and token.cancelled:
            return None
        outcomes.append(function(*args))
        progress(len(outcomes), total)
    return outcomes


@dataclass(frozen=True)
class Failed:
    """Why one series could not be processed."""

    reason: str


def forecast_series(
    times: np.ndarray, values: np.ndarray, horizon: int, levels: tuple[int, ...]
) -> Forecast | Failed:
    import pandas as pd

    from models.forecast import forecast_one

    try:
        series = pd.Series(values, index=pd.to_datetime(times, unit="s", utc=True))
        return forecast_one(series, horizon, levels)
    except Exception as error:  # one bad series must not hide the others
        return Failed(one_line(error))


def watch_stored(
    store_path: Path, host: str, metrics: tuple[str, ...], end: float
) -> StoredFindings | Failed:
    from console.live.slow_watch import watch_stored_days

    try:
        return watch_stored_days(store_path, host, metrics, end)
    except Exception as error:  # a store being rotated must not hide the live results
        return Failed(one_line(error))


def detect_incidents(
    times: np.ndarray, values: np.ndarray, metric: str, host: str
) -> tuple[Incident, ...] | Failed:
    from models.anomaly import detect_series

    try:
        return detect_series(values, times, metric, host).incidents
    except Exception as error:  # one bad series must not hide the others
        return Failed(one_line(error))


def varies(snapshot: LiveSnapshot, metric: str) -> bool:
    """Whether a series moved at all in the window. One that never did (swap at 0 %, a
    fixed mount) would be a permanent "flatline" incident: the engine scores a run
    against earlier runs, and there are none. Only series that moved are checked."""
    values = snapshot.series[metric][1]
    finite = values[np.isfinite(values)]
    return len(finite) > 0 and float(np.ptp(finite)) > 0


def horizon_steps(times: np.ndarray, horizon_s: float) -> int:
    """Forecast steps covering ``horizon_s`` at the series' own (median) sampling step."""
    spacing = np.diff(np.asarray(times, dtype=float))
    spacing = spacing[spacing > 0]
    step = float(np.median(spacing)) if len(spacing) else 1.0
    return int(min(MAX_HORIZON_STEPS, max(1, round(horizon_s / step))))


def forecast_epoch_seconds(forecast: Forecast) -> np.ndarray:
    from models.anomaly import epoch_seconds

    return epoch_seconds(forecast.timestamps)


def window_covering(start: float, end: float, now: float | None = None) -> TimeWindow:
    """The smallest live preset that shows ``start..end`` with a margin, else a fixed range."""
    now = time.time() if now is None else now
    margin = max(30.0, 0.5 * (end - start))
    needed = now - (start - margin)
    for key in ("5m", "1h"):
        if needed <= PRESET_BY_KEY[key].seconds:
            return PRESET_BY_KEY[key]
    return custom_window(start - margin, end + margin)


class _ProgressRelay(QObject):
    # Created on the GUI thread: an emit from the worker is queued to it.
    progressed = Signal(int, int)


class LiveInsights(QObject):
    """Owns the overlays on the live charts and schedules their computation."""

    busy_changed = Signal(bool)
    progress = Signal(int, int)
    updated = Signal(object)  # InsightsResult, after the overlays show it
    incidents_found = Signal(str, list, object)  # host, [Incident], latest time (or None)
    message = Signal(str)

    def __init__(
        self,
        live: LiveWorkspace,
        pool: QThreadPool,
        config: InsightsConfig | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.live = live
        self.config = config or InsightsConfig()
        self.runner = LatestOnlyRunner(pool, "forecast", self)
        self.runner.result.connect(self._on_result)
        self.runner.error.connect(self._on_error)
        self.relay = _ProgressRelay(self)
        self.relay.progressed.connect(self._on_progress)
        self.bands: dict[str, ForecastBandOverlay] = {}
        self.anomalies: dict[str, AnomalyOverlay] = {}
        # The charts may be built after the first paint: decorate them once they exist.
        live.charts_ready.connect(self._attach_overlays)
        self._attach_overlays()
        self.last_result: InsightsResult | None = None
        self.runs = 0
        # The stored days change slowly and cost up to a second to read: every few passes.
        self._stored: tuple[str, StoredFindings, float] | None = None  # host, found, when

        self.forecast_action = QAction("Forecast now", self)
        self.forecast_action.setToolTip("Forecast and check for anomalies now (Ctrl+Shift+F)")
        self.forecast_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.forecast_action.triggered.connect(self.forecast_now)
        self.cancel_action = QAction("Cancel forecast", self)
        self.cancel_action.setEnabled(False)
        self.cancel_action.triggered.connect(self.cancel)

        self.timer = QTimer(self)
        self.timer.timeout.connect(self._on_tick)
        self.set_interval(self.config.interval_s)

    @Slot()
    def _attach_overlays(self) -> None:
        panel = self.live.panel
        if panel is None or self.bands:
            return
        # pyqtgraph comes in with the charts, not before: keeps the first paint fast.
        from console.views.forecast_overlay import AnomalyOverlay, ForecastBandOverlay

        for key, chart in panel.charts.items():
            self.bands[key] = ForecastBandOverlay(self.config.levels)
            self.anomalies[key] = AnomalyOverlay()
            chart.add_overlay(self.anomalies[key])
            chart.add_overlay(self.bands[key])

    # -- control -----------------------------------------------------------------------

    def set_interval(self, seconds: float) -> None:
        """Refresh every ``seconds``; 0 turns the schedule off (Forecast now still works)."""
        self.config = InsightsConfig(seconds, self.config.horizon_s, self.config.levels)
        if seconds > 0:
            self.timer.setInterval(int(seconds * 1000))
            self.timer.start()
        else:
            self.timer.stop()

    @property
    def interval_s(self) -> float:
        return self.config.interval_s

    @property
    def busy(self) -> bool:
        return self.runner.current is not None

    @Slot()
    def forecast_now(self) -> bool:
        """Start a run for the shown host; False (with a message) when there is nothing to do."""
        host, panel = self.live.host, self.live.panel
        if host is None or panel is None:
            self.message.emit("No host to forecast yet")
            return False
        snapshot = take_snapshot(self.live.buffers, panel, host, self._store_to_read(host))
        if not snapshot.chart_metrics:
            self.message.emit(f"Not enough data yet to forecast (need {MIN_POINTS} points)")
            return False
        config, relay = self.config, self.relay
        self.runner.submit(
            lambda token: compute_insights(snapshot, config, token, relay.progressed.emit)
        )
        self.runs += 1
        self._set_busy(True)
        return True

    def _store_to_read(self, host: str) -> Path | None:
        """The store, when this pass should read its stored days for ``host``."""
        cached = self._stored
        fresh = (
            cached is not None
            and cached[0] == host
            and time.monotonic() - cached[2] < STORED_REFRESH_S
        )
        return None if fresh else self.live.store_path()

    @Slot()
    def _on_tick(self) -> None:
        # A scheduled refresh never supersedes a run in flight (on a slow machine it would
        # cancel every run before it finishes); "Forecast now" does.
        if not self.busy and not self.live.paused:
            self.forecast_now()

    @Slot()
    def cancel(self) -> None:
        if self.busy:
            self.runner.cancel()
            self.message.emit("Forecast cancelled")
        self._set_busy(False)

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Stop the schedule and the run in flight (bounded)."""
        self.timer.stop()
        return self.runner.wait(timeout_s)

    @Slot(str)
    def on_host_changed(self, host: str) -> None:
        """Another host on the charts: what was drawn belonged to the previous one."""
        if self.last_result is not None and self.last_result.host != host:
            for band in self.bands.values():
                band.clear()
            for overlay in self.anomalies.values():
                overlay.clear()
            self.live.lookahead_s = 0.0
            self.last_result = None

    # -- anomaly panel -----------------------------------------------------------------

    @Slot(object)
    def show_selection(self, selection: AnomalySelection) -> str | None:
        """Show an incident: its host, the chart of its metric, a window covering it,
        the region highlighted. Returns the chart key (None if no chart shows it)."""
        self.live.set_host(selection.host)
        key = next((s.key for s in self.live.specs if s.label_for(selection.metric)), None)
        for chart_key, overlay in self.anomalies.items():
            overlay.set_highlight(selection.incident if chart_key == key else None)
        self.live.bar.select(window_covering(selection.start, selection.end))
        if key is not None and self.live.panel is not None:
            self.live.panel.charts[key].setFocus(Qt.FocusReason.OtherFocusReason)
        return key

    # -- results -----------------------------------------------------------------------

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if self.busy:
            self.progress.emit(done, total)

    @Slot(object)
    def _on_result(self, result: InsightsResult | None) -> None:
        self._set_busy(False)
        if result is None or result.host != self.live.host:
            return  # cancelled, or the operator switched host meanwhile
        if result.stored is not None:
            self._stored = (result.host, result.stored, time.monotonic())
        elif self._stored is not None and self._stored[0] == result.host:
            result = with_stored(result, self._stored[1])  # keep listing a leak as current
        self.show_result(result)

    def show_result(self, result: InsightsResult) -> None:
        horizon_end = None
        for key, band in self.bands.items():
            insight = result.charts.get(key)
            if insight is None or insight.forecast is None:
                band.clear()
            else:
                forecast = insight.forecast
                band.set_forecast(
                    forecast_epoch_seconds(forecast), forecast.mean, forecast.lower, forecast.upper
                )
                horizon_end = max(horizon_end or 0.0, band.end_time() or 0.0)
            self.anomalies[key].set_incidents(insight.marked if insight else ())
        # Let the live time axis run past "now" far enough to show the band.
        latest = result.latest or time.time()
        self.live.lookahead_s = max(0.0, (horizon_end or latest) - latest)
        self.last_result = result
        self.incidents_found.emit(result.host, list(result.incidents), result.latest)
        self.message.emit(summary(result))
        self.updated.emit(result)

    @Slot(str, str)
    def _on_error(self, message: str, _details: str) -> None:
        self._set_busy(False)
        self.message.emit(f"Forecast failed: {message}")

    def _set_busy(self, busy: bool) -> None:
        self.cancel_action.setEnabled(busy)
        self.busy_changed.emit(busy)


def summary(result: InsightsResult) -> str:
    """One line for the status area: when, what was found, the nearest exhaustion. The
    label shows about 45 characters, so a disk or memory about to fill comes first."""
    from models.anomaly.actions import subject

    parts = [f"Forecast {time.strftime('%H:%M:%S')}"]
    count = len(result.incidents)
    parts.append("no anomalies" if not count else f"{count} anomal{'y' if count == 1 else 'ies'}")
    soonest = _soonest_exhaustion(result)
    if soonest is not None:
        metric, when = soonest
        parts.insert(0, f"{subject(metric)} may be full by {when}")
    if result.failures:
        parts.append(f"{len(result.failures)} series skipped")
    return " · ".join(parts)


def _soonest_exhaustion(result: InsightsResult) -> tuple[str, str] | None:
    """The metric likely (>= 10 %) to reach 100 % first, live or in the 48-h outlook, and
    when (with the weekday when it is not today)."""
    candidates = [(i.metric, i.exhaustion) for i in result.charts.values() if i.metric]
    candidates += list(result.stored.outlook.items()) if result.stored else []
    best: tuple[float, str] | None = None
    for metric, exhaustions in candidates:
        for exhaustion in exhaustions:
            when = exhaustion.earliest_likely_time
            if exhaustion.threshold < 100 or when is None:
                continue
            if best is None or when.timestamp() < best[0]:
                best = (when.timestamp(), metric)
    if best is None:
        return None
    moment = time.localtime(best[0])
    today = time.localtime().tm_yday == moment.tm_yday
    return best[1], time.strftime("%H:%M" if today else "%a %H:%M", moment)


class InsightsStatus(QWidget):
    """The forecast tool bar, compact enough for the menu bar's corner: Forecast now,
    state, progress, Cancel, and the schedule. It adds no height to the window."""

    def __init__(self, insights: LiveInsights, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.insights = insights
        self.forecast_button = QToolButton()
        self.forecast_button.setDefaultAction(insights.forecast_action)
        self.forecast_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.label = QLabel("Forecast: waiting for data")
        self.label.setObjectName("insightsState")
        # A fixed width: the menu bar lays its corner out once, and a summary must never
        # widen the window. Long ones are elided; the tooltip has the whole text.
        self.label.setFixedWidth(LABEL_WIDTH)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(120)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.bar.hide()
        self.cancel_button = QToolButton()
        self.cancel_button.setDefaultAction(insights.cancel_action)
        self.cancel_button.setText("Cancel")
        self.cancel_button.hide()
        self.schedule_button = QToolButton()
        self.schedule_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.schedule_button.setToolTip("How often forecasts and anomaly checks refresh")
        menu = QMenu(self.schedule_button)
        self.schedule_group = QActionGroup(self)
        for seconds in INTERVAL_CHOICES_S:
            action = menu.addAction(_interval_label(seconds))
            action.setCheckable(True)
            action.setData(seconds)
            action.setChecked(seconds == insights.interval_s)
            action.triggered.connect(lambda _=False, s=seconds: self._choose(s))
            self.schedule_group.addAction(action)
        self.schedule_button.setMenu(menu)
        self._update_schedule_text()

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        layout.addWidget(self.forecast_button)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.schedule_button)

        insights.busy_changed.connect(self._on_busy)
        insights.progress.connect(self._on_progress)
        insights.message.connect(self._show_message)

    def _show_message(self, text: str) -> None:
        metrics = self.label.fontMetrics()
        self.label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, LABEL_WIDTH))
        self.label.setToolTip(text)

    @property
    def text(self) -> str:
        """The whole current message (the label may show it elided)."""
        return self.label.toolTip() or self.label.text()

    def _choose(self, seconds: float) -> None:
        self.insights.set_interval(seconds)
        self._update_schedule_text()

    def _update_schedule_text(self) -> None:
        self.schedule_button.setText(f"Auto: {_interval_label(self.insights.interval_s)}")

    def _on_busy(self, busy: bool) -> None:
        self.bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.bar.setRange(0, 0)  # busy indicator until the first progress report
            self.label.setText("Forecasting…")

    def _on_progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)


def _interval_label(seconds: float) -> str:
    if seconds <= 0:
        return "off"
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.0f} min"


@dataclass
class InsightsParts:
    insights: LiveInsights
    status: InsightsStatus
    panel: AnomalyPanel
    dock: QDockWidget

    def apply_theme(self, theme: Theme) -> None:
        self.panel.apply_theme(theme)

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        return self.insights.shutdown(timeout_s)


def install_insights(window: MainWindow) -> InsightsParts:
    """Wire insights into the main window: the forecast bar, the anomaly dock.

    Kept here so the main window only calls this (it stays a thin shell). Neither part
    adds height: the forecast bar sits in the menu bar's corner and the anomaly list is
    a tab beside the host list, raised when a new incident starts.
    """
    insights = LiveInsights(window.live, window.pool, parent=window)
    status = InsightsStatus(insights)
    window.menuBar().setCornerWidget(status, Qt.Corner.TopRightCorner)
    window.addAction(insights.forecast_action)  # the shortcut works with the bar hidden

    panel = AnomalyPanel()
    dock = window.add_panel("Anomalies", panel, Qt.DockWidgetArea.LeftDockWidgetArea)
    hosts = window.findChild(QDockWidget, "dock-hosts")
    if hosts is not None:
        window.tabifyDockWidget(hosts, dock)
        hosts.raise_()
    insights.incidents_found.connect(panel.merge)

    last_count = 0

    def on_current_count(count: int) -> None:
        nonlocal last_count
        dock.setWindowTitle(f"Anomalies ({count})" if count else "Anomalies")
        if count > last_count:
            dock.raise_()  # a new incident started: show the list
        last_count = count

    panel.current_count_changed.connect(on_current_count)

    def make_readable(visible: bool) -> None:
        # The dock is sized for host names; at that width the list shows one column and
        # a half. Raising it widens it (never narrows it: the operator may have chosen).
        if visible and dock.width() < ANOMALY_DOCK_WIDTH:
            window.resizeDocks([dock], [ANOMALY_DOCK_WIDTH], Qt.Orientation.Horizontal)

    dock.visibilityChanged.connect(make_readable)

    def reveal(selection: AnomalySelection) -> None:
        window.show_workspace(window.live)
        insights.show_selection(selection)

    panel.activated.connect(reveal)
    window.host_list.host_selected.connect(insights.on_host_changed)
    return InsightsParts(insights, status, panel, dock)
