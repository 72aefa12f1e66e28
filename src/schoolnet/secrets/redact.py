"""Diffs of files that hold secrets show no secret-bearing line from either side.

The new side holds today's values, which the store knows: each becomes <secret:NAME>.
The host's side may hold a value rotated away since, or a secret the new file no longer
holds at all, which the store cannot name: a line there is shown only if the new file has
the same line; one that starts as a secret-bearing line of the new file starts
(`PrivateKey = `, `"...WIFI_PASSWORD": "`) is named as an earlier value of that secret;
any other is withheld.  That a line changed stays visible; what it held never is.
"""

from __future__ import annotations

from schoolnet.secrets.store import SecretStore

WITHHELD = "<a line of the host's file, withheld: the file holds secrets>"


Values = list[tuple[str, str]]  # (name, value), the longest value first: a value inside another is masked last


def known_values(names: list[str], store: SecretStore) -> Values:
    return sorted(((name, store.get(name)) for name in names), key=lambda nv: -len(nv[1]))


def mask_known(line: str, values: Values, prefixes: dict[str, str] | None = None) -> str:
    """`line` with each known value as <secret:NAME>; with `prefixes`, also note how each secret-bearing
    line starts (start -> name), to name an earlier value of that secret where it shows up."""
    for name, value in values:
        if value and value in line:
            start = line[: line.index(value)]
            if prefixes is not None and start.strip():
                prefixes[start] = name
            line = line.replace(value, f"<secret:{name}>")
    return line


def redact(old: list[str], new: list[str], names: list[str], store: SecretStore) -> tuple[list[str], list[str]]:
    values = known_values(names, store)
    prefixes: dict[str, str] = {}  # how a secret-bearing line starts -> the secret's name
    masked_new = [mask_known(line, values, prefixes) for line in new]
    known = set(masked_new)
    masked_old = []
    for line in old:
        line = mask_known(line, values)
        if line not in known:
            named = next((f"{start}<secret:{name}, an earlier value>" for start, name in prefixes.items()
                          if line.startswith(start)), None)
            line = named or WITHHELD
        masked_old.append(line)
    return masked_old, masked_new
