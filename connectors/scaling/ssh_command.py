"""Scale a service with a command run over SSH, e.g. ``docker compose up -d --scale web={count}``.

The set and read-back templates are split into argv with :func:`shlex.split`
when the executor is configured, and checked then: ``{count}`` is the only
placeholder, in the set template only, with no format spec. At run time the
count is validated as an integer within [minimum, maximum] BEFORE anything
runs, substituted, and every argv element is :func:`shlex.quote`-d. The change
is absolute (idempotent) and verified with the read-back command, which must
print one integer; failures raise ExecutionError with the exit status and the
first line of stderr. No retries: a person decides what to do next.
"""

from __future__ import annotations

import shlex
import string
from dataclasses import dataclass

from connectors.errors import SourceError
from connectors.scaling.base import ExecutionError, ExecutionResult
from connectors.ssh.connection import CommandResult, SshConnection

PLACEHOLDER = "count"


class TemplateError(ValueError):
    """A command template that cannot be used safely; says which and why."""

    def __init__(self, template: str, reason: str) -> None:
        super().__init__(f"command template {template!r}: {reason}")
        self.template = template
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CommandTemplate:
    """A command split into argv; ``{count}`` may appear as or inside a token."""

    text: str
    argv: tuple[str, ...]
    has_count: bool

    @classmethod
    def parse(cls, text: str, allow_count: bool = True) -> CommandTemplate:
        try:
            argv = tuple(shlex.split(text))
        except ValueError as error:
            raise TemplateError(text, f"cannot parse: {error}") from None
        if not argv:
            raise TemplateError(text, "empty command")
        has_count = False
        for token in argv:
            try:
                fields = list(string.Formatter().parse(token))
            except ValueError as error:
                raise TemplateError(text, f"bad braces in {token!r}: {error}") from None
            for _, name, spec, conversion in fields:
                if name is None:
                    continue
                if name != PLACEHOLDER or spec or conversion:
                    raise TemplateError(text, f"only {{{PLACEHOLDER}}} may be substituted")
                if not allow_count:
                    raise TemplateError(text, "the read-back command takes no placeholder")
                has_count = True
        return cls(text, argv, has_count)

    def render(self, count: int | None = None) -> str:
        """The command line with ``count`` substituted and every argument quoted."""
        values = {PLACEHOLDER: str(count)} if count is not None else {}
        return shlex.join(
            token.format(**values) if self.has_count else token for token in self.argv
        )


class SshCommandExecutor:
    """A :class:`~connectors.scaling.base.ScalingExecutor` running commands over SSH."""

    def __init__(
        self,
        connection: SshConnection,
        name: str,
        set_command: str,
        read_command: str,
        minimum: int = 0,
        maximum: int = 100,
        timeout: float = 120.0,
    ) -> None:
        if not 0 <= minimum <= maximum:
            raise ValueError(f"need 0 <= minimum <= maximum, got {minimum}..{maximum}")
        self.connection = connection
        self.name = name
        self.set_template = CommandTemplate.parse(set_command)
        if not self.set_template.has_count:
            raise TemplateError(set_command, f"the set command must contain {{{PLACEHOLDER}}}")
        self.read_template = CommandTemplate.parse(read_command, allow_count=False)
        self.minimum = minimum
        self.maximum = maximum
        self.timeout = timeout

    @property
    def target(self) -> str:
        return f"ssh:{self.connection.target.alias}/{self.name}"

    def current_capacity(self) -> int:
        result = self._run(self.read_template.render(), "read-back")
        text = result.stdout.strip()
        try:
            return int(text)
        except ValueError:
            raise ExecutionError(
                self.target, f"read-back command printed {text[:40]!r}, not one integer"
            ) from None

    def set_capacity(self, desired: int) -> ExecutionResult:
        count = self.validate(desired)
        previous = self.current_capacity()
        command = self.set_template.render(count)
        self._run(command, "scaling")
        verified = self.current_capacity()
        if verified != count:
            raise ExecutionError(
                self.target, f"asked for {count} but the read-back command reports {verified}"
            )
        return ExecutionResult(self.target, count, previous, verified, detail=f"ran: {command}")

    def validate(self, desired: object) -> int:
        """The count as an int within bounds; ExecutionError before anything runs otherwise."""
        if isinstance(desired, bool) or not isinstance(desired, int):
            raise ExecutionError(self.target, f"capacity must be an integer, got {desired!r}")
        if not self.minimum <= desired <= self.maximum:
            raise ExecutionError(
                self.target,
                f"capacity {desired} is outside the allowed {self.minimum}..{self.maximum}",
            )
        return desired

    def _run(self, command: str, what: str) -> CommandResult:
        try:
            result = self.connection.run(command, timeout=self.timeout)
        except SourceError as error:
            raise ExecutionError(self.target, f"{what} command failed: {error.reason}") from None
        if result.exit_status != 0:
            detail = result.first_error_line or "no error output"
            raise ExecutionError(
                self.target, f"{what} command exited with status {result.exit_status}: {detail}"
            )
        return result
