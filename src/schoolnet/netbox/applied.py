"""What schoolnet last wrote to an object, kept on the object itself as per-field digests.

Every owned object carries the hidden custom field `schoolnet_applied`: "field:digest,..."
with a 6-hex digest of each owned value as written.  A field whose NetBox value no longer
hashes to its digest was changed by someone else since (a hand edit: drift); a field
whose value still matches but differs from git is a change in git.  Per field, so a git
change to one field and a hand edit of another are told apart.
"""

from __future__ import annotations

import hashlib
import json

from schoolnet.netbox.mapping import Value


def digest(value: Value) -> str:
    """A short, stable digest of one canonical value (tuples and lists hash alike)."""
    text = json.dumps(list(value) if isinstance(value, tuple) else value, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:6]


def digests(attrs: dict[str, Value]) -> dict[str, str]:
    return {name: digest(value) for name, value in attrs.items()}


def parse(text: object) -> dict[str, str]:
    """The digests written on an object; anything unreadable counts as never written."""
    if not isinstance(text, str):
        return {}
    pairs = (item.partition(":") for item in text.split(",") if item)
    return {name: value for name, _, value in pairs if name and len(value) == 6}


def render(applied: dict[str, str]) -> str:
    return ",".join(f"{name}:{value}" for name, value in sorted(applied.items()))
