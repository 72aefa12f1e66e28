"""Defence in depth at render: whatever the model let through, no value writes a line of its own.

Every `{{ value }}` of a configuration template passes `finalize`: a string holding a line break, a
carriage return, any other control character or a bidirectional override is refused (SN705, at the
template's line), so a value can never start a new line in a line-oriented file (ifupdown, nftables,
dnsmasq, unbound, BIND, nginx, chrony, sshd, WireGuard, switch configurations).  Filters that encode
for a format (`json`) return `Encoded` text, which may span lines: what it holds is escaped already.

A value inside a quoted string is written with `q`, which quotes and escapes it for the template's
format (its header's `format=`, by default its validator's): `zone {{ programme.domain | q }};`.  A
format whose quoted strings cannot hold a character (a double quote in nftables) refuses the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import jinja2

from schoolnet.rulebook import declare

declare("SN705", "value-breaks-line", "A value reaching a rendered configuration holds a line break, a control "
        "character or a bidirectional override, or a character its quoted string cannot hold: it would write "
        "a line (or a directive) of its own.", bad='name: "School\\nusername backdoor"', good="name: School",
        stage="render")

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


class Encoded(str):
    """Text already encoded for its format by a filter (JSON): it may span lines."""


class UnsafeValue(ValueError):
    """A value that would start a new line, or cannot be quoted in its format."""


def finalize(value: Any) -> Any:
    """Jinja's `finalize`: every value a configuration template prints."""
    if isinstance(value, str) and not isinstance(value, Encoded):
        found = UNSAFE.search(value)
        if found:  # the value itself is not shown: it may be a secret
            raise UnsafeValue(f"a value printed here holds U+{ord(found.group()):04X} at character "
                              f"{found.start() + 1}: it would start a line of its own")
    return value


def to_json(value: Any, indent: int | None = 2) -> Encoded:
    return Encoded(json.dumps(value, indent=indent, sort_keys=True))


def indent(text: str, width: int = 4, first: bool = False, blank: bool = False) -> str:
    """Jinja's indent, keeping encoded text encoded (it only adds spaces after the line breaks it has)."""
    indented = jinja2.filters.do_indent(text, width, first, blank)
    return Encoded(indented) if isinstance(text, Encoded) else str(indented)


def _backslashed(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _no_double_quote(value: str) -> str:
    if '"' in value:
        raise UnsafeValue("a value quoted here holds a double quote, which this format's strings cannot hold")
    return f'"{value}"'


def _shell_double(value: str) -> str:
    """A POSIX shell double-quoted word (an /etc/default file): \\, ", $ and ` escaped."""
    return '"' + "".join(f"\\{c}" if c in '\\"$`' else c for c in value) + '"'


# format (a template's format=, by default its validator's name) -> how a value is written as one quoted string
QUOTE: dict[str, Callable[[str], str]] = {
    "named-conf": _backslashed,   # named.conf: "..." with \\ and \"
    "named-zone": _backslashed,   # a zone's TXT data
    "nginx": _backslashed,
    "sshd": _backslashed,
    "apt-config": _no_double_quote,  # apt.conf: "..." without escapes
    "unbound": _no_double_quote,  # unbound.conf: "..." without escapes
    "nftables": _no_double_quote,
    "shell-env": _shell_double,
    "journald": lambda value: _backslashed(value.replace("%", "%%")),  # systemd: % starts a specifier
}


def quote_for(format_name: str) -> Callable[[Any], Encoded]:
    def quote(value: Any) -> Encoded:
        text = str(value)
        finalize(text)  # no line of its own, quoted or not
        if format_name not in QUOTE:
            raise UnsafeValue(f"the format {format_name!r} has no quoted strings schoolnet writes: declare the "
                              f"template's format= ({', '.join(sorted(QUOTE))})")
        return Encoded(QUOTE[format_name](text))
    return quote
