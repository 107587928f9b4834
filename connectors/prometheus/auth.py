"""Credentials for a Prometheus endpoint, kept in the system keyring and nowhere else.

A source URI names at most a user (``prometheus+https://ops@prom:9090``); the
password, or a bearer token when no user is named, is looked up in the keyring
under the endpoint's URL. The ``repr`` of a credential hides the secret, so a
credential that ends up in a log or a traceback gives nothing away.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import keyring
from keyring.errors import KeyringError

from connectors.errors import AuthFailed

KEYRING_SERVICE = "headroom-prometheus"
_TOKEN_USER = "__bearer_token__"  # keyring slot of an endpoint's bearer token


@dataclass(frozen=True, slots=True)
class BasicAuth:
    username: str
    password: str = field(repr=False)

    def header(self) -> str:
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


@dataclass(frozen=True, slots=True)
class BearerToken:
    token: str = field(repr=False)

    def header(self) -> str:
        return f"Bearer {self.token}"


Credentials = BasicAuth | BearerToken


def _slot(endpoint: str) -> str:
    return f"{KEYRING_SERVICE}:{endpoint.rstrip('/')}"


def store_basic_auth(endpoint: str, username: str, password: str) -> None:
    """Remember ``username``'s password for ``endpoint`` (a base URL) in the keyring."""
    keyring.set_password(_slot(endpoint), username, password)


def store_bearer_token(endpoint: str, token: str) -> None:
    keyring.set_password(_slot(endpoint), _TOKEN_USER, token)


def load_credentials(endpoint: str, username: str | None = None) -> Credentials | None:
    """The keyring's credentials for ``endpoint``: basic auth for a named user, else a token.

    A named user without a stored password gets an empty one, so the server,
    not Headroom, decides whether that is acceptable (it answers 401 if not).
    Without a usable keyring a named user is :class:`AuthFailed`; no user means no auth.
    """
    if username is not None:
        try:
            password = keyring.get_password(_slot(endpoint), username)
        except KeyringError:
            raise AuthFailed(
                endpoint, f"no system keyring to hold the password of user {username!r}"
            ) from None
        return BasicAuth(username, password or "")
    try:
        token = keyring.get_password(_slot(endpoint), _TOKEN_USER)
    except KeyringError:
        return None  # no keyring (a headless box): an endpoint without auth still works
    return BearerToken(token) if token else None
