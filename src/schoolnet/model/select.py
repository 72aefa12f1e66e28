"""`--limit` expressions: which hosts a command acts on."""

from __future__ import annotations

from fnmatch import fnmatchcase

from schoolnet.model.fleet import Fleet, Host

KEYS = ("district", "school", "site", "role", "kind", "host")


class LimitError(ValueError):
    """A --limit expression that cannot be understood (a usage error, exit 2)."""


def _values(host: Host, key: str) -> tuple[str, ...]:
    if key == "district":
        return (host.school.district,) if host.school is not None else ()
    if key == "school":
        return (host.school.id,) if host.school is not None else ()
    if key == "site":
        return (host.site,)
    if key == "role":
        return host.roles
    if key == "kind":
        return (host.kind,)
    return (host.hostname,)


def parse_limit(expression: str) -> tuple[str, str]:
    key, sep, pattern = expression.partition(":")
    if not sep or key not in KEYS or not pattern:
        raise LimitError(f"--limit {expression!r}: expected one of {', '.join(k + ':PATTERN' for k in KEYS)}")
    return key, pattern


def select_hosts(fleet: Fleet, limits: tuple[str, ...] | list[str]) -> list[Host]:
    """Hosts matching any expression (all hosts when there is none); globs allowed in each pattern."""
    if not limits:
        return list(fleet.hosts)
    parsed = [parse_limit(e) for e in limits]
    chosen = [h for h in fleet.hosts
              if any(fnmatchcase(value, pattern) for key, pattern in parsed for value in _values(h, key))]
    if not chosen:
        raise LimitError(f"--limit {' '.join(limits)} matches no host")
    return chosen
