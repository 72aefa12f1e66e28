"""Cables from the inventory: what plugs into what at a school, so NetBox can trace a port to its provider.

A school's inventory says two links outright:
- the edge server's first catalogue port (WAN, as render names it) meets the A side of the school's
  current uplink (the first active, provisioning or planned one, as render picks it);
- a switch's `uplink_port` faces the edge server's second port (LAN, the trunk `eno2` whose
  sub-interfaces carry the VLANs).  The edge server's catalogue gives it one LAN port and a
  NetBox interface holds one cable, so the first switch with an uplink is cabled to it; further
  switches say they face the edge server but not through which port (a school of four switches
  runs them behind an unmanaged aggregation or a stack the inventory does not describe), and get
  no cable rather than an invented one.
The data center's inventory declares no links (its devices list interfaces and addresses only),
so it has no cables.

A cable's identity is its label, the A end as "<device> <port>": a cable someone re-plugs in
NetBox keeps its label, so the plan shows the moved end (or drift names it) instead of a cable
deleted and another created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schoolnet.model.fleet import Fleet, Host
from schoolnet.model.school import School
from schoolnet.render.context import LAN, WAN

if TYPE_CHECKING:
    from schoolnet.netbox.desired import Desired

CURRENT_UPLINK = ("active", "provisioning", "planned")  # render's choice of a school's uplink, in this order of lines


def cable_label(device: str, port: str) -> str:
    return f"{device} {port}"


def school_cables(out: Desired, fleet: Fleet, school: School, hosts: list[Host]) -> None:
    """The school's cables, each at the inventory line that makes it (the uplink, the switch's uplink_port)."""
    edge = next((h for h in hosts if h.kind == "edge"), None)
    model = fleet.catalog.get(edge.model) if edge is not None else None
    ports = model.port_names() if model is not None else []
    if edge is None or len(ports) <= WAN:
        return
    index, uplink = next(((i, u) for i, u in enumerate(school.uplinks) if u.status in CURRENT_UPLINK), (-1, None))
    if uplink is not None:  # inventory text reaches NetBox whole, never inside a sentence: the circuit is the far end
        _cable(out, fleet.loc(school, "uplinks", index), (edge.hostname, ports[WAN]),
               ("circuits.circuittermination", uplink.provider, uplink.circuit_id, "A"),
               "connected" if uplink.status == "active" else "planned", "uplink to the provider")
    if len(ports) <= LAN:
        return
    switch = next((h for h in hosts if h.kind == "switch" and getattr(h.device, "uplink_port", None)), None)
    if switch is not None:
        port = str(switch.device.uplink_port)  # type: ignore[union-attr]
        _cable(out, fleet.host_location(switch, "uplink_port"), (switch.hostname, port),
               ("dcim.interface", edge.hostname, ports[LAN]),
               "connected" if switch.status == "active" else "planned", f"{switch.hostname} to {edge.hostname}")


def _cable(out: Desired, location: Any, a: tuple[str, str], b: tuple[str, ...], status: str,
           description: str) -> None:
    out.add("dcim.cable", location, label=cable_label(*a), a_terminations=("dcim.interface", *a), b_terminations=b,
            status=status, description=description)
