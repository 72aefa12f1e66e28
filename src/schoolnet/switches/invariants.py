"""What no remediation may do to a switch, checked on every remediation before a line is typed.

compliance.py computes what to type; this module is the second pair of eyes, written apart from it,
that the push (and `plan`, and the tests over the corpus of real printouts) calls on the result.
A remediation that breaks one of these is refused whole, naming the line and the invariant:

- SN-MGMT: the management path stays: the login user, its SSH service, AAA, the VTY lines 0-4
  schoolnet logs in on, the management VLAN (its interface, address, VLAN) and the default route
  (a new one before the old goes), IOS-XE's management VRF and port;
- SN-ORDER: login works at every step: IOS's `aaa new-model` before any other `aaa` or `login
  authentication` line, and a user added before one is removed;
- SN-BUILTIN: the switch's own objects and defaults (VRP's default schemes and domains, NTP's
  server switch, the console and other VTY lines, NULL0, MEth, VLAN 1) are never negated;
- SN-OWNED: only a line the switch holds is negated, and no negation the switch printed
  (`no ip proxy-arp`, `undo ntp-service …`) is typed back on unless the build says so;
- SN-SECRET: no negation carries a secret (`no password 7 …`, `undo … cipher $1c$…`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from schoolnet.switches.masking import mask_credentials


@dataclass(frozen=True)
class Breach:
    number: int  # 1-based, in the remediation
    line: str
    invariant: str  # its code and what it protects

    def __str__(self) -> str:
        return f"line {self.number} `{self.line}` breaks {self.invariant}"


MGMT = "SN-MGMT (never remove or change the management path)"
ORDER = "SN-ORDER (login must work at every step)"
BUILTIN = "SN-BUILTIN (the switch's own objects and defaults are not schoolnet's)"
OWNED = "SN-OWNED (only lines the switch holds are negated; hardening is never undone)"
SECRET = "SN-SECRET (no negation carries a secret)"


@dataclass(frozen=True)
class _Os:
    negation: str
    leave: str
    section: re.Pattern[str]   # a line that enters a section
    built_in: re.Pattern[str]  # (path + line, without the negation) the switch's own
    user: re.Pattern[str]      # adds or changes a user; group 1 the name
    user_gone: re.Pattern[str]  # removes a user entirely (negation stripped); group 1 the name
    cuts: tuple[re.Pattern[str], ...]  # (path + line, negation kept) lines that cut the login path; {user} filled
    lists: re.Pattern[str]     # a VLAN-list command (positive), its words without the ids in group 0


_OSES = {
    "huawei-vrp": _Os(
        "undo ", "quit",
        section=re.compile(r"^(?:interface \S+|vlan \d+|aaa|user-interface .+|domain \S+|"
                           r"(?:authentication|authorization|accounting)-scheme \S+)$"),
        built_in=re.compile(r"^(?:aaa / )?(?:(?:authentication|authorization|accounting)-scheme (?:default|radius)"
                            r"|domain default(?:_admin)?|local-aaa-user password policy"
                            r"|user-interface (?:con|vty (?!0 4(?:$| /)))"
                            r"|interface (?:NULL0|MEth\S*|Vlanif1)$|ntp-service (?:ipv6 )?server disable"
                            r"|snmp-agent protocol source-status|http server-source|ssh server-source|ops$"
                            r"|(?:authentication|dot1x-access|mac-access|portal-access)-profile|drop-profile default"
                            r"|diffserv domain default|radius-server template default|pki realm default"
                            r"|free-rule-template name default)"),
        user=re.compile(r"^aaa / local-user (?!password |policy )(\S+) password "),
        user_gone=re.compile(r"^aaa / local-user (\S+)$"),
        cuts=(re.compile(r"^aaa / undo local-user {user}(?: |$)"), re.compile(r"^undo ssh user {user}(?: |$)"),
              re.compile(r"^undo stelnet server enable"),
              re.compile(r"^aaa / local-user {user} service-type (?!.*\b(?:ssh|stelnet)\b)"),
              re.compile(r"^aaa / local-user {user} privilege level (?!15$)"),
              re.compile(r"^aaa / local-user {user} state block"),
              re.compile(r"^ssh user {user} service-type (?!.*\b(?:stelnet|all)\b)"),
              re.compile(r"^user-interface vty 0 4 / (?:undo (?:protocol inbound|authentication-mode)|"
                         r"protocol inbound (?!ssh|all)|authentication-mode (?!aaa))"),
              re.compile(r"^undo user-interface vty 0 4"),
              re.compile(r"^interface Vlanif{mgmt} / (?:undo ip address|ip address|shutdown)"),
              re.compile(r"^undo interface Vlanif{mgmt}$"),
              re.compile(r"^undo vlan batch .*\b{mgmt}\b"), re.compile(r"^undo vlan {mgmt}$")),
        lists=re.compile(r"^(?:vlan batch|port trunk allow-pass vlan|port hybrid (?:un)?tagged vlan)(?= )")),
    "cisco-ios": _Os(
        "no ", "exit",
        section=re.compile(r"^(?:interface \S+|vlan \d+|line .+|vrf definition \S+)$"),
        built_in=re.compile(r"^(?:interface Vlan1$|line (?:con|aux|vty (?!0 4(?:$| /)))|vrf definition Mgmt-vrf"
                            r"|interface GigabitEthernet0/0$|spanning-tree extend system-id"
                            r"|vlan internal allocation|boot-(?:start|end)-marker|switch \d+ provision)"),
        user=re.compile(r"^username (\S+) "),
        user_gone=re.compile(r"^username (\S+)$"),
        cuts=(re.compile(r"^no username {user}(?: |$)"), re.compile(r"^no aaa new-model"),
              re.compile(r"^no aaa authentication login default"), re.compile(r"^no ip ssh version"),
              re.compile(r"^username {user} privilege (?!15 )"),
              re.compile(r"^line vty 0 4 / (?:no transport input|transport input (?!.*\b(?:ssh|all)\b))"),
              re.compile(r"^no line vty 0 4"),
              re.compile(r"^interface Vlan{mgmt} / (?:no ip address|ip address|shutdown)"),
              re.compile(r"^no interface Vlan{mgmt}$"), re.compile(r"^no vlan {mgmt}$"),
              re.compile(r"^no ip default-gateway"), re.compile(r"^no vrf definition Mgmt-vrf"),
              re.compile(r"^interface GigabitEthernet0/0 / ")),
        lists=re.compile(r"^switchport trunk allowed vlan(?= )")),
}


def _entered(os: _Os, remediation: Sequence[str], index: int) -> bool:
    """Whether the section header at `index` is entered: its lines follow, closed by a leave before any
    other header at its level (an IOS `vlan 50` alone creates the VLAN and is left by the next line)."""
    depth = 0
    for line in remediation[index + 1:]:
        if line == os.leave:
            if depth == 0:
                return True
            depth -= 1
        elif os.section.match(line) and not line.startswith(os.negation):
            if depth == 0 and os.section.match(remediation[index]) and _top(line):
                return False
            depth += 1
    return False


def _top(line: str) -> bool:
    """A header only ever typed at the top level."""
    return line.startswith(("interface ", "vlan ", "aaa", "user-interface ", "line ", "vrf definition "))


def _paths(os: _Os, remediation: Sequence[str]) -> list[str]:
    """Each line of the remediation with the sections it is typed in: `aaa / local-user …`; "" for a leave."""
    stack: list[str] = []
    out: list[str] = []
    for index, line in enumerate(remediation):
        if line == os.leave:
            if stack:
                stack.pop()
            out.append("")
            continue
        out.append(" / ".join([*stack, line]))
        if os.section.match(line) and not line.startswith(os.negation) and _entered(os, remediation, index):
            stack.append(line)
    return out


def _held(os: _Os, running: str) -> set[str]:
    """Every line of the running configuration with its section path, as _paths spells it."""
    held: set[str] = set()
    stack: list[tuple[int, str]] = []
    for raw in running.splitlines():
        body = raw.strip()
        if not body or body[0] in "#!":
            continue
        depth = len(raw) - len(raw.lstrip())
        while stack and stack[-1][0] >= depth:
            stack.pop()
        path = " / ".join([*(text for _, text in stack), " ".join(body.split())])
        held.add(path)
        stack.append((depth, " ".join(body.split())))
    return held


def _management_vlans(os: _Os, running: str) -> set[str]:
    """The VLANs whose interface has an address: the switch is managed over them."""
    interface = "Vlanif" if os.negation == "undo " else "Vlan"
    found: set[str] = set()
    current = ""
    for raw in running.splitlines():
        body = raw.strip()
        if not raw.startswith(" "):
            match = re.match(rf"^interface {interface}(\d+)$", body)
            current = match[1] if match and match[1] != "1" else ""
        elif current and body.startswith("ip address "):
            found.add(current)
    return found


def _line_breach(os: _Os, line: str, path: str, where: str, held: set[str], wanted: set[str],
                 cuts: list[re.Pattern[str]]) -> str:
    """The invariant one line breaks on its own, or ""."""
    positive = line.removeprefix(os.negation)
    if any(c.search(path) for c in cuts):
        return MGMT
    if not line.startswith(os.negation):  # typing back a setting the switch printed negated (hardening)
        return OWNED if (where + os.negation + line) in held and (where + line) not in wanted else ""
    if os.built_in.match(where + positive):
        return BUILTIN
    if mask_credentials(line) != line:
        return SECRET
    if where and where.removesuffix(" / ") not in wanted:
        return OWNED  # inside a section the build does not name
    listed = os.lists.match(positive)  # a VLAN list is a set: `3580 3581` removes from `3580 to 3581`
    stem = where + (listed[0] if listed else positive)
    if (where + line) not in wanted and not any(h == stem or h.startswith(stem + " ") for h in held):
        return OWNED
    return ""


def check(platform: str, remediation: Sequence[str], running: str, intended: str, login_user: str) -> list[Breach]:
    """Every breach of the invariants by `remediation` (what would be typed, in order) on a switch whose
    running configuration is `running`, to make it `intended`, logged in as `login_user`."""
    os = _OSES[platform]
    paths = _paths(os, remediation)
    held, wanted = _held(os, running), _held(os, intended)
    vlans = _management_vlans(os, running)
    cuts = [re.compile(c.pattern.replace("{user}", re.escape(login_user)).replace("{mgmt}", vlan))
            for c in os.cuts for vlan in (vlans or {"(?!)"})]
    breaches: list[Breach] = []
    held_users = {m[1] for h in held if (m := os.user.match(h))}
    aaa_on = "aaa new-model" in held
    routes_added = 0
    for number, (line, path) in enumerate(zip(remediation, paths, strict=True), 1):
        if not path:
            continue
        where = path[: len(path) - len(line)]
        positive = line.removeprefix(os.negation)
        negated = line.startswith(os.negation)
        invariant = _line_breach(os, line, path, where, held, wanted, cuts)
        if invariant:
            breaches.append(Breach(number, line, invariant))
        if platform == "cisco-ios":
            if line == "aaa new-model":
                aaa_on = True
            elif not aaa_on and (line.startswith("aaa ") or positive.startswith("login authentication")):
                breaches.append(Breach(number, line, ORDER))
        gone = os.user_gone.match((where + positive) if negated else "")
        if gone is not None and any((m := os.user.match(p)) and m[1] not in held_users for p in paths[number:]):
            breaches.append(Breach(number, line, ORDER))  # a user goes before the new one exists
        if re.match(r"^ip route-static 0\.0\.0\.0 0\.0\.0\.0 ", line):
            routes_added += 1
        elif re.match(r"^undo ip route-static 0\.0\.0\.0 0\.0\.0\.0 ", line) and not routes_added:
            breaches.append(Breach(number, line, MGMT))
    return breaches
