"""Counts and look-ups over a fleet, for `schoolnet inventory stats|show`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from schoolnet.model.fleet import Fleet
from schoolnet.model.types import TabletStatus
from schoolnet.problems import Location

TABLET_STATUSES: tuple[str, ...] = TabletStatus.__args__  # type: ignore[attr-defined]


def fleet_stats(fleet: Fleet) -> dict[str, Any]:
    kinds = Counter(host.kind for host in fleet.hosts)
    tablets: Counter[str] = Counter(t.status for s in fleet.schools for t in s.tablets)
    circuits = [c for s in fleet.schools for c in s.uplinks] + [c for d in fleet.datacenters for c in d.circuits]
    return {
        "programme": fleet.programme.name,
        "schools": len(fleet.schools),
        "districts": len(fleet.programme.districts),
        "datacenters": len(fleet.datacenters),
        "racks": sum(len(d.racks) for d in fleet.datacenters),
        "edge_servers": kinds["edge"],
        "switches": kinds["switch"],
        "servers": kinds["server"],
        "other_devices": sum(n for k, n in kinds.items() if k not in {"edge", "switch", "server"}),
        "tablets": sum(tablets.values()),
        "tablets_by_status": {status: tablets[status] for status in TABLET_STATUSES},
        "circuits": len(circuits),
        "circuits_by_status": dict(sorted(Counter(c.status for c in circuits).items())),
        "students": sum(s.students for s in fleet.schools),
    }


@dataclass
class Found:
    """What a name refers to, where it is written, and its fields."""

    kind: str
    name: str
    location: Location
    fields: dict[str, Any]


def find(fleet: Fleet, name: str) -> list[Found]:
    """Everything called `name`: a school id, a hostname, or a tablet serial (case-insensitive)."""
    wanted = name.lower()
    found: list[Found] = []
    for school in fleet.schools:
        if school.id == wanted:
            found.append(Found("school", school.id, fleet.loc(school, "id"), {
                **school.model_dump(mode="json", exclude={"devices", "tablets", "uplinks"}),
                "hosts": school.device_hostnames(), "tablets": len(school.tablets),
                "uplinks": [u.model_dump(mode="json") for u in school.uplinks],
                "prefix": str(fleet.ledger.allocations.get(school.id, "none"))}))
        for index, tablet in enumerate(school.tablets):
            if tablet.serial.lower() == wanted:
                found.append(Found("tablet", tablet.serial, fleet.loc(school, "tablets", index),
                                   {"school": school.id, **tablet.model_dump(mode="json", exclude_none=True)}))
    for host in fleet.hosts:
        if host.hostname == wanted:
            fields = {"site": host.site, "roles": list(host.roles),
                      **host.device.model_dump(mode="json", exclude_none=True)}
            found.append(Found(host.kind, host.hostname, fleet.host_location(host), fields))
    return found
