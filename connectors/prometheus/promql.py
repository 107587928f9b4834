"""Building PromQL safely: label values are quoted, never pasted.

Host names, mountpoints and job names come from the outside world (targets,
URIs, config). Inside a PromQL string literal only the backslash, the double
quote and line breaks are special; escaping them means a value such as
``x"} or vector(1) #`` selects a series with that odd label instead of changing
the query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class BadLabelName(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"not a Prometheus label name: {name!r}")
        self.name = name


def quote(value: str) -> str:
    """``value`` as a double-quoted PromQL string literal."""
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def regex_alternatives(values: Iterable[str]) -> str:
    """A RE2 alternation matching exactly these literal values (for ``=~`` / ``!~``)."""
    return "|".join(re.escape(value) for value in sorted(values))


def matchers(equal: Mapping[str, str] | None = None, **operators: tuple[str, str]) -> str:
    """Comma-separated matchers: ``equal`` as ``name="value"``, others as ``name<op>"value"``.

    ``operators`` maps a label name to ``(op, value)`` with op one of ``= != =~ !~``.
    """
    parts = []
    items = [(name, ("=", value)) for name, value in (equal or {}).items()]
    for name, (op, value) in [*items, *operators.items()]:
        if not _LABEL_NAME.match(name):
            raise BadLabelName(name)
        if op not in {"=", "!=", "=~", "!~"}:
            raise ValueError(f"not a PromQL matcher operator: {op!r}")
        parts.append(f"{name}{op}{quote(value)}")
    return ",".join(parts)


def join_matchers(*groups: str) -> str:
    return ",".join(group for group in groups if group)
