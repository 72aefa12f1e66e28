"""What schoolnet writes to NetBox, declared once (diffsync's identifiers/attributes model).

One row per NetBox object type: its pynetbox endpoint, the fields that identify an
object, the attributes schoolnet owns, which of them point at other types, and the
order types are written in.  desired.py fills these attributes from the fleet,
client.py reads them back in the same shape, plan.py compares the two and apply.py
writes the difference; none of them names a NetBox field on its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from schoolnet.netbox.errors import NetboxError
from schoolnet.netbox.platforms import CONTEXT_PREFIX

Value = str | int | float | bool | None | tuple[str, ...]
Key = tuple[str, ...]

TAG = "schoolnet"  # the tag that marks an object as schoolnet's: the only objects it changes or deletes
# the custom field in which earlier versions kept their per-field digests on every object: it reached every
# consumer's host variables, so they are kept in books.py now; a full apply moves them there and deletes it
APPLIED = "schoolnet_applied"
# The set-up objects (the tag, the custom fields) carry no tag: they are schoolnet's when their description is
# the one it writes.  One someone else made under the same name is never changed unless adopted (--adopt).
TAG_DESCRIPTION = "managed by schoolnet: edit the inventory in git, not this object"
FIELD_DESCRIPTION = "written by schoolnet from the inventory"
SETUP_MARKS = frozenset({TAG_DESCRIPTION, FIELD_DESCRIPTION})


class Kind(StrEnum):
    """How a value is compared, so NetBox's representation and git's compare equal when they mean the same."""

    TEXT = "text"          # None and "" are the same value; written as ""
    OPT_TEXT = "opt_text"  # None and "" are the same value; written as null (unique fields: asset tags)
    INT = "int"
    NUMBER = "number"      # NetBox decimals: whole numbers compare as ints, others rounded to 6 places
    BOOL = "bool"
    CHOICE = "choice"      # NetBox returns {"value": ..., "label": ...}; compared by value
    REF = "ref"            # a foreign key to a mapped type; the value is that object's key
    GENERIC = "generic"    # a generic foreign key (<name>_type, <name>_id) to one mapped type
    MAC = "mac"            # compared in lower case
    LIST = "list"          # an order-free list of strings
    REFS = "refs"          # many-to-many references to a type identified by one field (a context's platforms)
    JSON = "json"          # a JSON document (a config context's data), compared in canonical JSON text
    # a cable end: NetBox's `a_terminations` list of {object_type, object_id}; schoolnet writes one object per end,
    # so the value is that object's type and key, ("dcim.interface", device, name), whatever type it is
    ENDPOINT = "endpoint"


@dataclass(frozen=True)
class Attr:
    """One owned attribute: its NetBox field (under custom_fields when `custom`) and how it compares."""

    name: str
    kind: Kind = Kind.TEXT
    target: str | None = None  # the type a REF or GENERIC points at
    late: bool = False         # points at a type written later: set in a second pass (primary_ip4)
    custom: bool = False       # a custom field

    @property
    def is_ref(self) -> bool:
        return self.kind in (Kind.REF, Kind.GENERIC, Kind.REFS, Kind.ENDPOINT)

    def points_at(self, value: Value) -> tuple[str, Key] | None:
        """The type and key of the object a reference value names (None for no reference): a REF or GENERIC names
        its one target type, a cable end carries its own type first."""
        if not isinstance(value, tuple) or not value or not self.is_ref or self.kind is Kind.REFS:
            return None  # REFS name many objects: their users read them one by one
        if self.kind is Kind.ENDPOINT:  # an end schoolnet does not know reads ("dcim.interface#7",): points nowhere
            return (value[0], value[1:]) if value[0] in BY_NAME and len(value) > 1 else None
        return self.target or "", value


@dataclass(frozen=True)
class ObjectType:
    """One NetBox object type as schoolnet sees it."""

    name: str                      # NetBox's content type, "dcim.device": also used in generic refs
    app: str                       # pynetbox app ("dcim")
    endpoint: str                  # pynetbox endpoint attribute ("device_types" -> /api/dcim/device-types/)
    identifiers: tuple[str, ...]   # attrs whose values make the key
    attrs: tuple[Attr, ...]        # every owned attr, identifiers included
    tagged: bool = True            # False: set-up objects (the tag, custom fields), schoolnet's by their description
    # values NetBox holds unique (together) that an object git deletes may hand on to another: an asset tag, a rack slot
    unique: tuple[tuple[str, ...], ...] = ()
    # where an object belongs, for --limit (scope.py): "" shared by all (types, roles, regions); "self" a site or a
    # device; an attr: where the object it points at belongs; "TYPE.ATTR": where the TYPE objects pointing at it
    # through ATTR belong (a circuit is where its terminations are)
    owner: str = ""
    # a filter on every read of the type: only the objects whose names schoolnet gives (config contexts)
    read_filter: tuple[tuple[str, str], ...] = ()

    def attr(self, name: str) -> Attr:
        return next(a for a in self.attrs if a.name == name)

    @property
    def fields(self) -> list[str]:
        """The NetBox fields to read (`?fields=`): everything compared, and what ownership needs."""
        names = ["id"]
        for attr in self.attrs:
            if attr.custom:
                continue
            names += [f"{attr.name}_type", f"{attr.name}_id"] if attr.kind is Kind.GENERIC else [attr.name]
        if any(attr.custom for attr in self.attrs):  # ownership is read apart: ?tag=schoolnet&fields=id costs less
            names.append("custom_fields")
        return names


def _a(name: str, kind: Kind = Kind.TEXT, target: str | None = None, late: bool = False) -> Attr:
    return Attr(name, kind, target, late)


def _cf(name: str, kind: Kind = Kind.TEXT) -> Attr:
    return Attr(name, kind, custom=True)


NAME_SLUG = (_a("name"), _a("slug"))

TYPES: tuple[ObjectType, ...] = (
    ObjectType("extras.tag", "extras", "tags", ("slug",),
               (*NAME_SLUG, _a("color"), _a("description")), tagged=False),
    ObjectType("extras.customfield", "extras", "custom_fields", ("name",),
               (_a("name"), _a("type", Kind.CHOICE), _a("object_types", Kind.LIST), _a("label"),
                _a("description"), _a("ui_visible", Kind.CHOICE), _a("ui_editable", Kind.CHOICE)), tagged=False),
    ObjectType("dcim.region", "dcim", "regions", ("slug",), NAME_SLUG),
    ObjectType("dcim.site", "dcim", "sites", ("slug",),
               (*NAME_SLUG, _a("status", Kind.CHOICE), _a("region", Kind.REF, "dcim.region"),
                _a("physical_address"), _a("latitude", Kind.NUMBER), _a("longitude", Kind.NUMBER),
                _a("time_zone"), _a("facility"), _cf("schoolnet_synthetic", Kind.BOOL)), unique=(("name",),),
               owner="self"),
    ObjectType("dcim.rack", "dcim", "racks", ("site", "name"),
               (_a("site", Kind.REF, "dcim.site"), _a("name"), _a("status", Kind.CHOICE), _a("u_height", Kind.INT)),
               owner="site"),
    ObjectType("dcim.manufacturer", "dcim", "manufacturers", ("slug",), NAME_SLUG),
    ObjectType("dcim.devicetype", "dcim", "device_types", ("slug",),
               (_a("manufacturer", Kind.REF, "dcim.manufacturer"), _a("model"), _a("slug"),
                _a("u_height", Kind.NUMBER), _cf("schoolnet_power_draw_w", Kind.INT))),
    ObjectType("dcim.devicerole", "dcim", "device_roles", ("slug",),
               (*NAME_SLUG, _a("color"), _a("vm_role", Kind.BOOL))),
    ObjectType("dcim.platform", "dcim", "platforms", ("slug",), (*NAME_SLUG, _a("description"))),
    # Ansible's names for a platform (platforms.py); owned by its description, like the custom fields: a config
    # context's tags say which devices it applies to, so schoolnet's tag on it would mean every device
    ObjectType("extras.configcontext", "extras", "config_contexts", ("name",),
               (_a("name"), _a("description"), _a("weight", Kind.INT), _a("is_active", Kind.BOOL),
                _a("platforms", Kind.REFS, "dcim.platform"), _a("data", Kind.JSON)), tagged=False,
               read_filter=(("name__isw", CONTEXT_PREFIX),)),
    ObjectType("dcim.device", "dcim", "devices", ("name",),
               (_a("name"), _a("device_type", Kind.REF, "dcim.devicetype"), _a("role", Kind.REF, "dcim.devicerole"),
                _a("platform", Kind.REF, "dcim.platform"), _a("site", Kind.REF, "dcim.site"),
                _a("status", Kind.CHOICE), _a("serial"), _a("asset_tag", Kind.OPT_TEXT),
                _a("rack", Kind.REF, "dcim.rack"), _a("position", Kind.NUMBER), _a("face", Kind.CHOICE),
                _cf("schoolnet_handover_certificate"), _cf("schoolnet_handover_date"),
                _cf("schoolnet_handover_received_by"),
                _a("primary_ip4", Kind.REF, "ipam.ipaddress", late=True)),
               unique=(("asset_tag",), ("rack", "position")), owner="self"),
    # a device type's ports (hardware.yaml): NetBox makes them a new device's interfaces, untagged (apply owns them
    # then).  Written after devices: a first apply creates each port once, with its VLAN and tag, instead of NetBox
    # making it and apply rewriting it (measured in docs/netbox.md).  Templates take no tags: schoolnet's
    # are those with its description, like the set-up objects
    ObjectType("dcim.interfacetemplate", "dcim", "interface_templates", ("device_type", "name"),
               (_a("device_type", Kind.REF, "dcim.devicetype"), _a("name"), _a("type", Kind.CHOICE),
                _a("mgmt_only", Kind.BOOL), _a("description")), tagged=False),
    ObjectType("ipam.role", "ipam", "roles", ("slug",), (*NAME_SLUG, _a("description"))),
    ObjectType("ipam.vlangroup", "ipam", "vlan_groups", ("slug",),
               (*NAME_SLUG, _a("scope", Kind.GENERIC, "dcim.site")), owner="scope"),
    ObjectType("ipam.vlan", "ipam", "vlans", ("group", "vid"),
               (_a("group", Kind.REF, "ipam.vlangroup"), _a("vid", Kind.INT), _a("name"), _a("status", Kind.CHOICE),
                _a("role", Kind.REF, "ipam.role"), _a("description")), owner="group"),
    # VLANs come before interfaces: an access port's untagged VLAN is then written with the port itself
    ObjectType("dcim.interface", "dcim", "interfaces", ("device", "name"),
               (_a("device", Kind.REF, "dcim.device"), _a("name"), _a("type", Kind.CHOICE), _a("speed", Kind.INT),
                _a("mgmt_only", Kind.BOOL), _a("description"), _a("mode", Kind.CHOICE),
                _a("untagged_vlan", Kind.REF, "ipam.vlan"), _a("parent", Kind.REF, "dcim.interface", late=True),
                _a("primary_mac_address", Kind.REF, "dcim.macaddress", late=True)), owner="device"),
    ObjectType("dcim.macaddress", "dcim", "mac_addresses", ("mac_address",),
               (_a("mac_address", Kind.MAC), _a("assigned_object", Kind.GENERIC, "dcim.interface")),
               owner="assigned_object"),
    ObjectType("ipam.prefix", "ipam", "prefixes", ("prefix",),
               (_a("prefix"), _a("scope", Kind.GENERIC, "dcim.site"), _a("vlan", Kind.REF, "ipam.vlan"),
                _a("status", Kind.CHOICE), _a("role", Kind.REF, "ipam.role"), _a("description")), owner="scope"),
    ObjectType("ipam.ipaddress", "ipam", "ip_addresses", ("address",),
               (_a("address"), _a("assigned_object", Kind.GENERIC, "dcim.interface"), _a("status", Kind.CHOICE),
                _a("dns_name"), _a("description")), owner="assigned_object"),
    ObjectType("circuits.provider", "circuits", "providers", ("slug",), NAME_SLUG),
    ObjectType("circuits.circuittype", "circuits", "circuit_types", ("slug",), NAME_SLUG),
    ObjectType("circuits.circuit", "circuits", "circuits", ("provider", "cid"),
               (_a("provider", Kind.REF, "circuits.provider"), _a("cid"), _a("type", Kind.REF, "circuits.circuittype"),
                _a("status", Kind.CHOICE), _a("commit_rate", Kind.INT), _a("description")),
               owner="circuits.circuittermination.circuit"),
    ObjectType("circuits.circuittermination", "circuits", "circuit_terminations", ("circuit", "term_side"),
               (_a("circuit", Kind.REF, "circuits.circuit"), _a("term_side", Kind.CHOICE),
                _a("termination", Kind.GENERIC, "dcim.site")), owner="termination"),
    # a cable's identity is the label schoolnet writes (its A end, "nx-sad-001-sw1 XGigabitEthernet0/0/1"): a cable
    # re-plugged by hand keeps its label, so the move is a change of an end, not a new cable
    ObjectType("dcim.cable", "dcim", "cables", ("label",),
               (_a("label"), _a("a_terminations", Kind.ENDPOINT, "dcim.interface"),
                _a("b_terminations", Kind.ENDPOINT, "dcim.interface"), _a("status", Kind.CHOICE),
                _a("description")), owner="a_terminations"),
)

BY_NAME: dict[str, ObjectType] = {t.name: t for t in TYPES}


class Step(NamedTuple):
    """One pass of the apply: a type's objects, or (late) its attrs that point at `target`, written just before."""

    type: str
    late: bool = False
    target: str = ""

    def attrs(self) -> tuple[Attr, ...]:
        """The late attrs this pass sets (an interface's parent after interfaces, its MAC after MACs)."""
        return tuple(a for a in BY_NAME[self.type].attrs if a.late and a.target == self.target)


