"""Ports from the hardware catalogue: interface templates, and the interfaces NetBox makes from them.

A device type's ports (`hardware.yaml` `ports`) are its interface templates.  NetBox copies a
device type's templates into interfaces the moment a device of that type is created, untagged
and with the template's values; so a port git describes on a new device already exists when
apply comes to create it (NetBox holds a device's interface names unique).  Such interfaces are
schoolnet's without --adopt: apply takes them over in the run that created their device (tags
them, writes git's values), and a plan that finds one untagged on a device schoolnet owns (an
apply stopped in between) adopts it.  A device created before its type had templates gets its
ports the ordinary way, created by apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from schoolnet.netbox.client import endpoint, rows, talking
from schoolnet.netbox.mapping import Key, ObjectType, Value

INTERFACE = "dcim.interface"
TEMPLATE = "dcim.interfacetemplate"
DEVICES_PER_READ = 100  # device ids in one ?device_id=... query string

# NetBox interface type -> speed in kbit/s, as NetBox stores `speed`
SPEEDS = {"1000base-t": 1_000_000, "1000base-x-sfp": 1_000_000, "10gbase-x-sfpp": 10_000_000,
          "100gbase-x-qsfp28": 100_000_000}


class HasAttrs(Protocol):
    @property
    def attrs(self) -> dict[str, Value]: ...


class HasObjects(Protocol):
    @property
    def objects(self) -> dict[str, dict[Key, Any]]: ...


def speed_of(kind: str) -> int | None:
    return SPEEDS.get(kind)


def templated(desired: Mapping[str, Mapping[Key, HasAttrs]], key: Key) -> bool:
    """Whether git's interface `key` (device, name) is a port of its device's type: NetBox made it from a template."""
    device = desired.get("dcim.device", {}).get(key[:-1])
    device_type = device.attrs.get("device_type") if device is not None else None
    return isinstance(device_type, tuple) and (*device_type, key[-1]) in desired.get(TEMPLATE, {})


def made_by_netbox(api: Any, object_type: ObjectType, creates: list[Any], desired: HasObjects,
                   ids: dict[str, dict[Key, int]], created: dict[str, set[Key]]) -> dict[Key, int]:
    """The ids of the interfaces to create that NetBox already made from templates, when this apply created their
    device: one read per DEVICES_PER_READ such devices, none when no device was created."""
    if object_type.name != INTERFACE:
        return {}
    new_devices = created.get("dcim.device", set())
    wanted = {c.key for c in creates if c.key[:-1] in new_devices and templated(desired.objects, c.key)}
    if not wanted:
        return {}
    device_ids = sorted({ids["dcim.device"][key[:-1]] for key in wanted})
    names = {oid: key for key, oid in ids["dcim.device"].items()}
    found: dict[Key, int] = {}
    for start in range(0, len(device_ids), DEVICES_PER_READ):
        with talking(api, "reading the ports NetBox made for new devices"):
            for row in rows(api, endpoint(api, object_type).url,
                            {"device_id": device_ids[start:start + DEVICES_PER_READ], "fields": "id,name,device"}):
                device = row.get("device") or {}
                key = (*names.get(int(device.get("id", 0)), ("",)), str(row.get("name")))
                if key in wanted:
                    found[key] = int(row["id"])
    return found
