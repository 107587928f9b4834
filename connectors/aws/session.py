"""boto3 sessions and clients for a source, and botocore failures as source errors.

Credentials and region come from boto3's standard chain (environment, shared
config and credentials files, SSO, instance role); a named ``profile`` picks a
section of those files. Headroom never stores AWS secrets itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.errors import (
    AuthFailed,
    BadSourceUri,
    ConnectionRefused,
    HttpError,
    SourceError,
    SourceTimeout,
)

if TYPE_CHECKING:
    import boto3

# Error codes meaning "who you are" or "what you may do" is the problem.
AUTH_ERROR_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)


def make_session(source: str, profile: str | None, region: str | None) -> boto3.Session:
    """A session for ``profile`` (default chain if ``None``) in ``region`` (profile's if ``None``)."""
    import boto3
    import botocore.exceptions

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound:
        raise BadSourceUri(source, f"no AWS profile named {profile!r} in the AWS config") from None
    if not session.region_name:
        raise BadSourceUri(
            source, "no AWS region: put one in the URI (aws://REGION/...) or in the profile"
        )
    return session


def make_client(session: boto3.Session, service: str, endpoint_url: str | None) -> Any:
    import botocore.config

    # Bounded waits: a monitoring console must say "timeout", not hang for minutes.
    config = botocore.config.Config(
        connect_timeout=5, read_timeout=15, retries={"max_attempts": 2, "mode": "standard"}
    )
    return session.client(service, endpoint_url=endpoint_url, config=config)


def translate(source: str, error: Exception) -> SourceError:
    """The :mod:`connectors.errors` exception for a boto3/botocore failure."""
    import botocore.exceptions as bex

    if isinstance(error, bex.ClientError):
        info = error.response.get("Error", {})
        code = str(info.get("Code", "Unknown"))
        message = str(info.get("Message", "")).strip()
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        reason = f"{code}: {message}" if message else code
        if code in AUTH_ERROR_CODES or status in (401, 403):
            return AuthFailed(source, reason)
        return HttpError(source, status, reason)
    if isinstance(error, bex.NoCredentialsError | bex.PartialCredentialsError):
        return AuthFailed(source, "no AWS credentials found (environment, profile or role)")
    if isinstance(error, bex.ConnectTimeoutError | bex.ReadTimeoutError):
        return SourceTimeout(source, "AWS endpoint did not answer in time")
    if isinstance(error, bex.EndpointConnectionError):
        return ConnectionRefused(
            source, f"cannot reach the AWS endpoint {error.kwargs.get('endpoint_url', '')}".strip()
        )
    if isinstance(error, bex.BotoCoreError):
        return SourceError(source, str(error))
    raise error
