"""The lab switch's command line: Huawei VRP and Cisco IOS as a pure state machine.

Real switch images cannot run in the lab, and a fake that answers with canned text keeps no
state, so an audit could never see what a push changed.  This is the vendor's command line
only (prompts, paging, configuration views, `undo`/`no`, save) over a running configuration
that every accepted command changes; there is no data plane.  Nothing here does I/O:
`Session.feed` takes what the user typed and returns what the switch prints, and a save calls
the function the device was given, so the command line is tested without SSH and served over
SSH by `switchlab.server`.

Which lines a switch accepts is a small grammar per platform and view (`GRAMMARS`): each rule
is the words of one command, where `|` splits the words that name a setting from its value,
so that `port default vlan 30` replaces `port default vlan 20` while two `ntp-service
unicast-server` lines live side by side.  What a real switch normalises, this one does too:
VLAN lists are kept as sets and printed sorted, VLAN and interface sections sorted by number.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from schoolnet.switchlab import observed as observation
from schoolnet.switchlab.factory import DEFAULT_PORTS, built_in, expand_ports
from schoolnet.switchlab.observed import VRP_VERSION, Observed
from schoolnet.switchlab.printing import (
    IOS_SNMP_USER,
    as_stored,
    ios_address_refusal,
    login_removed,
    login_set,
    snmp_user_table,
)

VRP = "huawei-vrp"
IOS = "cisco-ios"
PLATFORMS = (VRP, IOS)
PAGE = 24  # lines per page until paging is turned off, as on a fresh VTY of either vendor

VRP_MORE = "  ---- More ----"
IOS_MORE = " --More-- "
# What follows a key at the pager's marker: the cursor moved back over it and the marker blanked out.
VRP_ERASE = f"\x1b[{len(VRP_MORE)}D{' ' * len(VRP_MORE)}\x1b[{len(VRP_MORE)}D"
IOS_ERASE = "\b" * len(IOS_MORE) + " " * len(IOS_MORE) + "\b" * len(IOS_MORE)

VRP_SAVE_QUESTION = "Warning: The current configuration will be written to the device. Continue? [Y/N]:"
IOS_COPY_QUESTION = "Destination filename [startup-config]? "

ERRORS = {
    VRP: {"unknown": "Error: Unrecognized command found at '^' position.",
          "wrong": "Error: Wrong parameter found at '^' position.",
          "incomplete": "Error: Incomplete command found at '^' position.",
          "toomany": "Error: Too many parameters found at '^' position.",
          "ambiguous": "Error: Ambiguous command found at '^' position."},
    IOS: {"unknown": "% Invalid input detected at '^' marker.",
          "wrong": "% Invalid input detected at '^' marker.",
          "incomplete": "% Incomplete command.",
          "toomany": "% Invalid input detected at '^' marker.",
          "ambiguous": "% Ambiguous command:  \"{line}\""},
}


@dataclass(frozen=True)
class Rule:
    """One command a view accepts: its words, how many of them name the setting (a line with the
    same name replaces it), and what it does when it is not a plain line."""

    words: tuple[str, ...]  # literal, (one|of|these), or a <value>
    key_length: int
    kind: str  # lines of one kind stay together, and a new one joins them
    opens: str = ""  # the view this line opens (a section: `interface X`, `vlan 10`, `aaa`)
    view: str = ""  # the view's name in the prompt, formatted with the line's words
    action: str = ""  # a handler, for what is not a plain line or section
    removable: bool = False  # a section `undo`/`no` may delete
    default_on: bool = False  # on unless said otherwise: `no X` is itself kept as a line


def rule(pattern: str, *, opens: str = "", view: str = "", action: str = "", kind: str = "",
         removable: bool = False, default_on: bool = False) -> Rule:
    head, bar, tail = pattern.partition(" | ")
    words = tuple(f"{head} {tail}".split()) if bar else tuple(pattern.split())
    key_length = len(head.split()) if bar else len(words)
    if not kind:
        kind = " ".join(words[:2]) if words[0] in ("ip", "undo", "no") and len(words) > 1 else words[0]
    return Rule(words, key_length, kind, opens, view, action, removable, default_on)


GRAMMARS: dict[str, dict[str, tuple[Rule, ...]]] = {
    VRP: {
        "system": (
            rule("sysname | <word>"),
            rule("clock timezone | <word> (add|minus) <time>"),
            rule("vlan batch <vlans>", action="vlan-batch", kind="vlan batch"),
            rule("vlan <vid>", opens="vlan", view="vlan{1}", action="vlan", removable=True),
            rule("aaa", opens="aaa", view="aaa"),
            rule("interface <ifname>", opens="interface", view="{1}", removable=True),
            rule("ip route-static <ip> <mask> <ip>"),
            rule("snmp-agent"),
            rule("snmp-agent sys-info version | (v1|v2c|v3|all)"),
            rule("snmp-agent sys-info contact | <text>"),
            rule("snmp-agent sys-info location | <text>"),
            rule("snmp-agent group v3 <word> | (privacy|authentication|noauthentication)"),
            rule("snmp-agent usm-user v3 <word> group | <word>"),
            rule("snmp-agent usm-user v3 <word> authentication-mode | (md5|sha|sha2-256|sha2-384|sha2-512) cipher"
                 " <word>"),
            rule("snmp-agent usm-user v3 <word> privacy-mode | (des56|3des|aes128|aes192|aes256) cipher <word>"),
            rule("ntp-service unicast-server <ip>"),
            rule("stelnet server enable"),
            rule("telnet server enable"),
            rule("ssh user <word>"),
            rule("ssh user <word> authentication-type | (password|rsa|ecc|password-rsa|password-ecc|all)"),
            rule("ssh user <word> service-type | (stelnet|sftp|snetconf|all)"),
            rule("stp mode | (stp|rstp|mstp)"),
            rule("lldp enable"),
            rule("dhcp enable"),
            rule("user-interface vty <n> <n>", opens="user-interface", view="ui-vty{2}-{3}"),
            rule("user-interface con <n>", opens="user-interface", view="ui-console{2}"),
        ),
        "vlan": (rule("description | <text>"), rule("name | <word>")),
        "aaa": (
            rule("local-user <word> password | (irreversible-cipher|cipher) <text>"),
            rule("local-user <word> privilege level | <n>"),
            rule("local-user <word> service-type | <text>"),
            rule("authentication-scheme <word>", opens="authen", view="authen-{1}", removable=True),
        ),
        "authen": (rule("authentication-mode | <text>"),),
        "interface": (
            rule("description | <text>"),
            rule("port link-type | (access|trunk|hybrid)"),
            rule("port default vlan | <vid>"),
            rule("port trunk allow-pass vlan <vlans>", action="vrp-trunk", kind="port"),
            rule("port trunk allow-pass vlan all", action="vrp-trunk", kind="port"),
            rule("port trunk pvid vlan | <vid>"),
            rule("stp edged-port | (enable|disable)"),
            rule("ip address | <ip> <mask>"),
            rule("shutdown"),
        ),
        "user-interface": (
            rule("authentication-mode | (aaa|password|none)"),
            rule("protocol inbound | (ssh|telnet|all)"),
            rule("idle-timeout | <n>"),
            rule("idle-timeout | <n> <n>"),
            rule("user privilege level | <n>"),
        ),
    },
    IOS: {
        "system": (
            rule("version <word>", action="ignore"),  # the first line of every IOS configuration
            rule("hostname | <word>"),
            rule("service password-encryption"),
            rule("service pad", default_on=True),
            rule("ip http server", default_on=True),
            rule("ip http secure-server", default_on=True),
            rule("ip domain name | <word>"),
            rule("enable secret | <text>"),
            rule("username <word> | privilege <n> secret <text>"),
            rule("username <word> | secret <text>"),
            rule("username <word> | privilege <n> password <text>"),
            rule("username <word> | password <text>"),
            rule("aaa new-model"),
            rule("aaa authentication login <word> | <text>"),
            rule("aaa authorization exec <word> | <text>"),
            rule("clock timezone | <word> <word>"),
            rule("clock timezone | <word> <word> <word>"),
            rule("vtp mode | (server|client|transparent|off)"),
            rule("spanning-tree mode | (pvst|rapid-pvst|mst)"),
            rule("vlan <vid>", opens="vlan", view="vlan", removable=True),
            rule("interface <ifname>", opens="interface", view="if", removable=True),
            rule("ip default-gateway | <ip>"),
            rule("ip route <ip> <ip> <ip>"),
            rule("snmp-server group <word> v3 | (priv|auth|noauth)"),
            rule("snmp-server user <word> <word> v3 | <text>"),
            rule("snmp-server location | <text>"),
            rule("snmp-server contact | <text>"),
            rule("ntp server <ip>"),
            rule("ip ssh version | (1|2)"),
            rule("line vty <n> <n>", opens="line", view="line"),
            rule("line con <n>", opens="line", view="line"),
        ),
        "vlan": (rule("name | <word>"),),
        "interface": (
            rule("description | <text>"),
            rule("switchport mode | (access|trunk)"),
            rule("switchport access vlan | <vid>"),
            rule("switchport trunk allowed vlan <vlanlist>", action="ios-trunk"),
            rule("switchport trunk allowed vlan (add|remove|except) <vlanlist>", action="ios-trunk"),
            rule("switchport trunk allowed vlan (all|none)", action="ios-trunk"),
            rule("switchport trunk native vlan | <vid>"),
            rule("switchport nonegotiate"),
            rule("spanning-tree portfast"),
            rule("spanning-tree portfast | edge"),
            rule("spanning-tree bpduguard | (enable|disable)"),
            rule("ip address | <ip> <mask>"),
            rule("shutdown"),
        ),
        "line": (
            rule("transport input | <text>"),
            rule("login authentication | <word>"),
            rule("login"),
            rule("login | local"),
            rule("exec-timeout | <n> <n>"),
            rule("privilege level | <n>"),
            rule("logging synchronous"),
        ),
    },
}

# Kinds of top-level line printed together, with no `#` / `!` between them (any other kind is a block of its own).
BLOCKS = {
    VRP: {"stelnet": "ssh", "telnet": "ssh", "ssh": "ssh"},
    IOS: {"service": "global", "ip http": "global", "ip domain": "global", "username": "aaa", "aaa": "aaa",
          "enable": "aaa", "ip ssh": "line", "line": "line", "boot-start-marker": "boot", "boot-end-marker": "boot"},
}

# the commands that take `| include`
SHOW = ("show-run", "show-run-if", "show-saved", "show-vlan", "show-this", "show-snmp-user", *observation.ACTIONS)

# Commands of the user view (VRP) / privileged EXEC (IOS), and those every configuration view takes.
EXEC_RULES: dict[str, tuple[Rule, ...]] = {
    VRP: (
        rule("display current-configuration", action="show-run"),
        rule("display current-configuration interface <ifname>", action="show-run-if"),
        rule("display saved-configuration", action="show-saved"),
        rule("display version", action="show-version"),
        rule("display vlan", action="show-vlan"),
        rule("display esn", action="show-esn"),
        rule("display lldp neighbor", action="show-lldp"),
        rule("display mac-address", action="show-mac"),
        rule("display interface brief", action="show-interfaces"),
        rule("screen-length <n> temporary", action="paging"),
        rule("undo screen-length temporary", action="paging-default"),
        rule("save", action="save"),
        rule("system-view", action="enter-config"),
        rule("quit", action="close"),
    ),
    IOS: (
        rule("show running-config", action="show-run"),
        rule("show running-config interface <ifname>", action="show-run-if"),
        rule("show startup-config", action="show-saved"),
        rule("show version", action="show-version"),
        rule("show vlan brief", action="show-vlan"),
        rule("show vlan", action="show-vlan"),
        rule("show snmp user", action="show-snmp-user"),
        rule("show lldp neighbors", action="show-lldp"),
        rule("show lldp neighbors detail", action="show-lldp-detail"),
        rule("show mac address-table", action="show-mac"),
        rule("show interfaces status", action="show-interfaces"),
        rule("terminal length <n>", action="paging"),
        rule("terminal no length", action="paging-default"),
        rule("configure terminal", action="enter-config"),
        rule("write memory", action="save"),
        rule("write", action="save"),
        rule("copy running-config startup-config", action="copy"),
        rule("enable", action="ignore"),
        rule("exit", action="close"),
        rule("logout", action="close"),
    ),
}
CONFIG_VIEW_RULES: dict[str, tuple[Rule, ...]] = {
    VRP: (
        *(r for r in EXEC_RULES[VRP] if r.action in SHOW or r.action == "save"),
        rule("display this", action="show-this"),
        rule("quit", action="leave"),
        rule("return", action="end"),
    ),
    IOS: (rule("exit", action="leave"), rule("end", action="end")),  # and `do <exec command>`
}

INTERFACES = {
    VRP: ("GigabitEthernet", "XGigabitEthernet", "MultiGE", "Ethernet", "Eth-Trunk", "Vlanif", "LoopBack", "NULL",
          "MEth"),
    IOS: ("GigabitEthernet", "TenGigabitEthernet", "TwoGigabitEthernet", "FastEthernet", "Port-channel", "Vlan",
          "Loopback"),
}
PHYSICAL = {VRP: ("GigabitEthernet", "XGigabitEthernet", "MultiGE", "Ethernet", "NULL", "MEth"),
            IOS: ("GigabitEthernet", "TenGigabitEthernet", "TwoGigabitEthernet", "FastEthernet")}
SHORT = {"GigabitEthernet": ("GE", "Gi"), "XGigabitEthernet": ("XGE", "Te"), "MultiGE": ("MultiGE", "Mg"),
         "Ethernet": ("Eth", "Eth"), "TenGigabitEthernet": ("XGE", "Te"), "TwoGigabitEthernet": ("MultiGE", "Tw"),
         "FastEthernet": ("Eth", "Fa")}

# "realistic": secrets hashed, lines hidden and defaults printed as the vendor's switches do (the lab's
# switches); "echo": every line printed back as it was typed, on an almost empty factory configuration.
PRINTING = ("realistic", "echo")
FACTORY = {
    VRP: "sysname {name}\n#\ninterface NULL0\n#\nuser-interface con 0\n authentication-mode password\n"
         "user-interface vty 0 4\n#\nreturn\n",
    IOS: "no service pad\nhostname {name}\n!\nline con 0\nline vty 0 4\n!\nend\n",
}

_IP = re.compile(r"(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}")
_TIME = re.compile(r"([01]?\d|2[0-3]):[0-5]\d:[0-5]\d")
_NUMBER = re.compile(r"\d{1,9}")
_IFNAME = re.compile(r"([A-Za-z][A-Za-z-]*?)(\d[\d/.]*)?")
_IFNUMBER = re.compile(r"\d+(/\d+)*(\.\d+)?")
_IOS_VLANS = re.compile(r"\d+(-\d+)?(,\d+(-\d+)?)*")
ALL_VLANS = frozenset(range(1, 4095))


@dataclass(frozen=True)
class Token:
    text: str
    start: int  # offset in the typed line, for the `^` under an error


def tokens(line: str) -> list[Token]:
    return [Token(m.group(), m.start()) for m in re.finditer(r"\S+", line)]


@dataclass(frozen=True)
class Parsed:
    rule: Rule
    words: tuple[str, ...]  # as the switch keeps them: keywords in full, interface names expanded
    exact: int  # keywords typed in full (an abbreviation loses to a full match)
    complete: bool  # False: an `undo`/`no` naming only the first words of a rule
    tokens: tuple[Token, ...] = ()


@dataclass(frozen=True)
class Failure:
    at: int  # index of the token the switch stumbled on
    offset: int  # where the `^` goes
    reason: str  # unknown | wrong | incomplete | toomany | ambiguous | said (the message is the switch's own)
    message: str = ""

    def beats(self, other: Failure | None) -> bool:
        """The error a switch reports is the one that got furthest into the line; at the same word, a
        wrong value before an unknown keyword before a word after a complete command."""
        order = ("toomany", "unknown", "ambiguous", "wrong", "incomplete", "said")
        return other is None or (self.at, order.index(self.reason)) > (other.at, order.index(other.reason))


def vid(word: str) -> int | None:
    return int(word) if _NUMBER.fullmatch(word) and 1 <= int(word) <= 4094 else None


VRP_LIST_ITEMS = 10  # `vlan batch` and `port trunk allow-pass vlan` take ten ids or ranges a line


def vrp_vlans(words: Sequence[str]) -> tuple[set[int], int]:
    """The VLANs of `10 20 30 to 40`, and the index of the first word that is not one (-1: none;
    the index of an eleventh id or range is `len(words)` plus its own)."""
    ids: set[int] = set()
    i = items = 0
    while i < len(words):
        items += 1
        if items > VRP_LIST_ITEMS:
            return ids, len(words) + i
        first = vid(words[i])
        if first is None:
            return ids, i
        if i + 1 < len(words) and words[i + 1].lower() == "to":
            last = vid(words[i + 2]) if i + 2 < len(words) else None
            if last is None or last < first:
                return ids, min(i + 2, len(words) - 1)
            ids.update(range(first, last + 1))
            i += 3
        else:
            ids.add(first)
            i += 1
    return ids, -1


def ios_vlans(text: str) -> set[int] | None:
    """The VLANs of `10,20,30-40`."""
    if not _IOS_VLANS.fullmatch(text):
        return None
    ids: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        first, last = vid(low), vid(high or low)
        if first is None or last is None or last < first:
            return None
        ids.update(range(first, last + 1))
    return ids


def _runs(ids: set[int] | frozenset[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for number in sorted(ids):
        if runs and runs[-1][1] == number - 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return runs


def vrp_list_lines(ids: set[int] | frozenset[int]) -> list[str]:
    """A VRP VLAN list as the switch prints it: ten ids or ranges a line, as it takes them."""
    items = [f"{a} to {b}" if b > a else str(a) for a, b in _runs(ids)]
    return [" ".join(items[i:i + VRP_LIST_ITEMS]) for i in range(0, len(items), VRP_LIST_ITEMS)]


def format_vlans(platform: str, ids: set[int] | frozenset[int]) -> str:
    """Sorted, runs folded as the vendor folds them (VRP `10 to 12`, IOS `10-12` from three on)."""
    runs = _runs(ids)
    if platform == VRP:
        return " ".join(f"{a} to {b}" if b > a else str(a) for a, b in runs)
    parts = []
    for a, b in runs:
        parts += [f"{a}-{b}"] if b - a >= 2 else [str(n) for n in range(a, b + 1)]
    return ",".join(parts)


@dataclass(eq=False)
class Node:
    """A line of the configuration; a section (`interface X`) has child lines."""

    text: str
    key: str  # what names it among its siblings: a line with the same key replaces it
    kind: str
    opens: str = ""
    view: str = ""
    rank: tuple[str, tuple[int, ...]] | None = None  # VLANs and interfaces are kept in number order
    values: frozenset[int] | None = None  # a VLAN list
    children: list[Node] = field(default_factory=list)
    built_in: bool = False  # there before anyone configured the switch: it cannot be removed


@dataclass(frozen=True)
class Confirm:
    """A command that asks first (IOS's `[confirm]`, VRP's `[Y/N]`); `then` does it."""

    question: str
    then: Callable[[], None]


def _interface_rank(name: str) -> tuple[str, tuple[int, ...]]:
    found = _IFNAME.fullmatch(name)
    kind, number = (found.group(1), found.group(2) or "") if found else (name, "")
    return kind, tuple(int(n) for n in re.split(r"[/.]", number) if n)


class Device:
    """One switch: its running configuration, shared by every session (as on a real switch), and
    the saved one.  `persist` is called with the text of the configuration on `save`."""

    def __init__(self, platform: str, hostname: str, config: str | None = None, *,
                 persist: Callable[[str], None] | None = None, reject: Sequence[str] = (),
                 now: Callable[[], datetime] | None = None, printing: str = "realistic",
                 ports: Sequence[str] = (), serial: str = "", model: str = "",
                 observed: Callable[[], Observed] | None = None) -> None:
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}: expected one of {', '.join(PLATFORMS)}")
        self.platform = platform
        self.vrp = platform == VRP
        self.default_hostname = hostname
        self.grammar = GRAMMARS[platform]
        self.persist = persist
        self.reject = [re.compile(pattern) for pattern in reject]
        self.now = now or (lambda: datetime.now().astimezone())
        self.started = time.monotonic()
        self.serial = serial or observation.DEFAULT_SERIAL[platform]  # what `display esn` / `show version` say
        self.model = model or observation.DEFAULT_MODEL[platform]
        # what the switch sees on the wire (LLDP neighbours, MACs, links): asked at each command that shows it
        self.observed: Callable[[], Observed] = observed or Observed
        self.lock = threading.RLock()
        self.sessions = 0
        self.root = Node("", "", "", opens="system")
        if printing not in PRINTING:
            raise ValueError(f"unknown printing {printing!r}: expected one of {', '.join(PRINTING)}")
        self.realistic = printing == "realistic"
        self.notes: list[str] = []  # what the last command printed beside being taken (IOS's `% Access VLAN ...`)
        self.logins: dict[str, str] = {}  # local users and the passwords they were given: SSH logins check these
        if self.realistic:  # the lines the switch has before anyone configured it, then the name it ships with
            self._build_in(built_in(platform, expand_ports(list(ports) or list(DEFAULT_PORTS[platform]))))
            factory = f"sysname {hostname}\n" if self.vrp else f"hostname {hostname}\n"
        else:
            factory = FACTORY[platform].format(name=hostname)
        self.problems = self.boot(config if config is not None else factory)
        self.saved: str | None = self.text() if config is not None else None

    # ---- reading and writing configuration text ----

    @property
    def hostname(self) -> str:
        for node in self.root.children:
            if node.key in ("sysname", "hostname"):
                return node.text.split()[1]
        return self.default_hostname

    def _build_in(self, text: str) -> None:
        """The factory's lines: each through the grammar where it takes it, else kept as written; all of
        them built in."""
        levels: list[tuple[int, Node]] = [(-1, self.root)]
        comment = "#" if self.vrp else "!"
        for raw in text.splitlines():
            body = raw.strip()
            if not body or body.startswith(comment):
                continue
            indent = len(raw) - len(raw.lstrip())
            while levels[-1][0] >= indent:
                levels.pop()
            section = levels[-1][1]
            found = tokens(raw)
            negate = found[0].text.lower() == self.negation
            parsed = (self.parse(section.opens, found[1:] if negate else found, raw, negate)
                      if section.opens in self.grammar else Failure(0, 0, "unknown"))
            outcome: Node | Failure | Confirm | None
            if isinstance(parsed, Parsed) and (not negate or parsed.rule.default_on):
                outcome = self.perform(section, parsed, negate)
            else:
                outcome = Failure(0, 0, "unknown")
            if isinstance(outcome, Failure | Confirm):  # kept as written: the switch's own
                key = body.split(None, 1)[1] if negate else body
                outcome = Node(body, key, key.split()[0])
                section.children.append(outcome)
            if isinstance(outcome, Node):
                levels.append((indent, outcome))
        stack = [self.root]
        while stack:
            node = stack.pop()
            node.built_in = node is not self.root
            stack.extend(node.children)

    def boot(self, text: str) -> list[str]:
        """Load a configuration file as the switch does at start: each line a command in the view its
        indentation says; a line the switch does not take is skipped and named in the result."""
        comments = ("#", "!") if self.vrp else ("!",)
        closing = "return" if self.vrp else "end"
        problems: list[str] = []
        levels: list[tuple[int, Node]] = [(-1, self.root)]
        for number, raw in enumerate(text.splitlines(), 1):
            body = raw.strip()
            indent = len(raw) - len(raw.lstrip())
            if not body:
                continue
            if body.startswith(comments):
                continue
            if indent == 0 and body == closing:
                break
            while levels[-1][0] >= indent:
                levels.pop()
            section = levels[-1][1]
            own = next((c for c in section.children if c.built_in and c.text == body), None)
            if own is not None:  # the switch's own line, printed back in a saved configuration
                levels.append((indent, own))
                continue
            found = tokens(raw)
            negate = found[0].text.lower() == self.negation
            parsed = self.parse(section.opens, found[1:] if negate else found, raw, negate)
            outcome = parsed if isinstance(parsed, Failure) else self.perform(section, parsed, negate)
            if isinstance(outcome, Confirm):  # a configuration file answers yes to every question
                outcome.then()
            elif isinstance(outcome, Failure):
                said = outcome.message or ERRORS[self.platform][outcome.reason].format(line=body)
                problems.append(f"line {number} {body!r}: {said}")
            elif isinstance(outcome, Node):
                levels.append((indent, outcome))
        self.notes.clear()
        return problems

    @property
    def negation(self) -> str:
        return "undo" if self.vrp else "no"

    def hidden(self, node: Node) -> bool:
        """A line the switch holds and does not print: IOS's SNMPv3 users, and its VLANs in VTP server mode
        (they live in vlan.dat)."""
        if not self.realistic or self.vrp:
            return False
        if node.text.startswith("snmp-server user "):
            return True
        return node.opens == "vlan" and not any(c.text in ("vtp mode transparent", "vtp mode off")
                                                 for c in self.root.children)

    def config_lines(self, nodes: Sequence[Node] | None = None, saving: bool = False) -> list[str]:
        """The top-level lines (or `nodes`) in the vendor's layout, without its header and end.  `saving`:
        with the lines the switch keeps and does not print (the emulator's one file holds them)."""
        separator = "#" if self.vrp else "!"
        out: list[str] = []
        previous: Node | None = None
        for node in self.root.children if nodes is None else nodes:
            if self.vrp and node.opens == "vlan" and not node.children:
                continue  # VRP lists a VLAN with nothing set in `vlan batch` only
            if not saving and self.hidden(node):
                continue
            if previous is not None and (self._block(previous) != self._block(node) or previous.opens or
                                         (self.vrp and node.opens)):
                out.append(separator)
            out.extend(self._texts(node))
            self._children(node, 1, out)
            previous = node
        return out

    def _texts(self, node: Node) -> list[str]:
        """The printed line(s) of a node: a long VRP VLAN list takes several lines, each one the switch
        would take back."""
        if not self.vrp or node.values is None:
            return [node.text]
        return [f"{node.key} {part}" for part in vrp_list_lines(node.values)]

    def _block(self, node: Node) -> str:
        """Top-level lines of one block are printed without a separator between them."""
        return BLOCKS[self.platform].get(node.kind, node.kind)

    def _children(self, node: Node, depth: int, out: list[str]) -> None:
        for child in node.children:
            out.extend(" " * depth + text for text in self._texts(child))
            self._children(child, depth + 1, out)

    def body(self, nodes: Sequence[Node] | None = None, saving: bool = False) -> list[str]:
        """The configuration as the switch prints it (`saving`: as the emulator saves it)."""
        lines = self.config_lines(nodes, saving)
        if self.vrp:
            header = [f"!Software Version {VRP_VERSION}", "#"] if nodes is None else ["#"]
            return [*header, *lines, *(["#"] if lines else []), "return"]
        if nodes is not None:
            return ["!", *lines, "end"]
        return ["!", "version 15.2", "!", *lines, "!", "end"]

    def text(self) -> str:
        return "\n".join(self.body(saving=True)) + "\n"

    def save(self) -> None:
        with self.lock:
            text = self.text()
            if self.persist is not None:
                self.persist(text)
            self.saved = text

    # ---- parsing one command ----

    def parse(self, view: str, found: Sequence[Token], line: str, partial: bool = False,
              extra: Sequence[Rule] = ()) -> Parsed | Failure:
        """The rule of `view` (or of `extra`) that `found` spells; `partial`: an undo/no may name only
        a rule's first words."""
        if not found:
            return Failure(0, len(line.rstrip()) + 1, "incomplete")
        matches: list[Parsed] = []
        failure: Failure | None = None
        for candidate in (*extra, *self.grammar.get(view, ())):
            result = self._match(candidate, found, line, partial)
            if isinstance(result, Parsed):
                matches.append(result)
            elif result.beats(failure):
                failure = result
        if not matches:
            assert failure is not None
            return failure
        complete = [m for m in matches if m.complete] or matches
        best = max(m.exact for m in complete)
        chosen = [m for m in complete if m.exact == best]
        if len({m.words for m in chosen}) > 1:
            return Failure(len(found) - 1, found[-1].start, "ambiguous")
        return chosen[0]

    def _match(self, candidate: Rule, found: Sequence[Token], line: str, partial: bool) -> Parsed | Failure:
        words: list[str] = []
        exact = 0
        j = 0
        for spec in candidate.words:
            if j >= len(found):
                if partial:
                    return Parsed(candidate, tuple(words), exact, False, tuple(found))
                return Failure(j, len(line.rstrip()) + 1, "incomplete")
            token = found[j]
            if spec.startswith("<"):
                value, used = self._value(spec, found, j, line)
                if value is None:
                    if j + used >= len(found):  # a list of more items than the command takes
                        at = j + used - len(found) + j
                        return Failure(at, found[at].start, "toomany")
                    return Failure(j + used, found[j + used].start, "wrong")
                words.append(value)
                j += used
                continue
            choices = spec.strip("()").split("|")
            typed = token.text.lower()
            hits = [typed] if typed in choices else [c for c in choices if c.startswith(typed)]
            if len(hits) != 1:
                return Failure(j, token.start, "ambiguous" if hits else "unknown")
            exact += typed == hits[0]
            words.append(hits[0])
            j += 1
        if j < len(found):
            return Failure(j, found[j].start, "toomany")
        return Parsed(candidate, tuple(words), exact, True, tuple(found))

    def _value(self, spec: str, found: Sequence[Token], j: int, line: str) -> tuple[str | None, int]:
        """(the value as kept, tokens it took), or (None, how far past `j` the wrong token is)."""
        word = found[j].text
        if spec == "<word>":
            return word, 1
        if spec == "<text>":
            return line[found[j].start:].rstrip(), len(found) - j
        if spec == "<n>":
            return (str(int(word)), 1) if _NUMBER.fullmatch(word) else (None, 0)
        if spec == "<vid>":
            return (word, 1) if vid(word) else (None, 0)
        if spec == "<ip>":
            return (word, 1) if _IP.fullmatch(word) else (None, 0)
        if spec == "<mask>":
            return (word, 1) if _IP.fullmatch(word) or (word.isdigit() and int(word) <= 32) else (None, 0)
        if spec == "<time>":
            return (word, 1) if _TIME.fullmatch(word) else (None, 0)
        if spec == "<vlans>":
            rest = [t.text for t in found[j:]]
            _, bad = vrp_vlans(rest)
            return (" ".join(rest), len(rest)) if bad < 0 else (None, bad)  # bad past the end: too many
        if spec == "<vlanlist>":
            return (word, 1) if ios_vlans(word) is not None else (None, 0)
        if spec == "<ifname>":
            return self._interface(found, j)
        raise ValueError(f"grammar: unknown value {spec}")

    def _interface(self, found: Sequence[Token], j: int) -> tuple[str | None, int]:
        """`GigabitEthernet0/0/1` from `g0/0/1`, `GigabitEthernet 0/0/1` or `gigabitethernet0/0/1`."""
        parts = _IFNAME.fullmatch(found[j].text)
        if parts is None:
            return None, 0
        typed, number = parts.group(1).lower(), parts.group(2)
        used = 1
        if number is None and j + 1 < len(found) and _IFNUMBER.fullmatch(found[j + 1].text):
            number, used = found[j + 1].text, 2
        names = INTERFACES[self.platform]
        hits = [n for n in names if n.lower() == typed] or [n for n in names if n.lower().startswith(typed)]
        if len(hits) != 1 or number is None or not _IFNUMBER.fullmatch(number):
            return None, 0
        return hits[0] + number, used

    # ---- changing the configuration ----

    def perform(self, section: Node, parsed: Parsed, negate: bool) -> Node | Failure | Confirm | None:
        """Apply one parsed configuration command in `section`: the section it opens, a refusal, a question
        to answer first, or None."""
        if self.realistic:
            asked = self._asks(section, parsed, negate)
            if asked is not None:
                return asked
            refused = self._refuses(section, parsed, negate)
            if refused is not None:
                return refused
        done = self._perform(section, parsed, negate)
        if self.realistic and not isinstance(done, Failure):
            self._track_login(parsed, negate)
        return done

    def _asks(self, section: Node, parsed: Parsed, negate: bool) -> Confirm | None:
        """IOS asks before `no username X` removes a user (IOS-XE 17; Ansible's ios_user answers it); VRP
        before an existing user's privilege level changes."""
        words = parsed.words
        if not self.vrp and negate and words[0] == "username" and len(words) >= 2 and \
                any(c.text.split()[:2] == ["username", words[1]] for c in section.children):
            return Confirm("This operation will remove all username related configurations with same name."
                           "Do you want to continue? [confirm]", lambda: self._then(section, parsed, negate))
        if self.vrp and not negate and words[:1] == ("local-user",) and words[2:4] == ("privilege", "level"):
            current = self._find(section, " ".join(words[:4]))
            if current is not None and current.text != " ".join(words):
                return Confirm("Warning: This operation may affect online users and will change the user privilege "
                               "level, Continue? [Y/N]:", lambda: self._then(section, parsed, negate))
        return None

    def _then(self, section: Node, parsed: Parsed, negate: bool) -> None:
        self._perform(section, parsed, negate)
        self._track_login(parsed, negate)

    def _track_login(self, parsed: Parsed, negate: bool) -> None:
        """A local user's password is what logs them in from now on; a user removed logs in no more."""
        text = " ".join(parsed.words)
        if negate:
            gone = login_removed(self.platform, text)
            if gone is not None:
                self.logins.pop(gone, None)
            return
        given = login_set(self.platform, text)
        if given is not None:
            self.logins[given[0]] = given[1]

    def _refuses(self, section: Node, parsed: Parsed, negate: bool) -> Failure | None:
        """The refusals a real switch makes on meaning, not syntax; and what it says beside a line it takes."""
        words = parsed.words
        if negate and not parsed.rule.default_on and self._built_in_target(section, parsed):
            return Failure(0, parsed.tokens[0].start if parsed.tokens else 0, "wrong")
        if self.vrp or negate:
            return None
        if words[:2] == ("ip", "address") and len(words) == 4 and section.opens == "interface":
            others = {c.text.split()[1]: " ".join(line.text.split()[2:4])
                      for c in self.interfaces() if c is not section
                      for line in c.children if line.text.startswith("ip address ")}
            said = ios_address_refusal(words[2], words[3], others)
            if said:
                return Failure(0, 0, "said", said)
        if words[:3] == ("switchport", "access", "vlan") and int(words[3]) not in self.vlans():
            self.notes.append(f"% Access VLAN does not exist. Creating vlan {words[3]}")
            vlan = Node(f"vlan {words[3]}", f"vlan {words[3]}", "vlan", "vlan", "vlan", ("vlan", (int(words[3]),)))
            self._insert(self.root, vlan)
        return None

    def _built_in_target(self, section: Node, parsed: Parsed) -> bool:
        """Whether an `undo`/`no` would remove something the switch was built with."""
        text = " ".join(parsed.words)
        if parsed.rule.opens:
            existing = self._find(section, text)
            return existing is not None and existing.built_in
        key = " ".join(parsed.words[:parsed.rule.key_length])
        return any(c.built_in and not c.opens and (c.key == key or c.text.split()[:len(parsed.words)] ==
                                                   list(parsed.words)) for c in section.children)

    def _perform(self, section: Node, parsed: Parsed, negate: bool) -> Node | Failure | None:
        rule_, words = parsed.rule, parsed.words
        if not parsed.complete and (rule_.opens or rule_.action not in ("", "ios-trunk")):
            last = parsed.tokens[-1]
            return Failure(len(parsed.tokens), last.start + len(last.text) + 1, "incomplete")
        if rule_.action:
            handlers: dict[str, Callable[[Node, Parsed, bool], None]] = {
                "vlan-batch": self._vlan_batch, "vlan": self._vlan, "vrp-trunk": self._vrp_trunk,
                "ios-trunk": self._ios_trunk, "ignore": self._ignore}
            handlers[rule_.action](section, parsed, negate)
            if not rule_.opens:
                return None
        text = " ".join(words)
        if rule_.opens:
            existing = self._find(section, text)
            if negate:
                if not rule_.removable or (rule_.opens == "interface" and
                                           _interface_rank(words[1])[0] in PHYSICAL[self.platform]):
                    return Failure(1, parsed.tokens[1].start, "wrong")
                if existing is not None:
                    section.children.remove(existing)
                return None
            if existing is None:
                rank = (_interface_rank(words[1]) if rule_.opens == "interface"
                        else ("vlan", (int(words[1]),)) if rule_.opens == "vlan" else None)
                existing = Node(text, text, rule_.kind, rule_.opens, rule_.view.format(*words), rank)
                self._insert(section, existing)
            return existing
        key = " ".join(words[:rule_.key_length])
        if negate and rule_.default_on and parsed.complete:
            self._set(section, Node(f"{self.negation} {text}", key, rule_.kind))
        elif negate and len(words) < rule_.key_length:
            section.children[:] = [c for c in section.children
                                   if c.opens or c.text.split()[:len(words)] != list(words)]
        elif negate:
            section.children[:] = [c for c in section.children if c.key != key or c.opens]
        else:
            if self.realistic:
                text = as_stored(self.platform, text)
                if self.vrp and words[:2] == ("ssh", "user") and len(words) > 3 and \
                        self._find(section, f"ssh user {words[2]}") is None:  # VRP prints the user bare first
                    self._set(section, Node(f"ssh user {words[2]}", f"ssh user {words[2]}", rule_.kind))
            self._set(section, Node(text, key, rule_.kind))
        return None

    def _find(self, section: Node, key: str) -> Node | None:
        return next((c for c in section.children if c.key == key), None)

    def _set(self, section: Node, node: Node) -> None:
        """Replace the line of the same key in place, or add the line."""
        existing = self._find(section, node.key)
        if existing is not None:
            existing.text, existing.values = node.text, node.values
            existing.built_in = False  # a setting changed from the factory's (IOS's `no aaa new-model`)
        else:
            self._insert(section, node)

    def _insert(self, section: Node, node: Node, before: Node | None = None) -> None:
        """Where a switch puts a new line: with the lines of its kind (VLANs and interfaces in number
        order among their like), else with those of its block, else at the end."""
        siblings = section.children
        if before is not None and before in siblings:
            siblings.insert(siblings.index(before), node)
            return
        same = [i for i, c in enumerate(siblings) if c.kind == node.kind]
        near = same or [i for i, c in enumerate(siblings) if self._block(c) == self._block(node)]
        position = near[-1] + 1 if near else len(siblings)
        if node.rank is not None:
            family = [i for i in same if (siblings[i].rank or ("",))[0] == node.rank[0]]
            later = [i for i in family if (siblings[i].rank or node.rank) > node.rank]
            position = later[0] if later else family[-1] + 1 if family else position
        siblings.insert(position, node)

    # VRP keeps its VLANs in one `vlan batch` line and shows a `vlan N` section only when it holds a line.

    def _batch(self) -> set[int]:
        node = self._find(self.root, "vlan batch")
        return set(node.values or ()) if node else set()

    def _set_batch(self, ids: set[int]) -> None:
        node = self._find(self.root, "vlan batch")
        ids.discard(1)  # VLAN 1 always exists
        if not ids:
            if node is not None:
                self.root.children.remove(node)
            return
        text = "vlan batch " + format_vlans(VRP, ids)
        if node is not None:
            node.text, node.values = text, frozenset(ids)
            return
        first_vlan = next((c for c in self.root.children if c.opens == "vlan"), None)
        self._insert(self.root, Node(text, "vlan batch", "vlan batch", values=frozenset(ids)), before=first_vlan)

    def _vlan_batch(self, section: Node, parsed: Parsed, negate: bool) -> None:
        ids, _ = vrp_vlans(parsed.words[2:][0].split())
        if negate:
            self._set_batch(self._batch() - ids)
            self.root.children[:] = [c for c in self.root.children
                                     if not (c.opens == "vlan" and c.rank and c.rank[1][0] in ids)]
        else:
            self._set_batch(self._batch() | ids)

    def _vlan(self, section: Node, parsed: Parsed, negate: bool) -> None:
        """`vlan N` creates VLAN N (into `vlan batch`); the section is then opened or removed as any other."""
        number = int(parsed.words[1])
        self._set_batch(self._batch() - {number} if negate else self._batch() | {number})

    def _vrp_trunk(self, section: Node, parsed: Parsed, negate: bool) -> None:
        """`port trunk allow-pass vlan` adds to the list (`undo` takes away); VLAN 1 is allowed until
        `undo port trunk allow-pass vlan 1`, which the switch then shows as a line of its own."""
        value = parsed.words[4]
        ids = set(range(1, 4095)) if value == "all" else vrp_vlans(value.split())[0]
        key, without_1 = "port trunk allow-pass vlan", "undo port trunk allow-pass vlan 1"
        node, undo_1 = self._find(section, key), self._find(section, without_1)
        current = set(node.values or ()) if node else set()
        current = current - ids if negate else current | ids
        current.discard(1)
        if 1 in ids and negate and undo_1 is None:
            self._insert(section, Node(without_1, without_1, "port"), before=node)
        elif 1 in ids and not negate and undo_1 is not None:
            section.children.remove(undo_1)
        if not current:
            if node is not None:
                section.children.remove(node)
            return
        self._set(section, Node(f"{key} {format_vlans(VRP, current)}", key, "port", values=frozenset(current)))

    def _ios_trunk(self, section: Node, parsed: Parsed, negate: bool) -> None:
        """`switchport trunk allowed vlan` sets the list, `add`/`remove`/`except` change it; all VLANs
        when no line says otherwise."""
        key = "switchport trunk allowed vlan"
        node = self._find(section, key)
        current = set(node.values if node and node.values is not None else ALL_VLANS)
        how = parsed.words[4] if len(parsed.words) > 4 else "all"
        listed = ios_vlans(parsed.words[-1]) or set()
        if negate:
            how = "all"
        new = {"add": current | listed, "remove": current - listed, "except": set(ALL_VLANS) - listed,
               "all": set(ALL_VLANS), "none": set()}.get(how, listed)
        if new == ALL_VLANS:
            if node is not None:
                section.children.remove(node)
            return
        text = f"{key} {format_vlans(IOS, new) if new else 'none'}"
        self._set(section, Node(text, key, "switchport", values=frozenset(new)))

    def _ignore(self, section: Node, parsed: Parsed, negate: bool) -> None:
        return None

    # ---- what the show/display commands print ----

    def interfaces(self) -> list[Node]:
        return [c for c in self.root.children if c.opens == "interface"]

    def vlans(self) -> dict[int, str]:
        """Every VLAN and its name."""
        names = {1: "VLAN 0001" if self.vrp else "default"}
        ids = self._batch() if self.vrp else set()
        for node in self.root.children:
            if node.opens == "vlan" and node.rank:
                ids.add(node.rank[1][0])
        for number in sorted(ids):
            section = self._find(self.root, f"vlan {number}")
            named = [c.text.split(None, 1)[1] for c in (section.children if section else [])
                     if c.key in ("name", "description") and " " in c.text]
            names[number] = named[0] if named else (f"VLAN {number:04d}" if self.vrp else f"VLAN{number:04d}")
        return names

    def _connector(self, name: str) -> bool:
        kind = _interface_rank(name)[0]
        return kind in PHYSICAL[self.platform] and kind != "NULL"

    def physical_ports(self) -> list[str]:
        """The ports with a connector, the management port included: those observed.json may name."""
        return [name for node in self.interfaces() if self._connector(name := node.text.split()[1])]

    def view(self) -> observation.View:
        """What the observation commands print from: the switch's identity, its interfaces as configured, and
        what it sees on the wire now."""
        seen = self.observed()
        ports = []
        for node in self.interfaces():
            name = node.text.split()[1]
            kind = _interface_rank(name)[0]
            lines = {child.key: child.text for child in node.children}
            short = SHORT[kind][0 if self.vrp else 1] + name[len(kind):] if kind in SHORT else name
            trunk = lines.get("port link-type" if self.vrp else "switchport mode", "").endswith("trunk")
            access = lines.get("port default vlan" if self.vrp else "switchport access vlan", "")
            vlan = "trunk" if trunk else access.split()[-1] if access else "1"
            description = lines.get("description", "").partition(" ")[2]
            ports.append(observation.Port(name, short, self._connector(name), "shutdown" in lines, description, vlan))
        minutes = int(time.monotonic() - self.started) // 60
        return observation.View(self.platform, self.hostname, self.model, seen.serial or self.serial, minutes,
                                tuple(ports), seen)

    def ports(self) -> dict[int, list[str]]:
        """The ports of each VLAN: access ports untagged, trunks tagged (VRP marks which)."""
        members: dict[int, list[str]] = {}
        for node in self.interfaces():
            name = node.text.split()[1]
            kind = _interface_rank(name)[0]
            if kind not in SHORT:
                continue
            short = SHORT[kind][0 if self.vrp else 1] + name[len(kind):]
            lines = {c.key: c for c in node.children}
            mode = ("port link-type", "switchport mode")[not self.vrp]
            trunk = mode in lines and lines[mode].text.endswith("trunk")
            if trunk and not self.vrp:
                continue  # `show vlan brief` lists access ports only
            if trunk:
                allowed = set(lines["port trunk allow-pass vlan"].values or ()) if "port trunk allow-pass vlan" in \
                    lines else set()
                if "undo port trunk allow-pass vlan 1" not in lines:
                    allowed.add(1)
                for tagged in allowed:
                    members.setdefault(tagged, []).append(f"TG:{short}(U)")
                continue
            access = ("port default vlan", "switchport access vlan")[not self.vrp]
            untagged = int(lines[access].text.split()[-1]) if access in lines else 1
            members.setdefault(untagged, []).append(f"UT:{short}(U)" if self.vrp else short)
        return members


@dataclass
class _Question:
    text: str
    answer: Callable[[str], list[str]]


class Session:
    """One user at the switch's command line.  `feed` what they type (a key at a time or many lines at
    once), send back what it returns.  Interactive: echo, prompts, paging.  Otherwise (an SSH exec
    request): one command's output only."""

    def __init__(self, device: Device, interactive: bool = True) -> None:
        self.device = device
        self.interactive = interactive
        self.newline = "\r\n" if interactive else "\n"
        self.page = PAGE if interactive else 0
        self.stack: list[Node] = []  # [] user view / EXEC; [root] system view / (config); then sections
        self.status = 0  # 1 when the last command was refused (the exit status of an exec request)
        self.closed = False
        self._line = ""
        self._pending: list[str] | None = None  # lines held back by the pager
        self._question: _Question | None = None
        self._after_cr = False
        self._escape = 0
        self._typed_at = ""  # the prompt the current line was typed at (the `^` lines up under it)
        with device.lock:
            device.sessions += 1

    def close(self) -> None:
        with self.device.lock:
            self.device.sessions -= 1

    @property
    def prompt(self) -> str:
        name = self.device.hostname
        depth = len(self.stack)
        if self.device.vrp:
            if depth == 0:
                return f"<{name}>"
            return f"[{'-'.join([name, *(n.view for n in self.stack[1:])])}]"
        if depth == 0:
            return f"{name}#"
        return f"{name}(config{'-' + self.stack[-1].view if depth > 1 else ''})#"

    @property
    def waiting(self) -> bool:
        """A question (save's Y/N, copy's file name) waits for its answer line."""
        return self._question is not None

    def greeting(self) -> str:
        if not self.interactive:
            return ""
        lines = [""]
        if self.device.vrp:
            at = self.device.now()
            offset = at.strftime("%z")
            lines += ["Info: The max number of VTY users is 5, and the number",
                      f"      of current VTY users on line is {self.device.sessions}.",
                      f"      The current login time is {at:%Y-%m-%d %H:%M:%S}{offset[:3]}:{offset[3:]}."]
        return self.newline.join(lines) + self.newline + self.prompt

    # ---- keys ----

    def feed(self, data: str) -> str:
        """What the switch prints back for `data` typed."""
        out: list[str] = []
        for char in data:
            if self.closed:
                break
            if self._escape == 1:  # an arrow key or the like, ESC [ ... final byte: ignored
                self._escape = 2 if char in "[O" else 0
                continue
            if self._escape == 2:
                self._escape = 0 if "\x40" <= char <= "\x7e" else 2
                continue
            if char == "\n" and self._after_cr:
                self._after_cr = False
                continue
            self._after_cr = char == "\r"
            char = "\r" if char == "\n" else char
            if self._pending is not None:
                self._page_key(char, out)
            elif char == "\r":
                line, self._line = self._line, ""
                if self.interactive:
                    out.append(self.newline)
                self._enter(line, out)
            elif char in "\x7f\x08":
                if self._line and self.interactive:
                    out.append("\b \b")
                self._line = self._line[:-1]
            elif char in "\x1a\x03":  # Ctrl+Z: back to the user view / EXEC; Ctrl+C: the line is dropped
                self._line, self._question = "", None
                if char == "\x1a":
                    self.stack = []
                if self.interactive:
                    out.append(self.newline + self.prompt)
            elif char == "\x1b":
                self._escape = 1
            elif char >= " ":
                self._line += char
                if self.interactive:
                    out.append(char)
        return "".join(out)

    def _enter(self, line: str, out: list[str]) -> None:
        question, self._question = self._question, None
        if question is not None and not self.interactive:
            out.append(self.newline)  # the answer was not echoed: end the question's line
        lines = question.answer(line) if question is not None else self.command(line)
        self._show(lines, out)

    def _show(self, lines: list[str], out: list[str]) -> None:
        if self.page and len(lines) > self.page:
            out.append(self.newline.join(lines[:self.page]) + self.newline + self._more)
            self._pending = lines[self.page:]
            return
        out.extend(line + self.newline for line in lines)
        self._ready(out)

    @property
    def _more(self) -> str:
        return VRP_MORE if self.device.vrp else IOS_MORE

    def _ready(self, out: list[str]) -> None:
        if self._question is not None:
            out.append(self._question.text)
        elif self.interactive and not self.closed:
            out.append(self.prompt)

    def _page_key(self, char: str, out: list[str]) -> None:
        """At the pager's marker: space shows the next page, Enter the next line, any other key stops."""
        assert self._pending is not None
        out.append(VRP_ERASE if self.device.vrp else IOS_ERASE)
        count = self.page if char == " " else 1 if char == "\r" else 0
        shown, rest = self._pending[:count], self._pending[count:] if count else []
        out.extend(line + self.newline for line in shown)
        if rest:
            self._pending = rest
            out.append(self._more)
        else:
            self._pending = None
            self._ready(out)

    # ---- commands ----

    def command(self, line: str) -> list[str]:
        """Run one typed line; what it prints."""
        with self.device.lock:
            self.status = 0
            self._typed_at = self.prompt
            return self._command(line)

    def _command(self, line: str) -> list[str]:
        found = tokens(line)
        if not found:
            return []
        device = self.device
        if not self.stack:
            return self._exec(found, line, EXEC_RULES[device.platform])
        if found[0].text.startswith(("#", "!") if device.vrp else "!"):
            return []  # a comment, as in a pasted configuration file
        if device.vrp and "|" in line:
            piped = self._piped(found, line, CONFIG_VIEW_RULES[device.platform])
            if piped is not None:
                return piped
        if not device.vrp and found[0].text.lower() == "do":
            if len(found) == 1:
                return self._error(Failure(1, len(line.rstrip()) + 1, "incomplete"), line)
            return self._exec(found[1:], line, EXEC_RULES[device.platform])
        negate = found[0].text.lower() == device.negation
        words = found[1:] if negate else found
        failure: Failure | None = None
        for level in range(len(self.stack) - 1, -1, -1):  # the line's own view, then the views around it
            section = self.stack[level]
            extra = CONFIG_VIEW_RULES[device.platform] if level == len(self.stack) - 1 and not negate else ()
            parsed = device.parse(section.opens, words, line, negate, extra)
            if isinstance(parsed, Failure):
                if parsed.beats(failure):
                    failure = parsed
                continue
            if parsed.rule in extra:
                return self._action(parsed, line)
            refused = next((m for pattern in device.reject if (m := pattern.search(line.strip()))), None)
            if refused is not None:
                return self._error(Failure(0, len(line) - len(line.lstrip()) + refused.start(), "unknown"), line)
            outcome = device.perform(section, parsed, negate)
            if isinstance(outcome, Failure):
                return self._error(outcome, line)
            del self.stack[level + 1:]  # a line of an outer view leaves the inner ones, as on the switch
            if isinstance(outcome, Confirm):
                self._question = _Question(outcome.question, functools.partial(self._confirmed, outcome))
                return []
            if isinstance(outcome, Node):
                self.stack.append(outcome)
            notes, device.notes = device.notes, []
            return notes
        assert failure is not None
        return self._error(failure, line)

    def _exec(self, found: Sequence[Token], line: str, rules: Sequence[Rule]) -> list[str]:
        """A command of the user view / EXEC (or after IOS's `do`)."""
        piped = self._piped(found, line, rules) if "|" in line else None
        if piped is not None:
            return piped
        parsed = self.device.parse("", found, line, extra=rules)
        if isinstance(parsed, Failure):
            return self._error(parsed, line)
        return self._action(parsed, line)

    def _piped(self, found: Sequence[Token], line: str, rules: Sequence[Rule]) -> list[str] | None:
        """A display/show command with `| include R` and the like; None if `line` is not one."""
        head, _, tail = line.partition("|")
        parsed = self.device.parse("", [t for t in found if t.start < len(head)], head, extra=rules)
        if not isinstance(parsed, Parsed) or parsed.rule.action not in SHOW:
            return None
        shown = self._action(parsed, head)
        return self._filter(shown, tail, len(head) + 1, line) if self.status == 0 else shown

    def _filter(self, lines: list[str], pipe: str, offset: int, line: str) -> list[str]:
        """`| include R`, `| exclude R`, `| begin R` (and IOS's `| section R`)."""
        keyword, _, pattern = pipe.strip().partition(" ")
        names = ("include", "exclude", "begin") + (() if self.device.vrp else ("section",))
        hits = [n for n in names if keyword and n.startswith(keyword.lower())]
        where = offset + len(pipe) - len(pipe.lstrip())
        if len(hits) != 1 or not pattern.strip():
            return self._error(Failure(0, where, "unknown" if len(hits) != 1 else "incomplete"), line)
        try:
            wanted = re.compile(pattern.strip())
        except re.error:
            wanted = re.compile(re.escape(pattern.strip()))
        if hits[0] == "include":
            return [x for x in lines if wanted.search(x)]
        if hits[0] == "exclude":
            return [x for x in lines if not wanted.search(x)]
        if hits[0] == "begin":
            start = next((i for i, x in enumerate(lines) if wanted.search(x)), len(lines))
            return lines[start:]
        kept: list[str] = []
        keeping = False
        for x in lines:
            if not x.startswith(" "):
                keeping = bool(wanted.search(x))
            if keeping:
                kept.append(x)
        return kept

    def _confirmed(self, asked: Confirm, answer: str) -> list[str]:
        """`[confirm]`: Enter or y does it; `[Y/N]`: Y does it.  Anything else leaves things as they are."""
        reply = answer.strip().lower()
        if reply.startswith("y") or (not reply and asked.question.endswith("[confirm]")):
            with self.device.lock:
                asked.then()
        return []

    def _error(self, failure: Failure, line: str) -> list[str]:
        """The vendor's error: a `^` under where the switch stopped understanding, then its message."""
        self.status = 1
        device = self.device
        if failure.message:  # the switch's own sentence, no `^`
            return [failure.message] if device.vrp else [failure.message, ""]
        message = ERRORS[device.platform][failure.reason].format(line=line.strip())
        if not device.vrp and failure.reason in ("incomplete", "ambiguous"):
            return [message, ""]
        lead = len(self._typed_at) if self.interactive else 0
        caret = " " * (lead + failure.offset) + "^"
        shown = [caret, message] if self.interactive else [line, caret, message]
        return shown if device.vrp else [*shown, ""]

    def _action(self, parsed: Parsed, line: str) -> list[str]:
        device = self.device
        action = parsed.rule.action
        if action == "show-run":
            return self._running(None)
        if action == "show-run-if":
            node = device._find(device.root, f"interface {parsed.words[-1]}")
            if node is None:
                return self._error(Failure(len(parsed.words) - 1, parsed.tokens[-1].start, "wrong"), line)
            return self._running([node])
        if action == "show-this":
            return self._running(self.stack[1:2] or None)
        if action == "show-saved":
            return self._saved()
        if action in observation.ACTIONS:
            return observation.printout(action, device.view())
        if action == "show-vlan":
            return self._vlan_table()
        if action == "show-snmp-user":
            return snmp_user_table([n.text for n in device.root.children])
        if action in ("paging", "paging-default"):
            self.page = int(parsed.words[1 if device.vrp else 2]) if action == "paging" else PAGE
            return ["Info: The configuration takes effect on the current user terminal interface only."] \
                if device.vrp else []
        if action == "enter-config":
            self.stack = [device.root]
            return ["Enter system view, return user view with Ctrl+Z." if device.vrp else
                    "Enter configuration commands, one per line.  End with CNTL/Z."]
        if action == "leave":
            self.stack.pop()
            return []
        if action == "end":
            self.stack = []
            return []
        if action == "close":
            self.closed = True
            return []
        if action == "save":
            if device.vrp:
                self._question = _Question(VRP_SAVE_QUESTION, self._vrp_save)
                return []
            return self._ios_save("")
        if action == "copy":
            self._question = _Question(IOS_COPY_QUESTION, self._ios_save)
            return []
        return []  # ignore

    def _vrp_save(self, answer: str) -> list[str]:
        if not answer.strip().lower().startswith("y"):
            return []
        with self.device.lock:
            try:
                self.device.save()
            except OSError as exc:
                self.status = 1
                return [f"Error: Failed to save the configuration ({exc.strerror or exc})."]
        return ["Now saving the current configuration to the slot 0.", "Info: Save the configuration successfully."]

    def _ios_save(self, answer: str) -> list[str]:
        with self.device.lock:
            try:
                self.device.save()
            except OSError as exc:
                self.status = 1
                return ["Building configuration...", f"%Error writing nvram:startup-config ({exc.strerror or exc})"]
        return ["Building configuration...", "[OK]"]

    def _running(self, nodes: list[Node] | None) -> list[str]:
        body = self.device.body(nodes)
        if self.device.vrp:
            return body
        size = len("\n".join(body)) + 1
        return ["Building configuration...", "", f"Current configuration : {size} bytes", *body]

    def _saved(self) -> list[str]:
        saved = self.device.saved
        if self.device.vrp:
            return saved.splitlines() if saved else ["Info: The system is now running without a saved configuration."]
        if not saved:
            return ["startup-config is not present"]
        shown = [line for line in saved.splitlines() if not (self.device.realistic and IOS_SNMP_USER.match(line))]
        return [f"Using {len(saved)} out of 524288 bytes", *shown]

    def _vlan_table(self) -> list[str]:
        names, members = self.device.vlans(), self.device.ports()
        rows: list[str] = []
        if self.device.vrp:
            rule_ = "-" * 80
            rows += [f"The total number of VLANs is : {len(names)}", rule_,
                     "U: Up;         D: Down;         TG: Tagged;         UT: Untagged;", rule_, "",
                     "VID  Type    Ports", rule_]
            for number in names:
                ports = members.get(number, [])
                chunks = [ports[i:i + 4] for i in range(0, len(ports), 4)] or [[]]
                rows.append(f"{number:<5}{'common':<8}{' '.join(chunks[0])}".rstrip())
                rows += [" " * 13 + " ".join(chunk) for chunk in chunks[1:]]
            rows += ["", "VID  Status  Property      MAC-LRN Statistics Description", rule_]
            rows += [f"{n:<5}{'enable':<8}{'default':<14}{'enable':<8}{'disable':<11}{name}"
                     for n, name in names.items()]
            return rows
        rows += ["", f"{'VLAN':<5}{'Name':<33}{'Status':<10}Ports",
                 f"{'-' * 4} {'-' * 32} {'-' * 9} {'-' * 31}"]
        for number, name in names.items():
            ports = members.get(number, [])
            chunks = [ports[i:i + 4] for i in range(0, len(ports), 4)] or [[]]
            rows.append(f"{number:<5}{name[:32]:<33}{'active':<10}{', '.join(chunks[0])}".rstrip())
            rows += [" " * 48 + ", ".join(chunk) for chunk in chunks[1:]]
        rows += [f"{n:<5}{name:<33}act/unsup" for n, name in
                 ((1002, "fddi-default"), (1003, "token-ring-default"), (1004, "fddinet-default"),
                  (1005, "trnet-default"))]
        return rows
