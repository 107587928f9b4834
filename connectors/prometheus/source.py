"""``PrometheusSource``: a fleet's node_exporter metrics, as Headroom samples.

One ``collect()`` evaluates one instant query per catalogue family (see
:mod:`connectors.prometheus.node_exporter`) and returns samples for every host
the server scrapes, with ``source="prometheus"`` and ``host`` taken from the
``instance`` label or, with ``host_label="nodename"``, from ``node_uname_info``.
``history()`` does the same with range queries, to backfill a store.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from connectors.prometheus.auth import Credentials
from connectors.prometheus.client import PrometheusClient, Target
from connectors.prometheus.node_exporter import FAMILIES, QUERIES, FamilyQuery
from connectors.prometheus.promql import join_matchers, matchers, regex_alternatives
from models.catalogue import metric_name
from models.samples import Sample

SOURCE_NAME = "prometheus"


def _no_progress(_fraction: float) -> None:
    return None


def _never() -> bool:
    return False


class PrometheusSource:
    """Collector over a Prometheus server. ``host`` names the endpoint, not one machine."""

    source = SOURCE_NAME

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        *,
        job: str | None = None,
        instances: Sequence[str] = (),
        host_label: str = "instance",
        rate_window: str = "1m",
        families: Sequence[str] | None = None,
        timeout: float = 10.0,
        client: PrometheusClient | None = None,
    ) -> None:
        self.client = client or PrometheusClient(base_url, credentials, timeout=timeout)
        self.host = self.client.base_url
        self.host_label = host_label
        self.job = job
        self.rate_window = rate_window
        wanted = set(FAMILIES if families is None else families)
        unknown = wanted - set(FAMILIES)
        if unknown:
            raise ValueError(f"no node_exporter mapping for {sorted(unknown)}")
        self._queries = [query for query in QUERIES if query.family in wanted]
        filters: dict[str, tuple[str, str]] = {}
        if job is not None:
            filters["job"] = ("=", job)
        if instances:
            filters["instance"] = ("=~", regex_alternatives(instances))
        # Every selector names at least one matcher, so `{...}` is never empty.
        self.selector = join_matchers(matchers(**filters)) or 'instance=~".+"'

    def __repr__(self) -> str:
        return f"PrometheusSource({self.host!r}, selector={self.selector!r})"

    # -- Collector protocol -----------------------------------------------------------

    def collect(self, now: float | None = None) -> list[Sample]:
        """The current value of every mapped metric of every selected host."""
        timestamp = time.time() if now is None else now
        names = self._host_names(timestamp)
        samples = []
        for query in self._queries:
            for series in self.client.query(self.render(query), at=timestamp):
                name = self._metric(query, series.labels)
                if name is None or not math.isfinite(series.value):
                    continue
                host = names.get(series.labels.get("instance", ""), series.labels.get("instance"))
                samples.append(
                    Sample(timestamp, SOURCE_NAME, host or self.host, name, series.value)
                )
        return samples

    # -- more than the protocol -------------------------------------------------------

    def render(self, query: FamilyQuery) -> str:
        """The PromQL text of ``query`` for this source's hosts."""
        return query.render(self.selector, self.rate_window)

    def discover(self) -> list[Target]:
        """Scrape targets matching this source's selection (all jobs if none was given)."""
        return [t for t in self.client.targets() if self.job in (None, t.job)]

    def history(
        self,
        start: float,
        end: float,
        step: float,
        *,
        progress: Callable[[float], None] = _no_progress,
        cancelled: Callable[[], bool] = _never,
    ) -> list[Sample]:
        """Samples every ``step`` seconds from ``start`` to ``end``, via range queries.

        ``progress`` gets the fraction done after each family; when ``cancelled()``
        turns true the samples gathered so far are returned.
        """
        names = self._host_names(end)
        samples: list[Sample] = []
        for done, query in enumerate(self._queries, start=1):
            if cancelled():
                break
            for series in self.client.query_range(self.render(query), start, end, step):
                name = self._metric(query, series.labels)
                if name is None:
                    continue
                instance = series.labels.get("instance", "")
                host = names.get(instance, instance) or self.host
                samples += [
                    Sample(stamp, SOURCE_NAME, host, name, value)
                    for stamp, value in zip(series.timestamps, series.values, strict=True)
                    if math.isfinite(value)
                ]
            progress(done / len(self._queries))
        return samples

    # -- helpers ----------------------------------------------------------------------

    @staticmethod
    def _metric(query: FamilyQuery, labels: dict[str, str]) -> str | None:
        if query.instance_label is None:
            return query.family
        instance = labels.get(query.instance_label)
        return metric_name(query.family, instance) if instance else None

    def _host_names(self, at: float) -> dict[str, str]:
        """instance label → host name shown to the operator."""
        if self.host_label == "instance":
            return {}
        query = f"node_uname_info{{{self.selector}}}"
        return {
            series.labels["instance"]: series.labels[self.host_label]
            for series in self.client.query(query, at=at)
            if series.labels.get("instance") and series.labels.get(self.host_label)
        }
