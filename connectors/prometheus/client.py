"""A small Prometheus HTTP API client: instant and range queries, targets.

Only the standard library's ``urllib`` is used: the API is plain JSON over
HTTP(S), and one dependency fewer is one upgrade fewer. Every failure becomes a
:mod:`connectors.errors` exception naming the endpoint (never the credentials):
refused connection, timeout, 401/403, Prometheus's own error text for a bad
query, or a non-JSON answer.
"""

from __future__ import annotations

import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import (
    AuthFailed,
    ConnectionRefused,
    HttpError,
    SourceError,
    SourceTimeout,
)
from connectors.prometheus.auth import Credentials


@dataclass(frozen=True, slots=True)
class InstantSeries:
    """One series of an instant vector: its labels and the value at ``timestamp``."""

    labels: dict[str, str]
    timestamp: float
    value: float


@dataclass(frozen=True, slots=True)
class RangeSeries:
    """One series of a range query: labels, then parallel timestamps and values."""

    labels: dict[str, str]
    timestamps: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Target:
    """An active scrape target, as Prometheus's targets API reports it."""

    instance: str
    job: str
    health: str  # "up", "down" or "unknown"
    scrape_url: str
    labels: dict[str, str]
    last_error: str


class PrometheusClient:
    """Talks to one Prometheus server at ``base_url`` (``http(s)://host:port[/path]``)."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        *,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        if parsed.username or parsed.password:
            raise ValueError("credentials do not belong in the URL; pass credentials=")
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._timeout = timeout
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        return f"PrometheusClient({self.base_url!r})"

    # -- queries ----------------------------------------------------------------------

    def query(self, promql: str, at: float | None = None) -> list[InstantSeries]:
        """Evaluate ``promql`` at ``at`` (UTC epoch seconds; server time if ``None``)."""
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._get("/api/v1/query", params)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar" and isinstance(result, list):
            return [InstantSeries({}, float(result[0]), _number(result[1]))]
        if kind != "vector" or not isinstance(result, list):
            raise SourceError(self.base_url, f"expected an instant vector, got {kind!r}")
        return [
            InstantSeries(dict(item["metric"]), float(item["value"][0]), _number(item["value"][1]))
            for item in result
        ]

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[RangeSeries]:
        """Evaluate ``promql`` every ``step`` seconds from ``start`` to ``end`` (UTC epoch)."""
        if step <= 0:
            raise ValueError(f"step must be positive, got {step}")
        params = {
            "query": promql,
            "start": f"{start:.3f}",
            "end": f"{end:.3f}",
            "step": f"{step:g}",
        }
        data = self._get("/api/v1/query_range", params)
        if data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
            raise SourceError(self.base_url, f"expected a matrix, got {data.get('resultType')!r}")
        return [
            RangeSeries(
                dict(item["metric"]),
                [float(stamp) for stamp, _ in item["values"]],
                [_number(value) for _, value in item["values"]],
            )
            for item in data["result"]
        ]

    def targets(self) -> list[Target]:
        """The active scrape targets (what Prometheus is watching right now)."""
        data = self._get("/api/v1/targets", {"state": "active"})
        return [
            Target(
                instance=item.get("labels", {}).get("instance", ""),
                job=item.get("labels", {}).get("job", ""),
                health=item.get("health", "unknown"),
                scrape_url=item.get("scrapeUrl", ""),
                labels=dict(item.get("labels", {})),
                last_error=item.get("lastError", ""),
            )
            for item in data.get("activeTargets", [])
        ]

    # -- transport --------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        if self._credentials is not None:
            request.add_header("Authorization", self._credentials.header())
        try:
            with urllib.request.urlopen(
                request, timeout=self._timeout, context=self._ssl_context
            ) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            raise self._http_error(error) from None
        except urllib.error.URLError as error:
            raise self._transport_error(error.reason) from None
        except OSError as error:  # a timeout or a reset while reading the body
            raise self._transport_error(error) from None
        payload = self._decode(body)
        if payload.get("status") != "success":
            raise SourceError(self.base_url, f"query failed: {payload.get('error', 'no reason')}")
        data = payload.get("data")
        if not isinstance(data, dict):
            raise SourceError(self.base_url, "answer has no data object")
        return data

    def _decode(self, body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SourceError(
                self.base_url, "answer is not JSON: is this a Prometheus server?"
            ) from None
        if not isinstance(payload, dict):
            raise SourceError(self.base_url, "answer is not a JSON object")
        return payload

    def _http_error(self, error: urllib.error.HTTPError) -> SourceError:
        status = error.code
        if status in (401, 403):
            who = "credentials rejected" if self._credentials else "credentials required"
            return AuthFailed(self.base_url, f"HTTP {status}: {who} (see the keyring entry)")
        # Prometheus explains bad queries in a JSON body: that text is what an operator needs.
        try:
            text = json.loads(error.read()).get("error") or error.reason
        except (ValueError, AttributeError, OSError):
            text = error.reason
        return HttpError(self.base_url, status, str(text))

    def _transport_error(self, reason: object) -> SourceError:
        if isinstance(reason, ConnectionRefusedError):
            return ConnectionRefused(self.base_url, "connection refused")
        if isinstance(reason, TimeoutError):
            return SourceTimeout(self.base_url, f"no answer within {self._timeout:g} s")
        if isinstance(reason, ssl.SSLError):
            return SourceError(self.base_url, f"TLS failed: {getattr(reason, 'reason', reason)}")
        if isinstance(reason, socket.gaierror):
            return SourceError(self.base_url, "host name not found")
        return SourceError(self.base_url, f"connection failed: {reason}")


def _number(text: str) -> float:
    return float(text)  # Prometheus sends values as strings, "NaN" and "+Inf" included
