"""Cables from the inventory: what plugs into what, so NetBox can trace a port to its provider.

A school's cables are its topology (`schoolnet.model.topology`): the edge server's WAN port meets the A
side of the school's current uplink (the first active, provisioning or planned one, as render picks it);
the first switch's uplink meets the edge server's LAN port; each further switch's uplink meets the
first switch's next spare port.  The data center's cables are its `links:`, each from a device's port
to another device's port or to one of the site's circuits.

A cable's identity is its label, the A end as "<device> <port>": a cable someone re-plugs in NetBox
keeps its label, so the plan shows the moved end (or drift names it) instead of a cable deleted and
another created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schoolnet.model.datacenter import Datacenter
from schoolnet.model.fleet import Fleet, Host
from schoolnet.model.school import School
from schoolnet.model.topology import WAN, catalogue_ports, school_switch_links

if TYPE_CHECKING:
    from schoolnet.netbox.desired import Desired

CURRENT_UPLINK = ("active", "provisioning", "planned")  # render's choice of a school's uplink, in this order of lines


def cable_label(device: str, port: str) -> str:
    return f"{device} {port}"


def school_cables(out: Desired, fleet: Fleet, school: School, hosts: list[Host]) -> None:
    """The school's cables, each at the inventory line that makes it (the uplink, the switch's uplink_port)."""
    edge = next((h for h in hosts if h.kind == "edge"), None)
    ports = catalogue_ports(fleet, edge) if edge is not None else []
    if edge is None or len(ports) <= WAN:
        return
    index, uplink = next(((i, u) for i, u in enumerate(school.uplinks) if u.status in CURRENT_UPLINK), (-1, None))
    if uplink is not None:  # inventory text reaches NetBox whole, never inside a sentence: the circuit is the far end
        _cable(out, fleet.loc(school, "uplinks", index), (edge.hostname, ports[WAN]),
               ("circuits.circuittermination", uplink.provider, uplink.circuit_id, "A"),
               "connected" if uplink.status == "active" else "planned", "uplink to the provider")
    for link in school_switch_links(fleet, school):
        if link.peer_port is None:
            continue  # SN209: no port left on the first switch
        switch = link.switch
        where = fleet.host_location(switch, "uplink_port") if getattr(switch.device, "uplink_port", None) \
            else fleet.host_location(switch)
        _cable(out, where, (switch.hostname, link.port), ("dcim.interface", link.peer.hostname, link.peer_port),
               "connected" if switch.status == "active" and link.peer.status == "active" else "planned",
               f"{switch.hostname} to {link.peer.hostname}")


def datacenter_cables(out: Desired, fleet: Fleet, site: Datacenter) -> None:
    """The site's `links:`, each at its own line; a cable is connected when both ends are in service."""
    status = {d.hostname: d.status for d in site.devices} | {c.circuit_id: c.status for c in site.circuits}
    providers = {c.circuit_id: c.provider for c in site.circuits}
    for index, link in enumerate(site.links):
        if link.circuit is not None:
            far: tuple[str, ...] = ("circuits.circuittermination", providers[link.circuit], link.circuit, "A")
            description = "to the provider"
        else:
            far = ("dcim.interface", str(link.peer), str(link.peer_port))
            description = f"{link.device} to {link.peer}"
        live = status[link.device] == "active" and status[link.circuit or str(link.peer)] == "active"
        _cable(out, fleet.loc(site, "links", index), (link.device, link.port), far,
               "connected" if live else "planned", description)


def _cable(out: Desired, location: Any, a: tuple[str, str], b: tuple[str, ...], status: str,
           description: str) -> None:
    out.add("dcim.cable", location, label=cable_label(*a), a_terminations=("dcim.interface", *a), b_terminations=b,
            status=status, description=description)
