"""Scale an AWS Auto Scaling group by setting its desired capacity, then verify it.

Credentials and region come from the standard boto3 chain (environment, shared
config and credentials files, SSO, instance roles) or a named ``profile``.
``capacity`` means the group's *desired* capacity: that is what we set and what
AWS records at once; instances reach InService later, on AWS's schedule.

Decisions, so an operator can predict what happens:

* ``SetDesiredCapacity`` is called with an absolute number and
  ``HonorCooldown=False``. The change was approved by a person for this moment;
  cooldowns exist to damp *automatic* policies, and honouring one would make an
  approved step fail at random with ScalingActivityInProgress.
* The bounds are checked against the group's own MinSize/MaxSize before calling,
  so the reason names them. A group already at the desired size is not touched.
* No retries: botocore's retry loop is disabled (one attempt per call) and
  timeouts are short, so a throttled or unreachable API fails fast and the plan is
  marked failed. The read-back is the only repeat: when the first read does not
  yet show the new value, it is read once more after a short pause.
* Error reasons never contain credentials (AWS error messages do not, and for
  authentication failures only the error code is shown).
"""

from __future__ import annotations

import operator
import threading
import time
from typing import Any

from connectors.scaling.base import ExecutionError, ExecutionResult

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0
READ_BACK_PAUSE_S = 1.0
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
)
AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "UnrecognizedClientException",
        "AuthFailure",
    }
)


def _whole_units(target: str, desired: object) -> int:
    # ints and numpy integers pass; 3.0 is accepted, 2.5 / True / "3" are not.
    if isinstance(desired, bool):
        raise ExecutionError(target, f"desired capacity must be a whole number, got {desired!r}")
    try:
        return operator.index(desired)
    except TypeError:
        if isinstance(desired, float) and desired.is_integer():
            return int(desired)
        raise ExecutionError(
            target, f"desired capacity must be a whole number, got {desired!r}"
        ) from None


