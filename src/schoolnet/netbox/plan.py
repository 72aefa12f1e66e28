"""The difference between git (desired) and NetBox (state), per type: creates, updates, deletes.

schoolnet changes and deletes only objects it owns (tagged `schoolnet`); an unowned object
with a desired key is reported and left alone unless adopt=True.  A field that NetBox holds
differently from what schoolnet last wrote (its digest, see applied.py) was edited by hand:
that is drift, listed apart so apply can refuse to overwrite it silently.  With a --limit
(scope.py), only what belongs to the selection is compared, and deleted only when git has it nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schoolnet.netbox import applied
from schoolnet.netbox.client import Current, State
from schoolnet.netbox.desired import Desired, DesiredObject
from schoolnet.netbox.mapping import TYPES, Key, Value, key_text
from schoolnet.netbox.ports import INTERFACE, templated
from schoolnet.netbox.scope import Anchors, Limit
from schoolnet.problems import Location


@dataclass
class Change:
    """One write: create, update (field: old -> new), delete, or adopt (an unowned object taken over)."""

    action: str
    type: str
    key: Key
    location: Location | None         # None for a delete: git no longer says it
    id: int | None = None             # None for a create
    fields: dict[str, tuple[Value, Value]] = field(default_factory=dict)
    want: DesiredObject | None = None
    have: Current | None = None
    cascade: list[str] = field(default_factory=list)  # a delete: what NetBox deletes with it, the plan does not

    @property
    def name(self) -> str:
        return f"{self.type} {key_text(self.key)}"


@dataclass(frozen=True)
class DriftField:
    """A field edited in NetBox by hand since schoolnet wrote it, and not (or not yet) equal to git."""

    type: str
    key: Key
    id: int
    location: Location
    field: str
    git: Value
    netbox: Value


@dataclass
class Plan:
    changes: list[Change]
    unowned: list[Change]   # objects with a desired key that schoolnet does not own: left alone
    drift: list[DriftField]
    desired: Desired
    state: State
    adopt: bool = False
    limit: Limit | None = None

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, dict[str, int]]:
        """{type: {action: n}} for the types with changes, in write order."""
        result: dict[str, dict[str, int]] = {}
        for change in self.changes:
            actions = result.setdefault(change.type, {})
            actions[change.action] = actions.get(change.action, 0) + 1
        return {t.name: result[t.name] for t in TYPES if t.name in result}


def drifted(want: DesiredObject, have: Current) -> list[DriftField]:
    """Fields whose NetBox value is neither git's nor what schoolnet last wrote there, each at its own line."""
    found = []
    for name, value in have.attrs.items():
        written = have.applied.get(name)
        if written is not None and applied.digest(value) != written and value != want.attrs[name]:
            found.append(DriftField(want.type, want.key, have.id, Desired.field_location(want, name), name,
                                    want.attrs[name], value))
    return found


def make_plan(desired: Desired, state: State, adopt: bool = False, limit: Limit | None = None) -> Plan:
    """Compare per type; reads nothing, writes nothing."""
    changes: list[Change] = []
    unowned: list[Change] = []
    drift: list[DriftField] = []
    chosen = limit.selected(desired.objects) if limit else None
    placed = Anchors(state.objects)
    for object_type in TYPES:
        everywhere = desired.objects.get(object_type.name, {})
        wanted = everywhere if chosen is None else {
            key: want for key, want in everywhere.items() if key in chosen.get(object_type.name, ())}
        present = state.objects.get(object_type.name, {})
        for key, want in wanted.items():
            have = present.get(key)
            if have is None:
                changes.append(Change("create", object_type.name, key, want.location,
                                      fields={n: (None, v) for n, v in want.attrs.items()}, want=want))
                continue
            diff = {n: (have.attrs[n], v) for n, v in want.attrs.items() if have.attrs.get(n) != v}
            if not have.owned:
                entry = Change("adopt", object_type.name, key, want.location, have.id, diff, want, have)
                (changes if adopt or _made_from_template(desired, state, key, object_type.name) else unowned
                 ).append(entry)
                continue
            stale = object_type.tagged and have.applied != applied.digests(want.attrs)
            if diff or stale:
                changes.append(Change("update", object_type.name, key, want.location, have.id, diff, want, have))
                drift.extend(drifted(want, have))
        if object_type.tagged:
            gone = [(key, have) for key, have in present.items() if have.owned and key not in everywhere]
        else:  # a set-up object schoolnet made and needs no more (a custom field of an old name): full runs only
            gone = [(key, have) for key, have in present.items()
                    if have.owned and key not in everywhere and limit is None]
        gone += [(twin.key, twin) for twin in state.twins if twin.type == object_type.name]
        changes.extend(Change("delete", object_type.name, key, None, have.id, have=have) for key, have in gone
                       if limit is None or limit.holds(placed.of(object_type.name, key)))
    _cascades(changes, state)
    return Plan(changes, unowned, drift, desired, state, adopt, limit)


def _made_from_template(desired: Desired, state: State, key: Key, type_name: str) -> bool:
    """An untagged port of a device schoolnet owns, that its type's template gave it (ports.py): schoolnet's."""
    if type_name != INTERFACE:
        return False
    device = state.objects.get("dcim.device", {}).get(key[:-1])
    return device is not None and device.owned and templated(desired.objects, key)


# What NetBox deletes along with an object: a device's interfaces, an interface's MACs and addresses.
CASCADE = {"dcim.device": (("dcim.interface", "device"),),
           "dcim.interface": (("dcim.macaddress", "assigned_object"), ("ipam.ipaddress", "assigned_object"))}


def _cascades(changes: list[Change], state: State) -> None:
    """Name on each delete what NetBox will delete with it that the plan does not delete itself: an address, a
    MAC or an interface added by hand to a device schoolnet deletes goes too, and the plan says so."""
    deleted = {(c.type, c.key) for c in changes if c.action == "delete"}
    pointing: dict[tuple[str, str], dict[Key, list[Current]]] = {}
    for dependents in CASCADE.values():
        for type_name, attr in dependents:
            index = pointing.setdefault((type_name, attr), {})
            for current in state.objects.get(type_name, {}).values():
                target = current.attrs.get(attr)
                if isinstance(target, tuple):
                    index.setdefault(target, []).append(current)

    def along(type_name: str, key: Key) -> list[Current]:
        """Every object NetBox deletes with this one (at any depth) that the plan does not delete itself."""
        found = []
        for dependent_type, attr in CASCADE.get(type_name, ()):
            for current in pointing[(dependent_type, attr)].get(key, []):
                if (current.type, current.key) not in deleted:
                    found.append(current)
                found += along(current.type, current.key)
        return found

    reported: set[tuple[str, Key]] = set()  # each on the outermost delete that takes it: a device before its ports
    for type_name in CASCADE:
        for change in (c for c in changes if c.action == "delete" and c.type == type_name):
            taken = [c for c in along(change.type, change.key) if (c.type, c.key) not in reported]
            reported |= {(c.type, c.key) for c in taken}
            change.cascade = [f"{c.type} {key_text(c.key)}" + ("" if c.owned else " (not schoolnet's)")
                              for c in taken]