def _steps() -> tuple[Step, ...]:
    """Types in order; a type's late attrs right after the last type they point at."""
    steps: list[Step] = []
    for object_type in TYPES:
        steps.append(Step(object_type.name))
        for earlier in TYPES:
            late_targets = {a.target for a in earlier.attrs if a.late}
            if object_type.name in late_targets:
                steps.append(Step(earlier.name, late=True, target=object_type.name))
    return tuple(steps)


STEPS: tuple[Step, ...] = _steps()


# Custom fields schoolnet creates, under names of its own (another team's `synthetic` is theirs):
# name -> (type, object types, label, visible in the UI).
CUSTOM_FIELDS: dict[str, tuple[str, tuple[str, ...], str, bool]] = {
    "schoolnet_synthetic": ("boolean", ("dcim.site",), "Synthetic (example data)", True),
    "schoolnet_power_draw_w": ("integer", ("dcim.devicetype",), "Power draw (W)", True),
    "schoolnet_handover_certificate": ("text", ("dcim.device",), "Handover certificate", True),
    "schoolnet_handover_date": ("date", ("dcim.device",), "Handover date", True),
    "schoolnet_handover_received_by": ("text", ("dcim.device",), "Handover received by", True),
    # written by `netbox last-seen` from observations, never by plan/apply (git holds no value for it)
    "schoolnet_last_seen": ("datetime", ("dcim.device",), "Last seen", True),
}


