"""Diffs of files that hold secrets show no secret-bearing line from either side.

The new side holds today's values, which the store knows: each becomes <secret:NAME>.
The host's side may hold a value rotated away since, which the store no longer knows: a
line there is masked when it starts as a secret-bearing line of the new file starts
(`PrivateKey = `, `"...WIFI_PASSWORD": "`), or when it looks like a key or a password
assignment.  What changed stays visible; what it was never is.
"""

from __future__ import annotations

from schoolnet.secrets.plaintext import PATTERNS
from schoolnet.secrets.store import SecretStore

SHAPES = [pattern for what, pattern in PATTERNS if what != "a WireGuard key"]  # peers' public keys stay legible


def redact(old: list[str], new: list[str], names: list[str], store: SecretStore) -> tuple[list[str], list[str]]:
    values = sorted(((name, store.get(name)) for name in names), key=lambda nv: -len(nv[1]))
    prefixes: dict[str, str] = {}  # how a secret-bearing line starts -> the secret's name
    masked_new = []
    for line in new:
        for name, value in values:
            if value and value in line:
                start = line[: line.index(value)]
                if start.strip():
                    prefixes[start] = name
                line = line.replace(value, f"<secret:{name}>")
        masked_new.append(line)
    masked_old = []
    for line in old:
        for name, value in values:
            if value:
                line = line.replace(value, f"<secret:{name}>")
        for start, name in prefixes.items():
            if line.startswith(start) and not line.startswith(f"{start}<secret:{name}>"):
                line = f"{start}<secret:{name}, an earlier value>"
                break
        else:
            for pattern in SHAPES:
                match = pattern.search(line)
                if match:
                    line = line[: match.start()] + "<a secret, masked>"
                    break
        masked_old.append(line)
    return masked_old, masked_new
