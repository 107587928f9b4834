"""The source registry: a URI names where samples come from; ``open_source`` opens it.

Schemes are mapped explicitly (no plugin discovery)::

    local                                          this machine (psutil)
    ssh://user@host:port, ssh://alias              a host over SSH (connectors.ssh)
    prometheus+http://host:port[/path][?options]   a Prometheus server's node_exporter hosts
    prometheus+https://user@host:port[/path]       ... with basic auth (password in the keyring)
    aws://[profile@]region/asg/NAME[?options]      an Auto Scaling group's CloudWatch metrics
    aws://[profile@]region/instance/ID[?options]   one EC2 instance's CloudWatch metrics

Prometheus options: ``job``, ``instance`` (repeatable), ``host_label`` (``instance``
or ``nodename``), ``window`` (rate window, e.g. ``1m``). Without a user, a bearer
token stored in the keyring for the endpoint is used if there is one.
AWS options: ``endpoint`` (an alternative endpoint URL, e.g. a test server),
``period`` (seconds, multiple of 60). With ``aws://profile@/asg/NAME`` the region
comes from the profile.

Secrets never appear in a URI: one with a password is refused, and error
messages show the URI with any password masked.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.errors import BadSourceUri

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectors.local import Collector
    from connectors.ssh.custom import CustomMetric

SCHEMES = ("local", "ssh", "prometheus+http", "prometheus+https", "aws")
_DURATION = re.compile(r"^[0-9]+(ms|s|m|h|d|w|y)$")
_AWS_NAME = re.compile(r"^[\w.:/@+=,-]{1,255}$")  # ASG names and instance ids
_PROMETHEUS_OPTIONS = {"job", "instance", "host_label", "window"}
_AWS_OPTIONS = {"endpoint", "period"}


def open_source(
    uri: str,
    *,
    known_hosts: Path | None = None,
    identity: Path | None = None,
    custom: Sequence[CustomMetric] = (),
) -> Collector:
    """The collector for ``uri``; raises :class:`BadSourceUri` when it cannot be understood.

    ``known_hosts``, ``identity`` and ``custom`` metrics only matter for ``ssh://`` sources.
    """
    text = uri.strip()
    if text == "local":
        from connectors.local import LocalCollector

        return LocalCollector()
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a non-numeric or out-of-range port
    except ValueError as error:
        raise BadSourceUri(redact(text), f"malformed URI: {error}") from None
    scheme = parts.scheme.lower()
    if scheme == "ssh":
        return _open_ssh(text, known_hosts, identity, custom)
    if scheme in ("prometheus+http", "prometheus+https"):
        return _open_prometheus(text, parts)
    if scheme == "aws":
        return _open_aws(text, parts)
    known = ", ".join(SCHEMES)
    what = f"unknown scheme {scheme!r}" if scheme else "no scheme"
    raise BadSourceUri(redact(text), f"{what}; use one of: {known}")


def redact(uri: str) -> str:
    """``uri`` with any password replaced by ``***``, fit for messages and logs."""
    try:
        parts = urllib.parse.urlsplit(uri)
        password = parts.password
    except ValueError:
        return uri
    if password is None:
        return uri
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


# -- one function per scheme ---------------------------------------------------------------


def _open_ssh(
    uri: str, known_hosts: Path | None, identity: Path | None, custom: Sequence[CustomMetric]
) -> Collector:
    _refuse_password(uri)
    try:
        from connectors.ssh.collector import SshCollector
    except ModuleNotFoundError:
        raise BadSourceUri(uri, "SSH sources are not available in this installation") from None
    return SshCollector.from_uri(uri, known_hosts=known_hosts, identity=identity, custom=custom)


def _open_prometheus(uri: str, parts: urllib.parse.SplitResult) -> Collector:
    from connectors.prometheus import PrometheusSource, load_credentials

    _refuse_password(uri)
    if not parts.hostname:
        raise BadSourceUri(uri, "no host: expected prometheus+http://HOST:PORT[/path]")
    if parts.fragment:
        raise BadSourceUri(uri, "a fragment (#...) means nothing here")
    options = _options(uri, parts.query, _PROMETHEUS_OPTIONS, repeatable={"instance"})
    window = _single(options, "window", "1m")
    if not _DURATION.match(window):
        raise BadSourceUri(
            uri, f"window must be a Prometheus duration such as 30s or 1m, got {window!r}"
        )
    host_label = _single(options, "host_label", "instance")
    if host_label not in {"instance", "nodename"}:
        raise BadSourceUri(uri, f"host_label must be 'instance' or 'nodename', got {host_label!r}")
    http_scheme = parts.scheme.lower().removeprefix("prometheus+")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    base_url = urllib.parse.urlunsplit((http_scheme, netloc, parts.path.rstrip("/"), "", ""))
    username = urllib.parse.unquote(parts.username) if parts.username else None
    return PrometheusSource(
        base_url,
        load_credentials(base_url, username),
        job=_single(options, "job", None),
        instances=options.get("instance", []),
        host_label=host_label,
        rate_window=window,
    )


def _open_aws(uri: str, parts: urllib.parse.SplitResult) -> Collector:
    from connectors.aws import KINDS, AwsSource

    _refuse_password(uri)
    profile = urllib.parse.unquote(parts.username) if parts.username else None
    region = parts.hostname or None  # aws://profile@/asg/NAME: the profile's region
    segments = [urllib.parse.unquote(s) for s in parts.path.split("/") if s]
    if len(segments) != 2 or segments[0] not in KINDS:
        raise BadSourceUri(
            uri, "expected aws://[profile@]REGION/asg/NAME or aws://[profile@]REGION/instance/ID"
        )
    kind, name = segments
    if not _AWS_NAME.match(name):
        raise BadSourceUri(uri, f"not a valid {kind} name: {name!r}")
    if region is not None and not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        raise BadSourceUri(uri, f"not an AWS region: {region!r} (for example eu-west-1)")
    options = _options(uri, parts.query, _AWS_OPTIONS)
    endpoint = _single(options, "endpoint", None)
    if endpoint is not None and urllib.parse.urlsplit(endpoint).scheme not in {"http", "https"}:
        raise BadSourceUri(uri, f"endpoint must be an http(s) URL, got {endpoint!r}")
    period_text = _single(options, "period", "60")
    if not period_text.isdigit() or int(period_text) <= 0 or int(period_text) % 60:
        raise BadSourceUri(
            uri, f"period must be a positive multiple of 60 seconds, got {period_text!r}"
        )
    return AwsSource(
        kind, name, profile=profile, region=region, endpoint_url=endpoint, period=int(period_text)
    )


# -- helpers -------------------------------------------------------------------------------


def _refuse_password(uri: str) -> None:
    if urllib.parse.urlsplit(uri).password is not None:
        raise BadSourceUri(
            redact(uri), "passwords do not belong in a source URI; store them in the keyring"
        )


def _options(
    uri: str, query: str, allowed: set[str], repeatable: frozenset[str] | set[str] = frozenset()
) -> dict[str, list[str]]:
    try:
        options = urllib.parse.parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise BadSourceUri(uri, f"malformed options {query!r}") from None
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise BadSourceUri(
            uri, f"unknown option {unknown[0]!r}; known: {', '.join(sorted(allowed))}"
        )
    for name, values in options.items():
        if len(values) > 1 and name not in repeatable:
            raise BadSourceUri(uri, f"option {name!r} given {len(values)} times")
        if any(not value for value in values):
            raise BadSourceUri(uri, f"option {name!r} has no value")
    return options


def _single(options: dict[str, list[str]], name: str, default: str | None) -> str | None:
    values = options.get(name)
    return values[0] if values else default
