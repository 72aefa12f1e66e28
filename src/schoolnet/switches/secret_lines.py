"""Lines that carry a secret, as a switch prints them: proven equal to the wanted line, or not.

The build holds a secret in plain text (`local-user admin password irreversible-cipher S3cret`); the
switch prints it one-way hashed (`… irreversible-cipher $1c$…$`, IOS `username admin privilege 15
secret 5 $1$…`) or not at all (IOS SNMPv3 users).  Before compliance compares the two, each printed
line whose secret is proven to be the wanted one is replaced by the wanted line, so it compares
equal and is never typed again; a line not proven stays as printed, differs, and is set again.

`Proof` says whether a printed value is the wanted secret: IOS hashes are verified (hashes.py),
anything else is looked up in the ledger (ledger.py).  Sources of each printed form: docs/switches.md."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# (slot, kind, printed, secret) -> proven.  `slot` is the line up to its secret, `kind` IOS's type digit.
Proof = Callable[[str, str | None, str, str], bool]


@dataclass(frozen=True)
class SecretLines:
    printed: tuple[re.Pattern[str], ...]  # groups: lead (the slot), kind (optional), value
    hidden: re.Pattern[str] | None = None  # an intended line the switch never prints; groups: lead, name, group
    hidden_read: str = ""                  # the command that names what is hidden


FORMS = {
    "huawei-vrp": SecretLines((
        re.compile(r"^(?P<lead>\s*local-user (?!password |policy )\S+ password (?:irreversible-cipher|cipher) )"
                   r"(?P<kind>)(?P<value>\S+)\s*$"),
        re.compile(r"^(?P<lead>snmp-agent usm-user v3 \S+ (?:authentication|privacy)-mode \S+ cipher )"
                   r"(?P<kind>)(?P<value>\S+)\s*$"),
    )),
    "cisco-ios": SecretLines(
        (re.compile(r"^(?P<lead>username \S+ (?:privilege \d+ )?secret )(?:(?P<kind>\d) )?(?P<value>\S+)\s*$"),),
        hidden=re.compile(r"^(?P<lead>snmp-server user (?P<name>\S+) (?P<group>\S+) v3)\b(?P<value>.*)$"),
        hidden_read="show snmp user"),
}
_HINT = re.compile(r"secret|cipher|snmp-server user")


def slot_of(os: str, line: str) -> tuple[str, str] | None:
    """(slot, secret) of an intended line that carries a secret in plain text; None for any other line."""
    forms = FORMS.get(os)
    if forms is None or not _HINT.search(line):
        return None
    for pattern in forms.printed:
        found = pattern.match(line)
        if found is not None:
            return " ".join(found["lead"].split()), found["value"]
    if forms.hidden is not None and (found := forms.hidden.match(line)) is not None:
        return found["lead"], found["value"].strip()
    return None


def is_login(slot: str, user: str) -> bool:
    """Whether a secret slot is `user`'s login password (not an SNMP key of a user of the same name)."""
    return slot.startswith((f"local-user {user} password ", f"username {user} "))


def printed_secrets(os: str, running: str) -> dict[str, str]:
    """What the switch prints for each secret slot of its running configuration (its hash)."""
    forms = FORMS.get(os)
    printed: dict[str, str] = {}
    if forms is None:
        return printed
    for line in running.splitlines():
        if not _HINT.search(line):
            continue
        for pattern in forms.printed:
            found = pattern.match(line)
            if found is not None:
                printed[" ".join(found["lead"].split())] = found["value"]
    return printed


def snmp_users(printed: str) -> dict[str, str]:
    """IOS `show snmp user`: each user's group (`User name: u3` … `Group-name: G3PRIV`)."""
    users: dict[str, str] = {}
    name = ""
    for line in printed.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "User name":
            name = value.strip()
        elif key.strip() == "Group-name" and name:
            users[name] = value.strip()
    return users


def settle(os: str, running: str, intended: str, proof: Proof, hidden_output: str | None = "") -> str:
    """`running` with every secret line proven equal to its intended line spelled as intended, and
    the hidden lines proven held added.  `hidden_output` None: not read (a saved configuration), so a
    hidden line is proven by the ledger alone."""
    forms = FORMS.get(os)
    if forms is None:
        return running
    wanted: dict[str, str] = {}
    hidden: list[tuple[str, str, str, str]] = []
    for line in intended.splitlines():
        if not _HINT.search(line):
            continue
        for pattern in forms.printed:
            found = pattern.match(line)
            if found is not None and not found["kind"]:
                wanted[" ".join(found["lead"].split())] = line
        if forms.hidden is not None and (found := forms.hidden.match(line)) is not None:
            hidden.append((line, found["lead"], found["name"], found["group"]))
    out = []
    for line in running.splitlines():
        if _HINT.search(line):
            line = _proven(forms, line, wanted, proof)
        out.append(line)
    users = snmp_users(hidden_output) if hidden_output is not None else None
    for line, lead, name, group in hidden:
        if (users is None or users.get(name) == group) and proof(lead, None, "", line[len(lead):].strip()):
            out.append(line)
    return "\n".join(out) + "\n"


def _proven(forms: SecretLines, line: str, wanted: dict[str, str], proof: Proof) -> str:
    for pattern in forms.printed:
        found = pattern.match(line)
        if found is None:
            continue
        slot = " ".join(found["lead"].split())
        target = wanted.get(slot)
        if target is None:
            return line
        secret = pattern.match(target)
        assert secret is not None
        if proof(slot, found["kind"] or None, found["value"], secret["value"]):
            return line[: len(line) - len(line.lstrip())] + target.strip()
        return line
    return line
