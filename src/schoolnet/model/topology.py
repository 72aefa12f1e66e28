"""How a school is plugged together: the one answer render, validate, NetBox and the observer share.

The inventory says a school's links through the hardware catalogue and the programme's port plan:
- the edge server's first catalogue port faces the provider (WAN), its second the school (LAN, the
  trunk whose sub-interfaces carry the VLANs);
- a switch's `uplink_port` (by default its last catalogue port) carries every VLAN towards the edge
  server; the port plan (`programme.yaml` `access_ports`) numbers its other ports, so `1` is the first
  port that is not the uplink;
- the edge server has one LAN port, so the school's first switch plugs into it, and each further switch
  plugs into the first switch's next spare port: a port the port plan leaves free, in catalogue order
  (on the reference models the uplink-class ports beside the first switch's own uplink,
  XGigabitEthernet0/0/2-4 and GigabitEthernet1/1/2-4).  A star through the first switch, as a school
  cabinet of stacked access switches is wired; the first switch's spare ports are trunks carrying every
  VLAN on, and its downlinks are written in its rendered configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from schoolnet.model.fleet import Fleet, Host
from schoolnet.model.school import School

WAN, LAN = 0, 1  # edge server ports in the catalogue: the first faces the provider, the second the school


def port_numbers(spec: str | None) -> list[int]:
    """'1-8,23' -> [1..8, 23]"""
    numbers: list[int] = []
    for part in (spec or "").split(","):
        if part:
            first, _, last = part.partition("-")
            numbers.extend(range(int(first), int(last or first) + 1))
    return numbers


def catalogue_ports(fleet: Fleet, host: Host) -> list[str]:
    model = fleet.catalog.get(host.model)
    return model.port_names() if model is not None else []


def uplink_port(fleet: Fleet, host: Host) -> str | None:
    """A switch's uplink: its `uplink_port`, or its last catalogue port."""
    ports = catalogue_ports(fleet, host)
    return getattr(host.device, "uplink_port", None) or (ports[-1] if ports else None)


def access_ports(fleet: Fleet, host: Host) -> dict[str, int]:
    """Port name -> VID of each access port the port plan gives a switch (counted without its uplink)."""
    ports = catalogue_ports(fleet, host)
    uplink = uplink_port(fleet, host)
    access = [p for p in ports if p != uplink]
    return {access[n - 1]: vlan.vid for vlan in fleet.programme.vlans for n in port_numbers(vlan.access_ports)
            if n <= len(access)}


def spare_ports(fleet: Fleet, host: Host) -> list[str]:
    """A switch's ports that neither its uplink nor the port plan takes, in catalogue order."""
    taken = {uplink_port(fleet, host), *access_ports(fleet, host)}
    return [p for p in catalogue_ports(fleet, host) if p not in taken]


@dataclass(frozen=True)
class SwitchLink:
    """A switch's uplink and what it plugs into; `peer_port` is None when no port is left for it."""

    switch: Host
    port: str
    peer: Host
    peer_port: str | None


def school_switch_links(fleet: Fleet, school: School) -> list[SwitchLink]:
    """Each switch's uplink, in inventory order: the first into the edge server's LAN port, the rest into
    the first switch's spare ports."""
    hosts = fleet.school_hosts.get(school.id, [])
    edge = next((h for h in hosts if h.kind == "edge"), None)
    switches = [h for h in hosts if h.kind == "switch"]
    if edge is None or not switches:
        return []
    edge_ports = catalogue_ports(fleet, edge)
    first = switches[0]
    links: list[SwitchLink] = []
    first_uplink = uplink_port(fleet, first)
    if first_uplink is not None:
        links.append(SwitchLink(first, first_uplink, edge, edge_ports[LAN] if len(edge_ports) > LAN else None))
    spare = iter(spare_ports(fleet, first))
    for switch in switches[1:]:
        port = uplink_port(fleet, switch)
        if port is not None:
            links.append(SwitchLink(switch, port, first, next(spare, None)))
    return links


def downlinks(fleet: Fleet, host: Host) -> list[SwitchLink]:
    """The links whose far end is this switch (the first switch of its school), in port order."""
    if host.school is None or host.kind != "switch":
        return []
    return [link for link in school_switch_links(fleet, host.school)
            if link.peer is host and link.peer_port is not None]