class AwsAsgExecutor:
    """Satisfies :class:`ScalingExecutor` for one Auto Scaling group.

    The boto3 client is made on first use (boto3 is slow to import), so creating
    an executor never fails; configuration problems surface as ExecutionError
    from the first call.
    """

    def __init__(
        self,
        group: str,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        *,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        read_timeout: float = READ_TIMEOUT_S,
    ) -> None:
        self.group = group
        self.profile = profile
        self.region = region
        self.endpoint_url = endpoint_url
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._client: Any = None
        self._client_lock = threading.Lock()  # boto3 sessions are not thread-safe

    @property
    def target(self) -> str:
        return f"asg:{self.group}"

    def current_capacity(self) -> int:
        return int(self._describe()["DesiredCapacity"])

    def bounds(self) -> tuple[int, int]:
        """The group's (MinSize, MaxSize) as AWS reports them now."""
        group = self._describe()
        return int(group["MinSize"]), int(group["MaxSize"])

    def set_capacity(self, desired: int) -> ExecutionResult:
        desired = _whole_units(self.target, desired)
        group = self._describe()
        previous = int(group["DesiredCapacity"])
        low, high = int(group["MinSize"]), int(group["MaxSize"])
        if not low <= desired <= high:
            raise ExecutionError(
                self.target,
                f"desired capacity {desired} is outside the group's bounds (min {low}, max "
                f"{high}); change the group's limits in AWS or the plan",
            )
        if desired == previous:
            return ExecutionResult(
                self.target, desired, previous, previous, f"already at {desired}; no API change"
            )
        self._call(
            "set_desired_capacity",
            AutoScalingGroupName=self.group,
            DesiredCapacity=desired,
            HonorCooldown=False,
        )
        verified = self.current_capacity()
        if verified != desired:
            time.sleep(READ_BACK_PAUSE_S)  # the single bounded re-read, for eventual consistency
            verified = self.current_capacity()
        if verified != desired:
            raise ExecutionError(
                self.target,
                f"set desired capacity to {desired} but the group reports {verified}; "
                "a scaling policy or another operator may have changed it",
            )
        return ExecutionResult(
            self.target,
            desired,
            previous,
            verified,
            f"SetDesiredCapacity {previous} -> {desired} (HonorCooldown=False), read back",
        )

    # -- AWS calls --------------------------------------------------------------------

    def _describe(self) -> dict[str, Any]:
        reply = self._call("describe_auto_scaling_groups", AutoScalingGroupNames=[self.group])
        groups = reply.get("AutoScalingGroups", [])
        if not groups:
            raise ExecutionError(
                self.target, f"Auto Scaling group {self.group!r} not found in {self._where()}"
            )
        return groups[0]

    def _call(self, operation: str, **parameters: object) -> dict[str, Any]:
        import botocore.exceptions as bx

        client = self._get_client()
        try:
            return getattr(client, operation)(**parameters)
        except bx.ClientError as error:
            raise ExecutionError(self.target, self._client_error_reason(error)) from None
        except (bx.NoCredentialsError, bx.PartialCredentialsError):
            raise ExecutionError(self.target, self._no_credentials_reason()) from None
        except (bx.ConnectTimeoutError, bx.ReadTimeoutError):
            raise ExecutionError(
                self.target,
                f"no answer from {self._endpoint()} within the timeout; not retried",
            ) from None
        except bx.EndpointConnectionError:
            raise ExecutionError(
                self.target, f"cannot reach {self._endpoint()}; check the network or endpoint"
            ) from None
        except bx.BotoCoreError as error:
            raise ExecutionError(self.target, f"AWS SDK error: {error}") from None

    def _get_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _make_client(self) -> Any:
        import boto3
        import botocore.exceptions as bx
        from botocore.config import Config

        config = Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},  # no retry loop
        )
        try:
            session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
            return session.client("autoscaling", endpoint_url=self.endpoint_url, config=config)
        except bx.ProfileNotFound:
            raise ExecutionError(
                self.target,
                f"AWS profile {self.profile!r} not found in the AWS config or credentials files",
            ) from None
        except bx.NoRegionError:
            raise ExecutionError(
                self.target,
                "no AWS region: set it for this target, in the profile, or in AWS_DEFAULT_REGION",
            ) from None
        except bx.BotoCoreError as error:
            raise ExecutionError(self.target, f"AWS SDK configuration error: {error}") from None

    # -- plain reasons ----------------------------------------------------------------

    def _client_error_reason(self, error: Any) -> str:
        info = error.response.get("Error", {})
        code = str(info.get("Code", "Unknown"))
        message = str(info.get("Message", "")).strip()
        operation = getattr(error, "operation_name", "the request")
        if code in THROTTLING_CODES:
            return f"AWS throttled {operation} ({code}); not retried — try again later"
        if code in AUTH_CODES:
            return (
                f"AWS refused {operation} ({code}): the credentials are invalid or lack "
                "permission for Auto Scaling"
            )
        if code == "ScalingActivityInProgress":
            return f"a scaling activity is in progress on the group; {operation} refused"
        return (
            f"{operation} failed ({code}): {message}" if message else f"{operation} failed ({code})"
        )

    def _no_credentials_reason(self) -> str:
        source = f"profile {self.profile!r}" if self.profile else "the standard AWS chain"
        return (
            f"no AWS credentials found in {source} (environment, ~/.aws/credentials, SSO, "
            "instance role); configure them or choose a profile"
        )

    def _where(self) -> str:
        region = self._client.meta.region_name if self._client is not None else self.region
        return f"region {region}" + (f" at {self.endpoint_url}" if self.endpoint_url else "")

    def _endpoint(self) -> str:
        if self.endpoint_url:
            return f"the Auto Scaling endpoint {self.endpoint_url}"
        if self._client is not None:
            return f"the Auto Scaling endpoint {self._client.meta.endpoint_url}"
        return "the Auto Scaling endpoint"
