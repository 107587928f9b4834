"""Operator-defined metrics: a command on the remote host that prints numbers.

For example the length of a queue (``redis-cli llen jobs``) or a latency read
from a local endpoint (``curl -s http://localhost:8080/latency``). The command
is split with :func:`shlex.split` when configured, so it is an argv, never a
string that shell data is pasted into. ``{name}`` placeholders are filled from
the metric's parameters, and every argv element is :func:`shlex.quote`-d when
the command line is sent: a parameter such as ``$(rm -rf ~)`` arrives as one
literal argument. Shell syntax (pipes, redirections) needs an explicit
``sh -c '...'`` whose script is fixed text in the configuration; literal braces
(awk programs) are written ``{{`` and ``}}``.

Output: one number (metric ``custom.<name>``), or lines ``<instance> <number>``
(metrics ``custom.<name>:<instance>``). Counters become per-second rates.

Written by an operator as one line (:func:`parse_definition`): ``NAME=COMMAND``, or
``NAME:counter=COMMAND`` for a value that only grows (requests served so far).
"""

from __future__ import annotations

import math
import re
import shlex
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

from models.catalogue import metric_name

FAMILY_PREFIX = "custom."
_NAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,62}$")
_INSTANCE_RE = re.compile(r"^[A-Za-z0-9_./@-]{1,64}$")
_PARAM_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CustomMetricError(ValueError):
    """A custom metric definition or its output is unusable; says which and why."""

    def __init__(self, metric: str, reason: str) -> None:
        super().__init__(f"custom metric {metric!r}: {reason}")
        self.metric = metric
        self.reason = reason


@dataclass(frozen=True)
class CustomMetric:
    name: str  # lower-case, e.g. "queue.length"; the family is "custom.<name>"
    command: str  # e.g. "redis-cli -p {port} llen jobs"
    params: Mapping[str, str] = field(default_factory=dict)
    counter: bool = False
    timeout: float = 5.0
    argv: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise CustomMetricError(
                self.name, "name must be lower-case letters, digits, '.', '_' or '-'"
            )
        try:
            tokens = shlex.split(self.command)
        except ValueError as error:
            raise CustomMetricError(self.name, f"cannot parse the command: {error}") from None
        if not tokens:
            raise CustomMetricError(self.name, "the command is empty")
        for key, value in self.params.items():
            if not _PARAM_RE.match(key):
                raise CustomMetricError(self.name, f"invalid parameter name {key!r}")
            if not isinstance(value, str) or "\x00" in value or "\n" in value:
                raise CustomMetricError(self.name, f"parameter {key!r} must be one line of text")
        argv = tuple(_fill(self.name, token, self.params) for token in tokens)
        object.__setattr__(self, "argv", argv)

    @property
    def family(self) -> str:
        return FAMILY_PREFIX + self.name

    def command_line(self) -> str:
        """The command as sent to the remote shell: every argument quoted."""
        return shlex.join(self.argv)

    def parse_output(self, text: str) -> list[tuple[str, float]]:
        """Metric names and values from what the command printed."""
        lines = [line.split() for line in text.splitlines() if line.strip()]
        if len(lines) == 1 and len(lines[0]) == 1:
            return [(self.family, _number(self.name, lines[0][0]))]
        out = []
        for fields in lines:
            if len(fields) != 2 or not _INSTANCE_RE.match(fields[0]):
                raise CustomMetricError(
                    self.name, "output must be one number or lines '<instance> <number>'"
                )
            out.append((metric_name(self.family, fields[0]), _number(self.name, fields[1])))
        if not out:
            raise CustomMetricError(self.name, "the command printed nothing")
        return out


def _fill(metric: str, token: str, params: Mapping[str, str]) -> str:
    pieces = []
    try:
        parsed = list(string.Formatter().parse(token))
    except ValueError as error:  # a lone brace; literal braces are written {{ and }}
        raise CustomMetricError(metric, f"bad placeholder in {token!r}: {error}") from None
    for literal, field_name, spec, conversion in parsed:
        pieces.append(literal)
        if field_name is None:
            continue
        if spec or conversion or field_name not in params:
            raise CustomMetricError(
                metric, f"unknown placeholder {{{field_name}}} (parameters: {sorted(params)})"
            )
        pieces.append(params[field_name])
    return "".join(pieces)


def _number(metric: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CustomMetricError(metric, f"output {text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise CustomMetricError(metric, "output is not a finite number")
    return value


def parse_definition(text: str) -> CustomMetric:
    """``NAME=COMMAND`` or ``NAME:counter=COMMAND`` as a :class:`CustomMetric`."""
    head, sep, command = text.partition("=")
    name, _, kind = head.strip().partition(":")
    if not sep or not name:
        raise CustomMetricError(
            text.strip()[:40], "write it as NAME=COMMAND or NAME:counter=COMMAND"
        )
    if kind not in ("", "counter"):
        raise CustomMetricError(name, f"unknown kind {kind!r}: only ':counter' is allowed")
    return CustomMetric(name=name, command=command.strip(), counter=kind == "counter")


def format_definition(metric: CustomMetric) -> str:
    """The one-line form :func:`parse_definition` reads back."""
    return f"{metric.name}{':counter' if metric.counter else ''}={metric.command}"