def key_of(object_type: ObjectType, attrs: dict[str, Value]) -> Key:
    """An object's key: its identifier values, a reference's key spliced in (interface = device key + name)."""
    parts: list[str] = []
    for name in object_type.identifiers:
        value = attrs.get(name)
        if isinstance(value, tuple):
            parts.extend(value)
        else:
            parts.append("" if value is None else str(canonical(object_type.attr(name), value)))
    return tuple(parts)


def canonical(attr: Attr, value: object) -> Value:
    """One comparable form for a value from git or from NetBox (NetBox's nested forms already resolved)."""
    kind = attr.kind
    if isinstance(value, dict) and "value" in value:  # a choice: {"value": "active", "label": "Active"}
        value = value["value"]
    if kind in (Kind.TEXT, Kind.OPT_TEXT):  # NetBox's API trims text, so git's " x " and NetBox's "x" are one value
        return "" if value is None else str(value).strip()
    if value is None:
        return None
    if kind is Kind.INT and isinstance(value, int | float | str):
        return int(value)
    if kind is Kind.NUMBER and isinstance(value, int | float | str):
        number = round(float(value), 6)
        return int(number) if number.is_integer() else number
    if kind is Kind.BOOL:
        return bool(value)
    if kind is Kind.MAC:
        return str(value).lower()
    if kind is Kind.LIST and isinstance(value, list | tuple):
        return tuple(sorted(str(v) for v in value))
    if kind is Kind.JSON:
        return json.dumps(json.loads(value) if isinstance(value, str) else value, sort_keys=True)
    if kind is Kind.REFS and isinstance(value, list | tuple):
        return tuple(sorted(str(v) for v in value))
    if kind in (Kind.REF, Kind.GENERIC, Kind.ENDPOINT) and isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return str(value)


