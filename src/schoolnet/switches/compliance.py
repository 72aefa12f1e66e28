"""A switch's compliance by feature, and the commands that make it compliant.

Nautobot Golden Config's model: the programme declares the features schoolnet manages
(`switch_features`: patterns of top-level lines per switch OS; a line belongs to the first
feature matching it or its negated form, since `ip http server` and `no ip http server` are
one setting).  A switch is compliant when every managed feature of its running configuration
equals the intended one (the rendered file).  Top-level blocks in no feature are reported as
unmanaged by their first line, never parsed (a real switch prints blocks hier-config refuses,
such as an ACL repeating a remark) and never touched.

hier-config (`WorkflowRemediation` with its HUAWEI_VRP / CISCO_IOS drivers) computes the
remediation.  Where its stock answer is one the switch refuses, or one that would cut the
switch off halfway through a push, it is corrected here, each case small and named:

1. VLAN lists are sets (`vlan batch`, `port trunk allow-pass vlan`, `switchport trunk allowed
   vlan [add]`): switches print them sorted and ranged, and hier-config would `undo` the whole
   old list before typing the new one, which drops the management VLAN from the uplink.
   They are compared as sets and changed by the difference only (`vlan batch 50`,
   `undo port trunk allow-pass vlan 60`, `switchport trunk allowed vlan add 50`), at most ten
   ids or ranges a line on VRP.  On VRP a `vlan N` section declares VLAN N like `vlan batch`.
2. Single-valued commands are replaced by typing the new value, without an `undo`/`no` of
   the old one first (hier-config's idempotent-command rules, extended): an access port
   moves VLAN in one line, a password or key changes without the old one being typed.
3. Negations take the vendor's form: `undo port default vlan`, `undo local-user admin
   privilege level`, `no username admin`, `no snmp-server user NAME GROUP v3`; no negation
   repeats an old secret.  A local user, SSH user or SNMP user that goes entirely is one
   `undo local-user NAME` / `undo ssh user NAME` / `undo snmp-agent usm-user v3 NAME`.
4. Sections that always exist (physical ports, `aaa`, `user-interface`, `line`, IOS's Vlan1,
   and on VRP a VLAN that stays declared) are emptied line by line, never `undo interface`d;
   printed empty (the switch prints every port), they say nothing and are not compared.
5. Order (a switch refuses or loses its management path otherwise): at the top level, VLANs
   are created first, then sections and lines are added or changed (intended order), then
   top-level lines are removed (reverse running order: what depends on a line goes before
   it), and VLANs are removed last, after every port and VLAN interface left them.  Inside a
   section, removals come first (VLAN-list removals, then lines in reverse running order:
   a port is cleared before its link type changes), then additions in intended order, and
   VLAN-list additions last (a port has its link type before its VLANs).

compare() never logs and never masks: the configurations carry secrets, and callers mask
what they show with the secret store.  Errors name a line by number and first two words only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from hier_config import HConfig, HConfigChild, WorkflowRemediation, get_hconfig
from hier_config.children import HConfigChildren
from hier_config.exceptions import DuplicateChildError
from hier_config.models import IdempotentCommandsRule, MatchRule, NegationSubRule
from hier_config.platforms.cisco_ios.driver import HConfigDriverCiscoIOS
from hier_config.platforms.driver_base import HConfigDriverBase, HConfigDriverRules
from hier_config.platforms.huawei_vrp.driver import HConfigDriverHuaweiVrp

from schoolnet.model.programme import SwitchFeature
from schoolnet.switches.secret_lines import Proof, settle

__all__ = ["Compliance", "ComplianceError", "FeatureResult", "compare"]


@dataclass(frozen=True)
class FeatureResult:
    name: str
    compliant: bool
    missing: tuple[str, ...]  # intended lines absent from running (a section's header first, children indented)
    extra: tuple[str, ...]    # running lines of the feature that are not intended


@dataclass(frozen=True)
class Compliance:
    features: tuple[FeatureResult, ...]
    unmanaged: tuple[str, ...]    # running top-level lines in no feature: reported, never removed
    remediation: tuple[str, ...]  # what to type in configuration mode, in order, sections entered and left
    held_back: tuple[str, ...] = ()  # needed, but never typed over SSH: a management address changing

    @property
    def compliant(self) -> bool:
        return all(f.compliant for f in self.features)


class ComplianceError(ValueError):
    """A configuration compare() cannot judge; the message quotes no line (lines hold secrets)."""


# --- what each dialect needs beyond hier-config's driver -------------------------------------------------

Ids = frozenset[int]


@dataclass(frozen=True)
class _VlanList:
    """A line whose argument is a set of VLAN ids: compared as a set, changed by the difference."""

    parent: re.Pattern[str] | None  # the section it is a line of; None: the top level
    line: re.Pattern[str]           # the line, its ids in group "ids"
    text: str                       # the line without its ids, for reports
    add: str                        # adds {ids}
    remove: str                     # removes {ids}
    separator: str                  # between ids and ranges in a typed or reported line
    range_word: str                 # 10{range_word}12
    chunk: int                      # at most this many ids or ranges in one line (0: no limit)
    absent_is_all: bool = False     # IOS: no `allowed vlan` line means every VLAN
    replace: str = ""               # sets the whole list to {ids} (IOS, from all VLANs or to none)
    clear: str = ""                 # back to the default (IOS: every VLAN)


@dataclass(frozen=True)
class _Owned:
    """Lines of one named object (a local user): removed with one command when none is intended."""

    parent: re.Pattern[str] | None
    line: re.Pattern[str]  # the object's name in group 1
    remove: str            # {name}


@dataclass(frozen=True)
class _Dialect:
    driver: HConfigDriverBase
    negation: str
    exit: str
    vlan_declaration: re.Pattern[str]   # a top-level line that creates VLANs
    vlan_section: re.Pattern[str]       # `vlan N`, N in group 1
    batch: _VlanList | None             # VRP: `vlan batch`, together with the `vlan N` sections
    lists: tuple[_VlanList, ...]        # VLAN lists inside sections
    permanent: re.Pattern[str]          # sections that cannot be removed, only emptied
    owned: tuple[_Owned, ...]
    aliases: tuple[tuple[re.Pattern[str], str], ...] = ()  # other spellings of a line, and the one compared
    vlan_interface: re.Pattern[str] = re.compile(r"^interface Vlan(?:if)?(\d+)$")  # its VLAN in group 1


def _rule(*patterns: str) -> tuple[MatchRule, ...]:
    return tuple(MatchRule(re_search=p) for p in patterns)


def _driver_rules(base: HConfigDriverRules, negation: str, single: Sequence[tuple[str, ...]],
                  shorter: Sequence[tuple[str, ...]]) -> HConfigDriverRules:
    """hier-config's own rules for the platform, plus ours: `single` are lineages of single-valued
    commands (a regex without groups, or with groups naming what is single-valued per name);
    `shorter` are lineages whose negation drops the value (the regex's group 1 is kept)."""
    idempotent = [IdempotentCommandsRule(match_rules=_rule(*lineage)) for lineage in single]
    negations = [NegationSubRule(match_rules=_rule(*lineage),
                                 search=rf"^{negation}{lineage[-1].removeprefix('^')}.*$", replace=rf"{negation}\1")
                 for lineage in shorter]
    return base.model_copy(update={"idempotent_commands": [*base.idempotent_commands, *idempotent],
                                   "negation_sub": [*base.negation_sub, *negations]})


_VRP_INTERFACE = r"^interface "
_VRP_SINGLE = [
    (r"^sysname ",), (r"^clock timezone ",),
    (r"^snmp-agent usm-user v3 (\S+) authentication-mode ",), (r"^snmp-agent usm-user v3 (\S+) privacy-mode ",),
    (r"^snmp-agent usm-user v3 (\S+) group ",),
    (r"^ssh user (\S+) authentication-type ",), (r"^ssh user (\S+) service-type ",),
    (r"^aaa$", r"^local-user (\S+) password "), (r"^aaa$", r"^local-user (\S+) privilege level "),
    (r"^aaa$", r"^local-user (\S+) service-type "),
    (_VRP_INTERFACE, r"^description "), (_VRP_INTERFACE, r"^port link-type "),
    (_VRP_INTERFACE, r"^port default vlan "), (_VRP_INTERFACE, r"^stp edged-port "),
    (_VRP_INTERFACE, r"^ip address (?=\S+ \S+$)"),
    (r"^vlan \d+$", r"^description "),
    (r"^user-interface ", r"^authentication-mode "), (r"^user-interface ", r"^protocol inbound "),
]
_VRP_SHORTER = [
    (r"^(sysname) ",), (r"^(clock timezone) ",),
    (r"^(snmp-agent usm-user v3 \S+ (?:authentication-mode|privacy-mode)) ",),
    (r"^(ssh user \S+ (?:authentication-type|service-type)) ",),
    (r"^aaa$", r"^(local-user \S+ (?:privilege level|service-type|state|idle-timeout|ftp-directory|access-limit)) "),
    (_VRP_INTERFACE, r"^(port link-type|port default vlan|stp edged-port) "),
    (r"^user-interface ", r"^(authentication-mode|protocol inbound) "),
]

_IOS_INTERFACE = r"^interface "
_IOS_SINGLE = [
    (r"^hostname ",), (r"^ip domain name ",), (r"^clock timezone ",), (r"^ip default-gateway ",),
    (r"^ip ssh version ",), (r"^username (\S+) ",), (r"^snmp-server user (\S+) ",),
    (r"^aaa authentication login (\S+) ",), (r"^aaa authorization exec (\S+) ",),
    (_IOS_INTERFACE, r"^switchport access vlan "), (_IOS_INTERFACE, r"^switchport trunk native vlan "),
    (r"^line ", r"^transport input "), (r"^line ", r"^login authentication "),
]
_IOS_SHORTER = [
    (r"^(hostname|ip domain name|clock timezone|ip default-gateway|ip ssh version) ",),
    (r"^(username \S+) ",), (r"^(snmp-server user \S+ \S+ v3)\b",),
    (_IOS_INTERFACE, r"^(description|switchport access vlan|switchport trunk native vlan) "),
    (r"^vlan \d+$", r"^(name) "),
    (r"^line ", r"^(transport input|login authentication) "),
]


class _HuaweiVrp(HConfigDriverHuaweiVrp):
    """hier-config's VRP driver with the single-valued commands and `undo` forms of the switches we run."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        return _driver_rules(HConfigDriverHuaweiVrp._instantiate_rules(), "undo ", _VRP_SINGLE, _VRP_SHORTER)


class _CiscoIos(HConfigDriverCiscoIOS):
    """hier-config's IOS driver with the single-valued commands and `no` forms of the switches we run."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        return _driver_rules(HConfigDriverCiscoIOS._instantiate_rules(), "no ", _IOS_SINGLE, _IOS_SHORTER)


_DIALECTS = {
    "huawei-vrp": _Dialect(
        _HuaweiVrp(), "undo ", "quit",
        vlan_declaration=re.compile(r"^vlan (?:batch |\d+$)"), vlan_section=re.compile(r"^vlan (\d+)$"),
        batch=_VlanList(None, re.compile(r"^vlan batch (?P<ids>.+)$"), "vlan batch", "vlan batch {ids}",
                        "undo vlan batch {ids}", " ", " to ", 10),
        lists=tuple(_VlanList(re.compile(r"^interface "), re.compile(rf"^{text} (?P<ids>.+)$"), text,
                              f"{text} {{ids}}", f"undo {text} {{ids}}", " ", " to ", 10)
                    for text in ("port trunk allow-pass vlan", "port hybrid tagged vlan",
                                 "port hybrid untagged vlan")),
        permanent=re.compile(r"^(?:interface (?:GigabitEthernet|XGigabitEthernet|Ethernet|MultiGE|25GE|40GE|100GE|"
                             r"MEth|NULL)|aaa$|user-interface )"),
        owned=(_Owned(re.compile(r"^aaa$"), re.compile(r"^local-user (\S+)(?: |$)"), "local-user {name}"),
               _Owned(None, re.compile(r"^ssh user (\S+)(?: |$)"), "ssh user {name}"),
               _Owned(None, re.compile(r"^snmp-agent usm-user v3 (\S+)(?: |$)"), "snmp-agent usm-user v3 {name}"))),
    "cisco-ios": _Dialect(
        _CiscoIos(), "no ", "exit",
        vlan_declaration=re.compile(r"^vlan \d+$"), vlan_section=re.compile(r"^vlan (\d+)$"), batch=None,
        lists=(_VlanList(re.compile(r"^interface "),
                         re.compile(r"^switchport trunk allowed vlan (?:add )?(?P<ids>.+)$"),
                         "switchport trunk allowed vlan", "switchport trunk allowed vlan add {ids}",
                         "switchport trunk allowed vlan remove {ids}", ",", "-", 0, absent_is_all=True,
                         replace="switchport trunk allowed vlan {ids}", clear="no switchport trunk allowed vlan"),),
        permanent=re.compile(r"^(?:interface (?:GigabitEthernet|TenGigabitEthernet|FastEthernet|TwentyFiveGigE|"
                             r"FortyGigabitEthernet|HundredGigE|AppGigabitEthernet|Ethernet)\d"
                             r"|interface Vlan1$|line )"),
        owned=(_Owned(None, re.compile(r"^username (\S+)(?: |$)"), "username {name}"),),
        aliases=((re.compile(r"^(no )?ip domain-name ", re.M), r"\1ip domain name "),
                 (re.compile(r"^(no )?ip domain-lookup\b", re.M), r"\1ip domain lookup"))),
}

# Not configuration: what a switch prints around and between its configuration, and comments.
_NOISE = re.compile(r"^\s*(?:[#!].*|return|end|version \S+|Building configuration.*|Current configuration.*)?\s*$")


# --- VLAN id lists ------------------------------------------------------------------------------------------

def _ids(kind: _VlanList, text: str) -> Ids | None:
    """The VLAN ids of a list's argument; None if it is not a plain list (`all`: kept as a line)."""
    text = text.strip()
    if kind.absent_is_all and text == "none":
        return frozenset()
    found: set[int] = set()
    if kind.separator == ",":
        parts = [p.split("-", 1) for p in text.split(",")]
    else:
        words = text.split()
        parts = []
        while words:
            if len(words) >= 3 and words[1] == "to":
                parts.append([words[0], words[2]])
                del words[:3]
            else:
                parts.append([words.pop(0)])
    for part in parts:
        if not all(p.strip().isdigit() for p in part):
            return None
        first, last = int(part[0]), int(part[-1])
        if not 1 <= first <= last <= 4094:
            return None
        found.update(range(first, last + 1))
    return frozenset(found)


def _ranges(ids: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for vid in sorted(ids):
        if runs and runs[-1][1] == vid - 1:
            runs[-1] = (runs[-1][0], vid)
        else:
            runs.append((vid, vid))
    return runs


def _spelled(kind: _VlanList, ids: Iterable[int]) -> list[str]:
    """`ids` as the list argument(s) the switch takes: ranges where three or more follow each other,
    at most `chunk` items per line."""
    items: list[str] = []
    for first, last in _ranges(ids):
        if last - first >= 2:
            items.append(f"{first}{kind.range_word}{last}")
        else:
            items.extend(str(v) for v in range(first, last + 1))
    size = kind.chunk or max(1, len(items))
    return [kind.separator.join(items[i:i + size]) for i in range(0, len(items), size)] or ["none"]


# --- reading a configuration --------------------------------------------------------------------------------

Path_ = tuple[str, ...]
Lists = dict[tuple[Path_, str], Ids]


@dataclass
class _Side:
    tree: HConfig                 # managed top-level sections only, VLAN-list lines taken out
    lists: Lists                  # (section path, list text) -> ids
    feature: dict[str, str]       # top-level text -> feature name (also "vlan batch" for the batch)
    unmanaged: list[str]


@dataclass(frozen=True)
class _Matcher:
    """One pattern of a feature: top-level lines it takes, and (after ` >> `) the only lines inside them
    that are schoolnet's; the others (VRP's built-in `domain default` in `aaa`) are not compared."""

    feature: str
    top: re.Pattern[str]
    inside: re.Pattern[str] | None


@lru_cache(maxsize=64)
def _matchers(os: str, features: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[_Matcher, ...]:
    found = []
    for name, patterns in features:
        for pattern in patterns:
            top, _, inside = pattern.partition(" >> ")
            found.append(_Matcher(name, re.compile(top), re.compile(inside) if inside else None))
    return tuple(found)


def _matcher_of(matchers: Sequence[_Matcher], negation: str, text: str) -> _Matcher | None:
    """The first pattern matching the line or its negated form: `ip http server` and `no ip http server`
    are one setting, and a switch prints whichever holds."""
    other = text.removeprefix(negation) if text.startswith(negation) else negation + text
    return next((m for m in matchers if m.top.search(text) or m.top.search(other)), None)


def _aliased(dialect: _Dialect, text: str) -> str:
    """Each line in the one spelling compared: IOS 15 prints `ip domain-name`, IOS-XE `ip domain name`."""
    for pattern, spelling in dialect.aliases:
        text = pattern.sub(spelling, text)
    return text


def _read(dialect: _Dialect, matchers: Sequence[_Matcher], text: str, which: str) -> _Side:
    """The managed part of a configuration as a tree.  Unmanaged blocks never reach hier-config: a
    switch prints hundreds of default lines, and some repeat (ACL remarks), which hier-config refuses."""
    managed: list[str] = []
    unmanaged: list[str] = []
    for number, head, block in _blocks(_aliased(dialect, text) if dialect.aliases else text):
        if _matcher_of(matchers, dialect.negation, head) is not None:
            managed += block
        elif which == "intended":
            raise _not_in_a_feature(number, head)
        else:
            unmanaged.append(head)
    try:
        tree = get_hconfig(dialect.driver, "\n".join(managed))
    except DuplicateChildError:
        raise ComplianceError(f"the {which} configuration repeats a line inside one managed section") from None
    side = _Side(tree, {}, {}, unmanaged)
    kept: list[HConfigChild] = []
    for node in tree.children:
        matcher = _matcher_of(matchers, dialect.negation, node.text)
        if matcher is None:  # hier-config rewrote the line out of every feature (it ignores it too)
            continue
        side.feature[node.text] = matcher.feature
        kept.append(node)
        if matcher.inside is not None:
            _keep_inside(node, matcher.inside, which)
    _take_lists(dialect, side, tree, kept)
    return side


def _not_in_a_feature(number: int | str, head: str) -> ComplianceError:
    words = " ".join(head.split()[:2])
    return ComplianceError(f"intended line {number} ({words} ...) is in no switch feature: add a pattern for it to "
                           "switch_features in programme.yaml, or take it out of the template")


def _keep_inside(node: HConfigChild, inside: re.Pattern[str], which: str) -> None:
    """Only the lines of a section that are schoolnet's stay in the tree."""
    theirs = [c for c in node.children if not inside.search(c.text)]
    if theirs and which == "intended":
        raise _not_in_a_feature(f"under {' '.join(node.text.split()[:2])}", theirs[0].text)
    for child in theirs:
        node.children.delete(child)


def _disown(dialect: _Dialect, running: _Side, intended: _Side) -> None:
    """What the switch holds that schoolnet never set is left alone: a section that always exists and the
    build does not name (an unused port, VRP's `user-interface vty 16 20`, IOS's Vlan1), a VLAN interface
    with an address and its VLAN (the switch may be managed over it), and a negation the build does not
    have (hardening: `no ip proxy-arp`, `undo ntp-service ...`), whose removal would type the setting back."""
    managed_over = _management_vlans(dialect, running)
    for node in list(running.tree.children):
        if node.text in intended.tree.children:
            _disown_inside(dialect, node, intended.tree.children[node.text])
        elif dialect.permanent.match(node.text) or node.text.startswith(dialect.negation) or \
                _vlan_of(dialect, node.text) in managed_over:
            running.tree.children.delete(node)
            running.unmanaged.append(node.text)
            for key in [k for k in running.lists if k[0] and k[0][0] == node.text]:
                del running.lists[key]
    for key, ids in running.lists.items():  # a VLAN the switch is managed over stays where it is
        if ids & managed_over and key in intended.lists:
            intended.lists[key] = intended.lists[key] | (ids & managed_over)
        elif ids & managed_over and not key[0]:
            intended.lists[key] = ids & managed_over


def _vlan_of(dialect: _Dialect, text: str) -> int:
    """The VLAN a `vlan N` section or a VLAN interface is of; 0 for any other line."""
    found = dialect.vlan_section.match(text) or dialect.vlan_interface.match(text)
    return int(found[1]) if found else 0


def _management_vlans(dialect: _Dialect, side: _Side) -> frozenset[int]:
    """The VLANs whose interface holds an address: the switch may be managed over any of them."""
    found = set()
    for node in side.tree.children:
        match = dialect.vlan_interface.match(node.text)
        if match and int(match[1]) != 1 and any(c.text.startswith("ip address ") for c in node.children):
            found.add(int(match[1]))
    return frozenset(found)


def _disown_inside(dialect: _Dialect, node: HConfigChild, twin: HConfigChild) -> None:
    for child in list(node.children):
        if child.text in twin.children:
            _disown_inside(dialect, child, twin.children[child.text])
        elif child.text.startswith(dialect.negation):
            node.children.delete(child)


def _blocks(text: str) -> Iterator[tuple[int, str, list[str]]]:
    """Each top-level line (its number, its text with single spaces) with the lines under it; a banner's
    lines up to its closing delimiter belong to it.  Separators, banners the switch prints and comments
    are left out."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line, index = lines[index], index + 1
        if _NOISE.match(line):
            continue
        number, head, block = index, " ".join(line.split()), [line]
        if head.startswith("banner ") and len(words := head.split()) > 2:
            delimiter = words[2][:2]
            if line.count(delimiter) < 2:
                while index < len(lines):
                    block.append(lines[index])
                    index += 1
                    if delimiter in block[-1]:
                        break
        while index < len(lines) and lines[index][:1] in (" ", "\t"):
            if not _NOISE.match(lines[index]):
                block.append(lines[index])
            index += 1
        yield number, head, block


def _take_lists(dialect: _Dialect, side: _Side, tree: HConfig, top: list[HConfigChild]) -> None:
    """Move VLAN-list lines out of the tree into `side.lists`; drop the empty sections that always exist
    (a physical port's header alone says nothing: the switch prints every port)."""
    kept: list[HConfigChild] = []
    batch = dialect.batch
    for node in top:
        match = batch.line.match(node.text) if batch is not None else None
        if batch is not None and match is not None and (ids := _ids(batch, match["ids"])) is not None:
            _declare(side, batch, ids, side.feature[node.text])
            continue
        vlan = dialect.vlan_section.match(node.text) if batch is not None else None
        if batch is not None and vlan is not None:  # on VRP `vlan N` declares VLAN N as much as `vlan batch` does
            _declare(side, batch, frozenset({int(vlan[1])}), side.feature[node.text])
            if not node.children:  # and says no more than that when empty (VRP does not print it then)
                continue
        if node.children:
            _take_section_lists(dialect, side, node, (node.text,))
        elif dialect.permanent.match(node.text):
            continue
        kept.append(node)
    tree.children.clear()
    tree.children.extend(kept)


def _declare(side: _Side, batch: _VlanList, ids: Ids, feature: str) -> None:
    key = ((), batch.text)
    side.lists[key] = side.lists.get(key, frozenset()) | ids
    side.feature.setdefault(batch.text, feature)


def _take_section_lists(dialect: _Dialect, side: _Side, node: HConfigChild, path: Path_) -> None:
    kinds = [k for k in dialect.lists if k.parent is not None and k.parent.match(node.text)]
    kept: list[HConfigChild] = []
    for child in node.children:
        kind = next((k for k in kinds if k.line.match(child.text)), None)
        if kind is not None and not child.children:
            match = kind.line.match(child.text)
            assert match is not None
            ids = _ids(kind, match["ids"])
            if ids is not None:
                side.lists[(path, kind.text)] = side.lists.get((path, kind.text), frozenset()) | ids
                continue
        if child.children:
            _take_section_lists(dialect, side, child, (*path, child.text))
        kept.append(child)
    if len(kept) != len(node.children):
        node.children.clear()
        node.children.extend(kept)


# --- missing and extra, by feature ---------------------------------------------------------------------------

def _kind(dialect: _Dialect, text: str) -> _VlanList:
    if dialect.batch is not None and text == dialect.batch.text:
        return dialect.batch
    return next(k for k in dialect.lists if k.text == text)


def _list_lines(dialect: _Dialect, path: Path_, mine: Lists, other: Lists | None, depth: int) -> list[str]:
    """The ids of each list at `path` that the other side lacks, as a line of that list."""
    out = []
    for (where, text), ids in mine.items():
        if where != path:
            continue
        theirs = other.get((where, text)) if other is not None else None
        lacking = ids if theirs is None else ids - theirs
        if lacking or (theirs is None and not ids):
            kind = _kind(dialect, text)
            out += [f"{' ' * depth}{text} {spelled}" for spelled in _spelled(kind, lacking)]
    return out


def _absent(dialect: _Dialect, nodes: Iterable[HConfigChild], other: HConfigChildren | None,
            path: Path_, mine: Lists, theirs: Lists, depth: int) -> list[str]:
    """The lines of `nodes` (with their lists) that `other` lacks; a section's header leads its lines."""
    out: list[str] = []
    for node in nodes:
        twin = other.get(node.text) if other is not None else None
        where = (*path, node.text)
        inner = _absent(dialect, node.children, twin.children if twin is not None else None, where, mine, theirs,
                        depth + 1)
        inner += _list_lines(dialect, where, mine, theirs if twin is not None else None, depth + 1)
        if twin is None or inner:
            out += [" " * depth + node.text, *inner]
    return out


def _feature_results(dialect: _Dialect, names: Sequence[str], running: _Side,
                     intended: _Side) -> tuple[FeatureResult, ...]:
    results = []
    for name in names:
        want = [n for n in intended.tree.children if intended.feature[n.text] == name]
        have = [n for n in running.tree.children if running.feature[n.text] == name]
        missing: list[str] = []
        extra: list[str] = []
        batch = dialect.batch
        if batch is not None and intended.feature.get(batch.text, running.feature.get(batch.text)) == name:
            missing += _list_lines(dialect, (), intended.lists, running.lists, 0)
            extra += _list_lines(dialect, (), running.lists, intended.lists, 0)
        missing += _absent(dialect, want, running.tree.children, (), intended.lists, running.lists, 0)
        extra += _absent(dialect, have, intended.tree.children, (), running.lists, intended.lists, 0)
        results.append(FeatureResult(name, not missing and not extra, tuple(missing), tuple(extra)))
    return tuple(results)


# --- the remediation ---------------------------------------------------------------------------------------

def _removal(node: HConfigChild) -> bool:
    """A line the remediation takes away (hier-config's left side), as opposed to one it types in."""
    return not node.new_in_config and not node.children


def _positive(dialect: _Dialect, text: str) -> str:
    return text.removeprefix(dialect.negation)


def _remediation(dialect: _Dialect, running: _Side, intended: _Side,
                 held_back: list[str] | None = None) -> tuple[str, ...]:
    delta = WorkflowRemediation(running.tree, intended.tree).remediation_config
    _hold_back_management_addresses(dialect, delta, running, [] if held_back is None else held_back)
    removed_vlans = _vlans_removed(dialect, running, intended)
    _empty_permanent(dialect, delta, running, intended, removed_vlans)
    _one_removal_per_object(dialect, delta, intended.tree)
    _change_lists(dialect, delta, running, intended)
    out: list[str] = []
    _flatten(dialect, _top_order(dialect, delta), out)
    return tuple(out)


def _hold_back_management_addresses(dialect: _Dialect, delta: HConfig, running: _Side, held_back: list[str]) -> None:
    """A VLAN interface that holds an address may be the one this session came in on: changing or removing
    its address over SSH cuts the push off halfway.  Such lines are held back for the console, not typed."""
    for node in list(delta.children):
        source = running.tree.children.get(node.text)
        if not dialect.vlan_interface.match(node.text) or source is None or \
                not any(c.text.startswith("ip address ") for c in source.children):
            continue
        for child in list(node.children):
            if _positive(dialect, child.text).startswith("ip address"):
                held_back.append(f"{node.text}: {child.text}")
                node.children.delete(child)
        if not node.children:
            delta.children.delete(node)


def _vlans_removed(dialect: _Dialect, running: _Side, intended: _Side) -> Ids:
    if dialect.batch is None:
        return frozenset()
    key = ((), dialect.batch.text)
    return running.lists.get(key, frozenset()) - intended.lists.get(key, frozenset())


def _empty_permanent(dialect: _Dialect, delta: HConfig, running: _Side, intended: _Side, removed_vlans: Ids) -> None:
    """A section that cannot be removed is emptied instead; on VRP, a removed VLAN's `vlan N` section goes
    with `undo vlan batch`, and a section of a VLAN that stays is emptied."""
    for node in list(delta.children):
        if not _removal(node) or not node.text.startswith(dialect.negation):
            continue
        text = _positive(dialect, node.text)
        source = running.tree.children.get(text)
        if source is None:
            continue
        vlan = dialect.vlan_section.match(text) if dialect.batch is not None else None
        if vlan is not None and int(vlan[1]) in removed_vlans:
            delta.children.delete(node)
            continue
        if vlan is None and not dialect.permanent.match(text):
            continue
        section = delta.instantiate_child(text)
        for child in source.children:
            section.add_child(child.text, check_if_present=False).negate()
        delta.children[delta.children.index(node)] = section
    for node in [n for n in delta.children if n.text in running.tree.children and not n.children
                 and n.text not in intended.tree.children and not n.text.startswith(dialect.negation)]:
        delta.children.delete(node)  # emptied sections with nothing but lists: _change_lists fills them


def _one_removal_per_object(dialect: _Dialect, delta: HConfig, intended: HConfig) -> None:
    """An object that goes entirely (no line of it intended) goes with one command, not line by line."""
    for owned in dialect.owned:
        for parent, target in _parents(delta, intended, owned.parent):
            wanted = {m[1] for c in (target.children if target is not None else ())
                      if (m := owned.line.match(c.text))}
            seen: set[str] = set()
            kept: list[HConfigChild] = []
            for child in parent.children:
                match = owned.line.match(_positive(dialect, child.text)) if _removal(child) else None
                if match is None or match[1] in wanted:
                    kept.append(child)
                elif match[1] not in seen:
                    seen.add(match[1])
                    child.text = dialect.negation + owned.remove.format(name=match[1])
                    kept.append(child)
            if len(kept) != len(parent.children):
                parent.children.clear()
                parent.children.extend(kept)


def _parents(delta: HConfig, intended: HConfig,
             pattern: re.Pattern[str] | None) -> list[tuple[HConfig | HConfigChild, HConfig | HConfigChild | None]]:
    if pattern is None:
        return [(delta, intended)]
    return [(n, intended.children.get(n.text)) for n in delta.children if pattern.match(n.text) and n.children]


def _change_lists(dialect: _Dialect, delta: HConfig, running: _Side, intended: _Side) -> None:
    """Type the difference of each VLAN list, in the section it belongs to."""
    for key in sorted(set(running.lists) | set(intended.lists)):
        path, text = key
        have, want = running.lists.get(key), intended.lists.get(key)
        if have == want:
            continue
        kind = _kind(dialect, text)
        add, remove = _list_commands(kind, have, want)
        if not path:
            for command in remove:
                delta.add_child(command, check_if_present=False).new_in_config = False
            for command in add:
                delta.add_child(command, check_if_present=False).new_in_config = True
            continue
        if path[0] not in intended.tree.children and not dialect.permanent.match(path[0]):
            continue  # the whole section goes, its lists with it
        section: HConfig | HConfigChild = delta
        for text_ in path:
            section = section.add_child(text_, return_if_present=True)
        for command in remove:
            line = section.add_child(command, return_if_present=True)
            line.new_in_config, line.order_weight = False, -1000
        for command in add:
            line = section.add_child(command, return_if_present=True)
            line.new_in_config, line.order_weight = True, 1000


def _list_commands(kind: _VlanList, have: Ids | None, want: Ids | None) -> tuple[list[str], list[str]]:
    """What to type to get from `have` to `want`: (additions, removals)."""
    if kind.absent_is_all:
        if want is None:
            return [], [kind.clear]
        if have is None or not want:
            return [kind.replace.format(ids=s) for s in _spelled(kind, want)], []
    have_, want_ = have or frozenset(), want or frozenset()
    add = [kind.add.format(ids=s) for s in _spelled(kind, want_ - have_)] if want_ - have_ else []
    remove = [kind.remove.format(ids=s) for s in _spelled(kind, have_ - want_)] if have_ - want_ else []
    return add, remove


def _top_order(dialect: _Dialect, delta: HConfig) -> list[HConfigChild]:
    """VLANs created, then additions and changes, then removals (reverse running order), then VLANs removed."""
    creates: list[HConfigChild] = []
    changes: list[HConfigChild] = []
    removals: list[HConfigChild] = []
    drops: list[HConfigChild] = []
    for node in sorted(delta.children):
        vlans = bool(dialect.vlan_declaration.match(_positive(dialect, node.text)))
        if _removal(node):
            (drops if vlans else removals).append(node)
        else:
            (creates if vlans else changes).append(node)
    creates.sort(key=lambda n: bool(n.children))  # `vlan batch 50` before `vlan 50` is entered
    return [*creates, *changes, *reversed(removals), *drops]


def _section_order(dialect: _Dialect, node: HConfigChild) -> list[HConfigChild]:
    """Removals first (VLAN lists', then lines in reverse running order), then additions in order, and
    last the objects that go whole (`undo local-user old`): a new user exists before an old one goes."""
    removals = [c for c in node.children if _removal(c)]
    additions = [c for c in node.children if not _removal(c)]
    gone = [c for c in removals if _goes_whole(dialect, c.text)]
    removals = [c for c in removals if c not in gone]
    return [*sorted(reversed(removals), key=lambda c: c.order_weight), *sorted(additions), *gone]


def _goes_whole(dialect: _Dialect, text: str) -> bool:
    return text.startswith(dialect.negation) and any(
        (m := o.line.match(_positive(dialect, text) + " ")) is not None and
        _positive(dialect, text) == o.remove.format(name=m[1]) for o in dialect.owned)


def _flatten(dialect: _Dialect, order: list[HConfigChild], out: list[str]) -> None:
    """Each line as typed: no indentation; a section entered by its header and left with quit/exit."""
    for node in order:
        out.append(node.text)
        if node.children:
            _flatten(dialect, _section_order(dialect, node), out)
            out.append(node.sectional_exit or dialect.exit)  # hier-config's, where a section has its own


# --- the entry point -----------------------------------------------------------------------------------------

def compare(os: str, features: list[SwitchFeature], running: str, intended: str, proof: Proof | None = None,
            hidden_output: str | None = "") -> Compliance:
    """Compare a switch's running configuration with its intended one, feature by feature, and say
    what to type in configuration mode to make it compliant.  With `proof`, a secret the switch prints
    hashed (or hides: `hidden_output` is what names it) is compliant when proven (secret_lines.py)."""
    dialect = _DIALECTS.get(os)
    if dialect is None:
        raise ComplianceError(f"no compliance rules for switch OS {os!r} (known: {', '.join(_DIALECTS)})")
    if proof is not None:
        running = settle(os, running, intended, proof, hidden_output)
    matchers = _matchers(os, tuple((f.name, tuple(f.sections.get(os, ()))) for f in features))
    want = _read(dialect, matchers, intended, "intended")
    have = _read(dialect, matchers, running, "running")
    _disown(dialect, have, want)
    names = list(dict.fromkeys(m.feature for m in matchers))
    results = _feature_results(dialect, names, have, want)
    held_back: list[str] = []
    remediation = () if all(r.compliant for r in results) else _remediation(dialect, have, want, held_back)
    return Compliance(results, tuple(have.unmanaged), remediation, tuple(held_back))
