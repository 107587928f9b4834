"""Connection definitions (SSH hosts, Prometheus endpoints, AWS groups), saved as JSON.

The file holds names, addresses, tags and groups only. Passwords live in the
keyring (``SecretStore`` for SSH, ``store_basic_auth`` for Prometheus); when there
is no keyring backend they stay in memory for the session, never on disk.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import urllib.parse
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from connectors.paths import config_dir
from connectors.ssh.custom import CustomMetric, CustomMetricError, parse_definition

SCHEMA_VERSION = 1
FILE_NAME = "connections.json"
KINDS = ("ssh", "prometheus", "aws")
_NAME = re.compile(r"^[\w.:@/ -]{1,80}$")


class ConnectionError_(ValueError):  # noqa: N801 - the builtin ConnectionError means sockets
    """A connection definition that cannot be used; names the field and the reason."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field_name = field_name
        self.reason = reason


class ConnectionsFileError(ValueError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Connection:
    """One source the fleet polls. ``address`` is kind-specific and never holds a secret:

    - ssh: ``host`` or ``host:port`` (or an ~/.ssh/config alias), ``user`` optional;
    - prometheus: a base URL ``http(s)://host:port[/path]``, ``user`` for basic auth;
    - aws: ``region/asg/NAME`` or ``region/instance/ID``, ``user`` is the AWS profile.
    ``options`` is the URI query (e.g. ``job=node`` or ``endpoint=http://...``).
    ``custom`` (ssh only) holds operator-defined metrics, one ``NAME=COMMAND`` each
    (see :mod:`connectors.ssh.custom`).
    """

    name: str
    kind: str
    address: str
    user: str = ""
    options: str = ""
    tags: tuple[str, ...] = ()
    group: str = ""
    custom: tuple[str, ...] = ()

    def validate(self) -> Connection:
        if not _NAME.match(self.name):
            raise ConnectionError_("name", "1-80 letters, digits, spaces or . : @ / - _")
        if self.kind not in KINDS:
            raise ConnectionError_("kind", f"one of {', '.join(KINDS)}")
        if not self.address.strip():
            raise ConnectionError_("address", "required")
        if "@" in self.address and self.kind != "aws":
            raise ConnectionError_("address", "put the user in the user field, not the address")
        if self.custom and self.kind != "ssh":
            raise ConnectionError_("custom", "custom metrics run over SSH only")
        self.custom_metrics()
        return self

    def custom_metrics(self) -> list[CustomMetric]:
        """The ``custom`` definitions, parsed (raises ConnectionError_ naming the bad one)."""
        try:
            return [parse_definition(text) for text in self.custom]
        except CustomMetricError as error:
            raise ConnectionError_("custom", str(error)) from None

    def uri(self) -> str:
        """The ``connectors.sources`` URI (no secret can be in it: there is no field for one)."""
        user = urllib.parse.quote(self.user, safe="") + "@" if self.user else ""
        query = f"?{self.options}" if self.options else ""
        if self.kind == "ssh":
            return f"ssh://{user}{self.address.strip()}"
        if self.kind == "prometheus":
            parts = urllib.parse.urlsplit(self.address.strip())
            scheme = parts.scheme or "http"
            netloc = parts.netloc or parts.path.split("/")[0]
            path = parts.path if parts.netloc else ""
            return f"prometheus+{scheme}://{user}{netloc}{path.rstrip('/')}{query}"
        return f"aws://{user}{self.address.strip().strip('/')}{query}"

    def endpoint(self) -> str:
        """Prometheus: the base URL the keyring entry is stored under."""
        parts = urllib.parse.urlsplit(self.uri().removeprefix("prometheus+"))
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))

    def with_changes(self, **changes: object) -> Connection:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass
class ConnectionBook:
    """All connections, in the order the operator added them."""

    connections: list[Connection] = field(default_factory=list)

    def get(self, name: str) -> Connection | None:
        return next((c for c in self.connections if c.name == name), None)

    def put(self, connection: Connection, replacing: str | None = None) -> None:
        """Add, or replace the one named ``replacing`` (an edit may rename)."""
        connection.validate()
        old = replacing or connection.name
        clash = self.get(connection.name)
        if clash is not None and connection.name != old:
            raise ConnectionError_("name", f"a connection named {connection.name!r} exists")
        for index, existing in enumerate(self.connections):
            if existing.name == old:
                self.connections[index] = connection
                return
        self.connections.append(connection)

    def remove(self, name: str) -> bool:
        before = len(self.connections)
        self.connections = [c for c in self.connections if c.name != name]
        return len(self.connections) != before


def connections_path() -> Path:
    return config_dir() / FILE_NAME


def load_book(path: Path | None = None) -> ConnectionBook:
    path = path or connections_path()
    if not path.exists():
        return ConnectionBook()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        rows = document["connections"]
        book = ConnectionBook()
        for row in rows:
            row["tags"] = tuple(row.get("tags", ()))
            row["custom"] = tuple(row.get("custom", ()))
            book.put(Connection(**row))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConnectionsFileError(path, f"cannot read connections: {error}") from None
    return book


def save_book(book: ConnectionBook, path: Path | None = None) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    path = path or connections_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "schema_version": SCHEMA_VERSION,
        "connections": [
            {**asdict(c), "tags": list(c.tags), "custom": list(c.custom)} for c in book.connections
        ],
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".connections-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
    os.replace(temporary, path)
    return path


def import_ssh_config(path: Path | None = None) -> list[Connection]:
    """One SSH connection per concrete ``Host`` alias of an ssh config (no wildcards)."""
    from connectors.ssh.config import DEFAULT_SSH_CONFIG, load_config

    config = load_config(path)
    source = (path or DEFAULT_SSH_CONFIG).expanduser()
    found: list[Connection] = []
    for alias in sorted(config.get_hostnames()):
        if any(ch in alias for ch in "*?!") or not _NAME.match(alias):
            continue
        entry = config.lookup(alias)
        found.append(
            Connection(
                alias, "ssh", alias, user=entry.get("user", ""), group=f"ssh config {source.name}"
            )
        )
    return found