def key_text(key: Key) -> str:
    return " ".join(key)


def show(value: Value) -> str:
    """A value as a person reads it in a plan or drift line."""
    if value is None or value == "":
        return "(none)"
    if isinstance(value, tuple):
        return key_text(value) if value else "(none)"
    return str(value)


# NetBox's limits (4.7 models): slugs [-a-zA-Z0-9_]+ up to 100, names up to 100 (devices and interfaces 64).
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_LENGTH: dict[tuple[str, str], int] = {
    ("dcim.device", "name"): 64, ("dcim.interface", "name"): 64, ("ipam.vlan", "name"): 64,
    ("dcim.device", "serial"): 50, ("dcim.device", "asset_tag"): 50, ("dcim.rack", "name"): 100,
    ("circuits.circuit", "cid"): 100, ("dcim.site", "physical_address"): 200, ("dcim.site", "facility"): 50,
    ("ipam.ipaddress", "dns_name"): 255,
}
DEFAULT_MAX = 100


def check_names(object_type: ObjectType, attrs: dict[str, Value], where: str) -> None:
    """Fail with the inventory line when NetBox could not hold a slug or name: better here than a 400 mid-apply."""
    for attr in object_type.attrs:
        value = attrs.get(attr.name)
        if not isinstance(value, str) or attr.custom or attr.kind not in (Kind.TEXT, Kind.OPT_TEXT):
            continue
        if attr.name == "slug" and not SLUG.match(value):
            raise NetboxError(f"{where}: {value!r} cannot be a NetBox slug ({object_type.name}): use only letters, "
                              "digits, '-' and '_'")
        limit = MAX_LENGTH.get((object_type.name, attr.name), DEFAULT_MAX if attr.name in ("name", "slug") else 0)
        if limit and len(value) > limit:
            raise NetboxError(f"{where}: {attr.name} {value!r} is {len(value)} characters; NetBox holds at most "
                              f"{limit} for {object_type.name} (shorten it in the inventory)")
