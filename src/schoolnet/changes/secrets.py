"""Secrets between two revisions: by name and value, never shown; who can decrypt them.

The values are compared in memory after decryption, not by ciphertext: `sops encrypt` draws a
new data key on every write, so after one `secrets rotate` every value's ciphertext differs.
Nothing but the names and the word "rotated" leaves this module.
"""

from __future__ import annotations

import re

from schoolnet.changes.model import Change, SideError, relabelled
from schoolnet.changes.revisions import Snapshot
from schoolnet.problems import InventoryError
from schoolnet.secrets.store import SECRETS_FILE, SopsSecrets

RECIPIENT = re.compile(r"^\s*-?\s*recipient:\s*(\S+)\s*$", re.MULTILINE)
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[^\s:#-][^:]*):(?P<value>.*)$")


def compare_secrets(base: Snapshot, head: Snapshot, old: SopsSecrets,
                    new: SopsSecrets) -> tuple[list[Change], set[str]]:
    """Secrets added, removed or rotated, and age recipients added or removed; and the names whose
    values changed (their hosts are rendered on both sides)."""
    path = f"{base.repository.inventory}/{SECRETS_FILE}"
    if base.files.get(path) == head.files.get(path):
        return [], set()
    was, now = _values(old, base, path), _values(new, head, path)
    lines_before, lines_after = _key_lines(base, path), _key_lines(head, path)

    def secret(name: str, action: str, lines: dict[str, int]) -> Change:
        return Change("secret", action, name, "secrets", f"Secret {name} {action}.",
                      source=f"{path}:{lines[name]}" if name in lines else path, scopes=(("secret", name),),
                      files=frozenset({path}))

    changes = [secret(name, "added", lines_after) for name in sorted(now.keys() - was.keys())]
    changes += [secret(name, "removed", lines_before) for name in sorted(was.keys() - now.keys())]
    changes += [secret(name, "rotated", lines_after) for name in sorted(was.keys() & now.keys())
                if was[name] != now[name]]
    recipients_before, recipients_after = _recipients(base, path), _recipients(head, path)
    for recipient in sorted(recipients_after - recipients_before):
        changes.append(Change("recipient", "added", recipient, "secrets", f"Age recipient {recipient} can now "
                              "decrypt the secrets.", source=path, files=frozenset({path})))
    for recipient in sorted(recipients_before - recipients_after):
        changes.append(Change("recipient", "removed", recipient, "secrets", f"Age recipient {recipient} can no "
                              "longer decrypt the secrets.", source=path, files=frozenset({path})))
    if not changes and path in head.files:
        changes.append(Change("secrets", "re-encrypted", path, "secrets", f"Secrets file {path} re-encrypted; "
                              "no secret changed.", source=path, files=frozenset({path})))
    return changes, {c.subject for c in changes if c.kind == "secret"}


def _values(store: SopsSecrets, snapshot: Snapshot, path: str) -> dict[str, str]:
    if path not in snapshot.files:
        return {}
    try:
        return dict(store.values)
    except InventoryError as exc:
        raise SideError(snapshot, [relabelled(p, snapshot) for p in exc.problems]) from None


def _recipients(snapshot: Snapshot, path: str) -> set[str]:
    if path not in snapshot.files:
        return set()
    return set(RECIPIENT.findall((snapshot.root / path).read_text(encoding="utf-8", errors="replace")))


def _key_lines(snapshot: Snapshot, path: str) -> dict[str, int]:
    """The line of each secret's name in the encrypted file (sops writes plain block mappings, one key a line)."""
    if path not in snapshot.files:
        return {}
    lines: dict[str, int] = {}
    stack: list[tuple[int, str]] = []
    text = (snapshot.root / path).read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        match = KEY_LINE.match(line)
        if match is None:
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"]))
        if match["value"].strip():
            lines["/".join(k for _, k in stack)] = number
    return lines
