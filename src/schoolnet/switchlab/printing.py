"""How a real switch prints what it was typed, where that is not what it was typed.

- Secrets are stored one-way: VRP prints `local-user NAME password irreversible-cipher $1c$…$`
  whatever was typed after `password` (`cipher`, `irreversible-cipher` with plain text), and SNMP
  keys as `cipher %^%#…%^%#`; IOS (15.x) prints `username NAME … secret 5 $1$SALT$HASH` for a secret
  typed in plain text.  A hash typed back (a saved configuration booted) is kept as it is.
- IOS never prints `snmp-server user` lines; `show snmp user` names the users.
- IOS in VTP server mode (its default) keeps VLANs 1-1005 in vlan.dat and prints no `vlan N` lines;
  in transparent mode it prints them.
- IOS refuses an interface address that is the prefix's network or broadcast address
  (`% Bad mask /30 for address 172.20.100.96`) or whose prefix overlaps another interface's
  (`% 10.0.0.0 overlaps with Vlan100`).

Sources for each: docs/switches.md, "How the emulator prints"."""

from __future__ import annotations

import ipaddress
import re
import secrets
import string

from schoolnet.switches.hashes import ios_secret

# Characters seen inside VRP's printed ciphers (public printouts): letters, digits, punctuation; never a
# space, never `?` (VRP's help key) and, inside `$1c$…$`, never `$`.
_VRP_CHARACTERS = string.ascii_letters + string.digits + "!\"#%&'()*+,-./:;<=>@[\\]^_`{|}~"

_VRP_HASHED = re.compile(r"^(?:\$1[a-z]\$\S+\$|%@%@.*%@%@|%\^%#.*%\^%#|%\$%\$.*%\$%\$)$")
_VRP_USER_PASSWORD = re.compile(r"^(?P<lead>local-user \S+ password) (?:irreversible-cipher|cipher) (?P<value>\S+)$")
_VRP_SNMP_KEY = re.compile(r"^(?P<lead>snmp-agent usm-user v3 \S+ (?:authentication|privacy)-mode \S+ cipher) "
                           r"(?P<value>\S+)$")
_IOS_SECRET = re.compile(r"^(?P<lead>username \S+ (?:privilege \d+ )?secret) (?:0 )?(?P<value>\S+)$")
IOS_SNMP_USER = re.compile(r"^snmp-server user (?P<name>\S+) (?P<group>\S+) v3\b(?P<rest>.*)$")


def _random(length: int, alphabet: str, forbidden: str = "") -> str:
    while True:
        text = "".join(secrets.choice(alphabet) for _ in range(length))
        if not forbidden or forbidden not in text:
            return text


def vrp_irreversible() -> str:
    """`$1c$`, a 10-character salt, `$`, 40 characters, `$`: 56 in all, as V200R021/R022 print."""
    characters = _VRP_CHARACTERS.replace("$", "")
    return f"$1c${_random(10, characters)}${_random(40, characters)}$"


def vrp_reversible() -> str:
    """`%^%#`, 80 characters, `%^%#`: an SNMP key or community as V200R021/R022 print it."""
    return f"%^%#{_random(80, _VRP_CHARACTERS, '%^%#')}%^%#"


def as_stored(platform: str, text: str) -> str:
    """The line as the switch prints it back: a secret typed in plain text hashed or enciphered."""
    if platform == "huawei-vrp":
        if (found := _VRP_USER_PASSWORD.match(text)) is not None:
            if _VRP_HASHED.match(found["value"]):
                return text
            return f"{found['lead']} irreversible-cipher {vrp_irreversible()}"
        if (found := _VRP_SNMP_KEY.match(text)) is not None and not _VRP_HASHED.match(found["value"]):
            return f"{found['lead']} {vrp_reversible()}"
        return text
    if (found := _IOS_SECRET.match(text)) is not None and not re.match(r"^\d ", text[len(found["lead"]) + 1:]):
        return f"{found['lead']} 5 {ios_secret(found['value'], 5)}"
    return text


_LOGIN = {"huawei-vrp": re.compile(r"^local-user (?!password |policy )(?P<user>\S+) password "
                                  r"(?:irreversible-cipher|cipher) (?P<value>\S+)$"),
          "cisco-ios": re.compile(r"^username (?P<user>\S+) (?:privilege \d+ )?(?:secret|password) (?:0 )?"
                                  r"(?P<value>(?!\d \S)\S+)$")}
_GONE = {"huawei-vrp": re.compile(r"^local-user (?P<user>\S+)$"), "cisco-ios": re.compile(r"^username (?P<user>\S+)$")}


def login_set(platform: str, text: str) -> tuple[str, str] | None:
    """(user, password) when `text` gives a local user a password in plain text: the switch logs them in
    with it from then on."""
    found = _LOGIN[platform].match(text)
    if found is None or (platform == "huawei-vrp" and _VRP_HASHED.match(found["value"])):
        return None
    return found["user"], found["value"]


def login_removed(platform: str, text: str) -> str | None:
    """The user an `undo local-user X` / `no username X` (negation stripped) removes."""
    found = _GONE[platform].match(text)
    return found["user"] if found else None


def snmp_user_table(lines: list[str]) -> list[str]:
    """IOS `show snmp user` for the `snmp-server user … v3 …` lines held (ntc-templates' capture layout)."""
    out: list[str] = []
    for line in lines:
        found = IOS_SNMP_USER.match(line)
        if found is None:
            continue
        words = found["rest"].split()
        auth = words[words.index("auth") + 1].upper() if "auth" in words else "None"
        privacy = "None"
        if "priv" in words:
            at = words.index("priv")
            cipher = words[at + 1].upper()
            privacy = cipher + words[at + 2] if cipher == "AES" and words[at + 2].isdigit() else cipher
        out += ["", f"User name: {found['name']}", "Engine ID: 800000090300AABBCC000100",
                "storage-type: nonvolatile        active", f"Authentication Protocol: {auth}",
                f"Privacy Protocol: {privacy}", f"Group-name: {found['group']}"]
    return out


def ios_address_refusal(address: str, mask: str, others: dict[str, str]) -> str:
    """IOS's refusal of `ip address ADDRESS MASK` on an interface, or "" when it takes it.  `others`:
    the other interfaces' addresses (`name -> "address mask"`)."""
    try:
        interface = ipaddress.ip_interface(f"{address}/{mask}")
    except ValueError:
        return ""
    network = interface.network
    if network.prefixlen < 31 and interface.ip in (network.network_address, network.broadcast_address):
        return f"% Bad mask /{network.prefixlen} for address {address}"
    for name, other in others.items():
        theirs = ipaddress.ip_interface("/".join(other.split()[:2])).network
        if theirs.overlaps(network):
            return f"% {network.network_address} overlaps with {name}"
    return ""
