"""Where a MAC was seen: a switch's MAC table (switch, port, VLAN) or an edge server's DHCP lease (address).

A switch learns a MAC on every port the frames cross: a tablet behind the fourth switch is also in
the first switch's table, on the downlink to the fourth.  A sighting on an access port (one the port
plan gives a VLAN) says where the device is plugged in; one on a trunk only that it is behind it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from schoolnet.model.fleet import Fleet
from schoolnet.model.school import tablet_name
from schoolnet.model.topology import access_ports
from schoolnet.observe.snapshot import Snapshot

_HEX = re.compile(r"[^0-9a-f]")


def normalise_mac(text: str) -> str:
    """Any notation (02:5C:.., 025c.31.., 02-5c-..) as lower-case colon pairs; '' when it is not 12 hex digits."""
    digits = _HEX.sub("", text.lower())
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2)) if len(digits) == 12 else ""


@dataclass(frozen=True)
class Sighting:
    mac: str
    at: datetime
    device: str  # the switch or edge server that saw it
    school: str | None
    port: str | None = None
    vlan: int | None = None
    address: str | None = None  # a DHCP lease's
    access: bool = False  # seen on an access port: plugged in there

    def where(self) -> str:
        parts = [self.school or "the data center", self.device]
        if self.port:
            parts.append(f"port {self.port}")
        if self.vlan is not None:
            parts.append(f"VLAN {self.vlan}")
        if self.address:
            parts.append(f"lease {self.address}")
        return ", ".join(parts)


def sightings(fleet: Fleet, snapshot: Snapshot) -> dict[str, list[Sighting]]:
    """MAC -> every sighting in one snapshot, the most telling first (an access port, a lease, a trunk)."""
    hosts = {h.hostname: h for h in fleet.hosts}
    found: dict[str, list[Sighting]] = {}
    plugged: dict[str, frozenset[str]] = {}  # a switch's access ports
    now = snapshot.taken_at.timestamp()
    for name, observation in snapshot.observations.items():
        host = hosts.get(name)
        if not observation.ok or host is None:
            continue
        school = host.school.id if host.school is not None else None
        if host.kind == "switch" and name not in plugged:
            plugged[name] = frozenset(access_ports(fleet, host))
        for entry in observation.facts.get("mac_table", []):
            mac = normalise_mac(str(entry.get("mac", "")))
            if mac:
                port = str(entry.get("port") or "") or None
                found.setdefault(mac, []).append(Sighting(
                    mac, snapshot.taken_at, name, school, port, _vlan(entry.get("vlan")),
                    access=port in plugged.get(name, frozenset())))
        for lease in observation.facts.get("leases", []):
            mac = normalise_mac(str(lease.get("mac", "")))
            expires = int(lease.get("expires") or 0)
            if mac and not 0 < expires < now:  # dnsmasq writes 0 for a lease that never expires
                found.setdefault(mac, []).append(Sighting(mac, snapshot.taken_at, name, school,
                                                          address=str(lease.get("address", "")) or None))
    for seen in found.values():
        seen.sort(key=lambda s: (not s.access, s.address is None))
    return found


def last_seen(fleet: Fleet, history: Iterable[Snapshot]) -> dict[str, Sighting]:
    """MAC -> its most telling sighting in the newest snapshot that saw it (history newest first)."""
    found: dict[str, Sighting] = {}
    for snapshot in history:
        for mac, seen in sightings(fleet, snapshot).items():
            found.setdefault(mac, seen[0])
    return found


def _vlan(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def device_last_seen(fleet: Fleet, history: list[Snapshot],
                     by_mac: dict[str, Sighting] | None = None) -> dict[str, datetime]:
    """Device name -> when it was last seen: a server or switch when it answered, a tablet when its MAC was
    seen (history newest first; `by_mac`: `last_seen` of the same history, when the caller has it)."""
    found: dict[str, datetime] = {}
    for snapshot in history:
        for name, observation in snapshot.observations.items():
            if observation.ok:
                found.setdefault(name, snapshot.taken_at)
    by_mac = last_seen(fleet, history) if by_mac is None else by_mac
    for school in fleet.schools:
        for tablet in school.tablets:
            sighting = by_mac.get(normalise_mac(tablet.mac))
            if sighting is not None:
                found.setdefault(tablet_name(school.id, tablet.slot), sighting.at)
    return found
