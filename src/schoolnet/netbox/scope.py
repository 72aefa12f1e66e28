"""`netbox plan | apply | drift --limit EXPR`: which objects a limited run may create, change or delete.

A limit takes deploy's expressions.  `district:`, `school:` and `site:` select whole sites; `host:`,
`role:` and `kind:` select single devices (servers and switches as deploy selects them, and
tablets by `kind:tablet` or their device name).  Every object belongs to sites and devices as
the mapping's `owner` column says: an interface to its device, a MAC or an address to its
interface, a VLAN to its group's site, a circuit to the site of its terminations, a cable to its
A end's device (and is written only when the selection holds its B end too).

Within a limit:
- the desired objects that belong to a selected site or device are created and updated;
- so are what they point at (their site, region, type, role, platform, provider, ...), and the
  tag and custom fields, because they cannot exist without them; these are never deleted;
- an owned object is deleted only when NetBox places it in a selected site or device and git no
  longer has it anywhere: a tablet removed from a selected school goes, while an object that moved
  out of the limit, and a whole school or device git removed (the inventory no longer selects it),
  are left for a full apply, whose plan shows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Protocol

from schoolnet.model.fleet import Fleet
from schoolnet.model.select import LimitError, parse_limit, select_hosts
from schoolnet.netbox.desired import Desired
from schoolnet.netbox.mapping import BY_NAME, Key, Kind, Value

Anchor = tuple[str, str]  # ("site", slug) or ("device", name)
SITE_KEYS = ("district", "school", "site")
ANCHOR_TYPES = {"dcim.site": "site", "dcim.device": "device"}
TABLET_ROLE = ("tablet",)
CABLE, FAR_END = "dcim.cable", "b_terminations"  # a cable belongs to its A end's device (mapping's owner)


class HasAttrs(Protocol):
    @property
    def attrs(self) -> dict[str, Value]: ...


Objects = Mapping[str, Mapping[Key, HasAttrs]]


class Anchors:
    """The sites and devices each object of one collection (git's desired objects, or NetBox's) belongs to."""

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self._memo: dict[tuple[str, Key], frozenset[Anchor]] = {}
        self._pointing: dict[tuple[str, str], dict[Key, list[Key]]] = {}

    def of(self, type_name: str, key: Key) -> frozenset[Anchor]:
        """Empty for shared objects (types, roles, regions) and for objects this collection cannot place."""
        slot = (type_name, key)
        if slot not in self._memo:
            self._memo[slot] = frozenset()  # a reference cycle places nothing
            self._memo[slot] = self._resolve(type_name, key)
        return self._memo[slot]

    def _resolve(self, type_name: str, key: Key) -> frozenset[Anchor]:
        owner = BY_NAME[type_name].owner
        found = self.objects.get(type_name, {}).get(key)
        if not owner or found is None:
            return frozenset()
        if owner == "self":
            anchors = {(ANCHOR_TYPES[type_name], key[0])}
            if "site" in found.attrs:  # a device is at its site
                anchors |= self._via(type_name, found, "site")
            return frozenset(anchors)
        if owner.count(".") == 2:  # "TYPE.ATTR": where the objects pointing at this one belong
            source, _, attr = owner.rpartition(".")
            return frozenset(a for other in self._pointers(source, attr).get(key, []) for a in self.of(source, other))
        return frozenset(self._via(type_name, found, owner))

    def _via(self, type_name: str, found: HasAttrs, attr_name: str) -> set[Anchor]:
        pointed = BY_NAME[type_name].attr(attr_name).points_at(found.attrs.get(attr_name))
        return set() if pointed is None else set(self.of(*pointed))

    def _pointers(self, source: str, attr: str) -> dict[Key, list[Key]]:
        if (source, attr) not in self._pointing:
            index: dict[Key, list[Key]] = {}
            for key, found in self.objects.get(source, {}).items():
                value = found.attrs.get(attr)
                if isinstance(value, tuple):
                    index.setdefault(value, []).append(key)
            self._pointing[(source, attr)] = index
        return self._pointing[(source, attr)]


@dataclass(frozen=True)
class Limit:
    """What a --limit selects: whole sites, and devices one by one."""

    expressions: tuple[str, ...]
    sites: frozenset[str]
    devices: frozenset[str]

    def holds(self, anchors: Iterable[Anchor]) -> bool:
        return any(name in (self.sites if kind == "site" else self.devices) for kind, name in anchors)

    def writes(self, anchors: Anchors, type_name: str, key: Key) -> bool:
        """Whether a limited run writes git's object: it belongs to the selection; a cable joins two devices or a
        device and a circuit, and is drawn when the selection holds both ends (a full apply draws the rest)."""
        if not self.holds(anchors.of(type_name, key)):
            return False
        found = anchors.objects.get(type_name, {}).get(key)
        if type_name != CABLE or found is None:
            return True
        far = BY_NAME[type_name].attr(FAR_END).points_at(found.attrs.get(FAR_END))
        return far is None or self.holds(anchors.of(*far))

    def selected(self, desired: Objects) -> dict[str, set[Key]]:
        """Per type, the desired keys a limited run writes: what belongs to the selection, and everything that
        points at (no deletes of the latter; see the module's docstring)."""
        anchors = Anchors(desired)
        chosen: dict[str, set[Key]] = {name: set() for name in desired}
        pending: list[tuple[str, Key]] = []
        for type_name, objects in desired.items():
            object_type = BY_NAME[type_name]
            for key in objects:
                if not object_type.tagged or self.writes(anchors, type_name, key):
                    pending.append((type_name, key))
        while pending:
            type_name, key = pending.pop()
            if key in chosen.setdefault(type_name, set()):
                continue
            chosen[type_name].add(key)
            found = desired.get(type_name, {}).get(key)
            for attr in BY_NAME[type_name].attrs if found is not None else ():
                value = found.attrs.get(attr.name) if found is not None else None
                if attr.kind is Kind.REFS and attr.target and isinstance(value, tuple):  # many, one field each
                    pending.extend((attr.target, (v,)) for v in value if (v,) in desired.get(attr.target, {}))
                    continue
                pointed = attr.points_at(value)
                if pointed is not None and pointed[1] in desired.get(pointed[0], {}):
                    pending.append(pointed)
        return chosen


def limit_of(fleet: Fleet, expressions: tuple[str, ...], desired: Objects) -> Limit | None:
    """None without expressions; a LimitError (a usage error) for one that is malformed or selects nothing."""
    if not expressions:
        return None
    parsed = [parse_limit(e) for e in expressions]
    site_patterns = [(key, pattern) for key, pattern in parsed if key in SITE_KEYS]
    device_limits = [e for e, (key, _) in zip(expressions, parsed, strict=True) if key not in SITE_KEYS]
    sites = {school.id for school in fleet.schools
             if any(fnmatchcase(school.district if key == "district" else school.id, pattern)
                    for key, pattern in site_patterns)}
    sites |= {dc.site for dc in fleet.datacenters
              if any(key == "site" and fnmatchcase(dc.site, pattern) for key, pattern in site_patterns)}
    devices: set[str] = set()
    if device_limits:
        try:
            devices = {host.hostname for host in select_hosts(fleet, device_limits)}
        except LimitError:
            devices = set()
        for key, found in desired.get("dcim.device", {}).items():
            if found.attrs.get("role") == TABLET_ROLE and any(
                    (k == "kind" and fnmatchcase("tablet", p)) or (k == "host" and fnmatchcase(key[0], p))
                    for k, p in parsed):
                devices.add(key[0])
    if not sites and not devices:
        raise LimitError(f"--limit {' '.join(expressions)} matches no site and no device")
    return Limit(tuple(expressions), frozenset(sites), frozenset(devices))


def within(desired: Desired, limit: Limit | None) -> Desired:
    """The desired objects a limited run looks at (all of them without a limit): for drift."""
    if limit is None:
        return desired
    chosen = limit.selected(desired.objects)
    return Desired({name: {key: want for key, want in objects.items() if key in chosen.get(name, ())}
                    for name, objects in desired.objects.items()})
