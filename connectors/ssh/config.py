"""Where to connect: ``ssh://`` URIs resolved through ~/.ssh/config (paramiko.SSHConfig).

Honours ``Host`` aliases, ``HostName``, ``User``, ``Port``, ``IdentityFile`` and
``ProxyJump``. Explicit parts of the URI (user, port) win over the config file,
as they do on the ``ssh`` command line.
"""

from __future__ import annotations

import getpass
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from connectors.errors import BadSourceUri

if TYPE_CHECKING:
    import paramiko

DEFAULT_SSH_CONFIG = Path("~/.ssh/config")
DEFAULT_PORT = 22
# Host names and aliases: letters, digits, dots, dashes, underscores (or an IP address).
_HOST_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_USER_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True, slots=True)
class SshTarget:
    """A host to log in to, fully resolved."""

    alias: str  # what the operator wrote; used as the sample's host label
    hostname: str
    port: int
    user: str
    identity_files: tuple[Path, ...] = ()
    proxy_jump: tuple[SshTarget, ...] = ()  # hops, first one first

    @property
    def address(self) -> str:
        """``user@hostname:port``, for messages and the keyring entry."""
        return f"{self.user}@{self.hostname}:{self.port}"


@dataclass(frozen=True, slots=True)
class SshUri:
    user: str | None
    host: str
    port: int | None


def parse_uri(uri: str) -> SshUri:
    """``ssh://user@host:port`` or ``ssh://alias`` → its parts; BadSourceUri otherwise."""
    parts = urlsplit(uri)
    if parts.scheme != "ssh":
        raise BadSourceUri(uri, "expected ssh://[user@]host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BadSourceUri(uri, "an ssh:// source has no path, query or fragment")
    if parts.password is not None:
        raise BadSourceUri(
            _without_password(uri), "passwords do not belong in the URI; use the keyring"
        )
    try:
        port = parts.port
    except ValueError:
        raise BadSourceUri(uri, "the port must be a number from 1 to 65535") from None
    host = parts.hostname or ""  # urlsplit strips the brackets of an IPv6 address
    if not host or not (_HOST_RE.match(host) or _is_ip(host)):
        raise BadSourceUri(uri, "missing or invalid host name")
    user = unquote(parts.username) if parts.username else None
    if user is not None and not _USER_RE.match(user):
        raise BadSourceUri(uri, "invalid user name")
    if port is not None and not 0 < port < 65536:
        raise BadSourceUri(uri, "the port must be a number from 1 to 65535")
    return SshUri(user, host, port)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _without_password(uri: str) -> str:
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", uri)


def load_config(path: Path | None = None) -> paramiko.SSHConfig:
    import paramiko  # only when an ssh:// source is used

    path = (path or DEFAULT_SSH_CONFIG).expanduser()
    if not path.exists():
        return paramiko.SSHConfig()
    try:
        return paramiko.SSHConfig.from_path(str(path))
    except Exception as error:  # paramiko raises bare ConfigParseError / ValueError
        raise BadSourceUri(str(path), f"cannot parse ssh config: {error}") from None


def resolve_target(
    host: str,
    user: str | None = None,
    port: int | None = None,
    ssh_config: Path | None = None,
    identity: Path | None = None,
    _depth: int = 0,
) -> SshTarget:
    """Resolve an alias or host name through the ssh config file into a target."""
    if _depth > 5:
        raise BadSourceUri(host, "ProxyJump chain too long (loop in ssh config?)")
    config = load_config(ssh_config).lookup(host)
    hostname = config.get("hostname", host)
    try:
        resolved_port = port or int(config.get("port", DEFAULT_PORT))
    except ValueError:
        raise BadSourceUri(host, "Port in ssh config is not a number") from None
    resolved_user = user or config.get("user") or getpass.getuser()
    identities: tuple[Path, ...]
    if identity is not None:
        identities = (identity.expanduser(),)
    else:
        identities = tuple(Path(p).expanduser() for p in config.get("identityfile", []))
    hops = tuple(
        _resolve_hop(hop, ssh_config, _depth) for hop in _split_jumps(config.get("proxyjump"))
    )
    return SshTarget(host, hostname, resolved_port, resolved_user, identities, hops)


def _split_jumps(value: str | None) -> list[str]:
    if not value or value.strip().lower() == "none":
        return []
    return [hop.strip() for hop in value.split(",") if hop.strip()]


def _resolve_hop(hop: str, ssh_config: Path | None, depth: int) -> SshTarget:
    # A hop is written [user@]host[:port], like on the ssh command line.
    parsed = parse_uri(f"ssh://{hop}")
    return resolve_target(parsed.host, parsed.user, parsed.port, ssh_config, None, depth + 1)
