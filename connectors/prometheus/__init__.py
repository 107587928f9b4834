"""Prometheus as a Headroom source: node_exporter metrics of a whole fleet.

Public API::

    PrometheusSource(base_url, credentials=None, *, job=None, instances=(),
                     host_label="instance", rate_window="1m", families=None,
                     timeout=10.0)
        .collect(now=None) -> list[Sample]          # Collector protocol
        .history(start, end, step, *, progress, cancelled) -> list[Sample]
        .discover() -> list[Target]
    PrometheusClient(base_url, credentials=None, *, timeout=10.0, ssl_context=None)
        .query(promql, at=None) -> list[InstantSeries]
        .query_range(promql, start, end, step) -> list[RangeSeries]
        .targets() -> list[Target]
    BasicAuth(username, password), BearerToken(token)
    load_credentials(endpoint, username=None), store_basic_auth(...), store_bearer_token(...)
    quote(value) -> str                              # safe PromQL string literal

Failures are :mod:`connectors.errors` exceptions naming the endpoint.
"""

from __future__ import annotations

from connectors.prometheus.auth import (
    BasicAuth,
    BearerToken,
    Credentials,
    load_credentials,
    store_basic_auth,
    store_bearer_token,
)
from connectors.prometheus.client import InstantSeries, PrometheusClient, RangeSeries, Target
from connectors.prometheus.node_exporter import FAMILIES, QUERIES, FamilyQuery
from connectors.prometheus.promql import quote
from connectors.prometheus.source import SOURCE_NAME, PrometheusSource

__all__ = [
    "FAMILIES",
    "QUERIES",
    "SOURCE_NAME",
    "BasicAuth",
    "BearerToken",
    "Credentials",
    "FamilyQuery",
    "InstantSeries",
    "PrometheusClient",
    "PrometheusSource",
    "RangeSeries",
    "Target",
    "load_credentials",
    "quote",
    "store_basic_auth",
    "store_bearer_token",
]
