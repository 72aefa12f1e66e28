"""`schoolnet locate`: where a MAC, serial or hostname was last seen, beside where the inventory puts it.

A MAC is looked up in the observations (switch MAC tables, DHCP leases); a serial or hostname names a
device or tablet of the inventory, whose MAC (a tablet's, or what its server reported) is looked up the
same way, and whose own observation (a server or switch reached) counts as seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schoolnet.model.fleet import Fleet
from schoolnet.model.school import tablet_name
from schoolnet.observe.sightings import Sighting, last_seen, normalise_mac
from schoolnet.observe.snapshot import FOLDER, Snapshot, history


@dataclass
class Located:
    asked: str
    what: str  # "tablet R9AX... of nx-sad-001", "switch nx-sad-001-sw1", "unknown MAC"
    declared: str  # where the inventory says, with file:line; "" when it does not know it
    seen: Sighting | None
    reached: tuple[str, str] | None = None  # (snapshot time, environment) when the device itself answered

    def lines(self) -> list[str]:
        out = [f"{self.asked}: {self.what}", f"  inventory: {self.declared or 'not in the inventory'}"]
        if self.seen is not None:
            out.append(f"  last seen: {self.seen.at:%Y-%m-%d %H:%M} UTC at {self.seen.where()}")
        if self.reached is not None:
            out.append(f"  last observed: {self.reached[0]} ({self.reached[1]})")
        if self.seen is None and self.reached is None:
            out.append("  last seen: never, in any observation")
        return out

    def as_json(self) -> dict[str, Any]:
        seen = self.seen
        return {"asked": self.asked, "what": self.what, "declared": self.declared,
                "last_seen": None if seen is None else {
                    "at": seen.at.isoformat(), "school": seen.school, "device": seen.device, "port": seen.port,
                    "vlan": seen.vlan, "address": seen.address, "access_port": seen.access},
                "last_observed": None if self.reached is None else {"at": self.reached[0],
                                                                    "environment": self.reached[1]}}


def _snapshots(root: Path, environment: str | None) -> list[Snapshot]:
    base = root / FOLDER
    names = [environment] if environment else sorted(p.name for p in base.iterdir() if p.is_dir()) \
        if base.is_dir() else []
    found = [s for name in names for s in history(root, name)]
    return sorted(found, key=lambda s: s.taken_at, reverse=True)


def locate_any(fleet: Fleet, root: Path, asked: str, environment: str | None) -> Located | None:
    snapshots = _snapshots(root, environment)
    seen = last_seen(fleet, snapshots)
    key = asked.strip()
    mac = normalise_mac(key) if len(key) >= 12 else ""
    for school in fleet.schools:
        for index, tablet in enumerate(school.tablets):
            name = tablet_name(school.id, tablet.slot)
            if key.upper() in (tablet.serial.upper(), name.upper()) or (mac and normalise_mac(tablet.mac) == mac):
                where = fleet.loc(school, "tablets", index)
                return Located(key, f"tablet {tablet.serial} ({name}, slot {tablet.slot}, {tablet.status})",
                               f"{school.id} at {where}", seen.get(normalise_mac(tablet.mac)))
    for host in fleet.hosts:
        if key.lower() == host.hostname.lower() or key.upper() == host.serial.upper():
            reached = next(((s.name, s.environment) for s in snapshots
                            if (o := s.observations.get(host.hostname)) is not None and o.ok), None)
            macs: dict[str, str] = next((o.facts.get("macs", {}) for s in snapshots
                         if (o := s.observations.get(host.hostname)) is not None and o.ok), {})
            sighting = next((seen[m] for m in map(normalise_mac, macs.values()) if m in seen), None)
            return Located(key, f"{host.kind} {host.hostname} (serial {host.serial})",
                           f"{host.site} at {fleet.host_location(host)}", sighting, reached)
    if mac:
        return Located(key, "a MAC the inventory does not know", "", seen.get(mac))
    return None
