"""The lab's stand-in for what joins a school to the data center: the provider's line and the tunnel.

A container cannot load WireGuard, so the lab routes where production tunnels: every
school's edge server has its uplink port on one lab segment, 100.64.0.0/16 (the shared
address space providers use toward their customers), and the lab's own namespace routes
between that segment and the data center's networks, on each of which it holds one
address no device of the inventory uses.  A school then reaches the data center's
supernet, and the data center each school's prefix, as they would through the tunnel:
a tablet's request through the school's cache gets its answer from the content server.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from ipaddress import IPv4Address, IPv4Network

from schoolnet.ipam.plan import Addressing
from schoolnet.model.fleet import Fleet, Host

SEGMENT = IPv4Network("100.64.0.0/16")
ROUTER = SEGMENT.network_address + 1
BRIDGE = "bwan"


class UplinkError(ValueError):
    """The lab's segment cannot be used with this inventory; the message says why."""


@dataclass(frozen=True)
class Route:
    prefix: str
    via: str


def dc_bridge(network: str) -> str:
    """The lab bridge of a data-center network (interface names are at most 15 characters)."""
    return f"bdc-{network}"[:15]


def port_names(fleet: Fleet, host: Host) -> tuple[str, str]:
    """A server's first two ports, as the templates name them: the uplink, then the school side."""
    model = fleet.catalog.get(host.model)
    ports = model.port_names() if model is not None else []
    return (ports[0] if ports else "eth0", ports[1] if len(ports) > 1 else "eth1")


class Uplinks:
    """Addresses and routes of the lab's stand-in network, all derived from the inventory."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.addressing = Addressing(fleet)
        supernets = fleet.programme.supernets
        for name in ("schools", "datacenter", "tunnels"):
            if getattr(supernets, name).overlaps(SEGMENT):
                raise UplinkError(f"the {name} supernet {getattr(supernets, name)} overlaps the lab's uplink segment "
                                  f"{SEGMENT}: the lab cannot stand in for the tunnel here")

    def edge_address(self, index: int) -> IPv4Address:
        """The uplink address of the edge server that is lab host `index` (1, 2, ...)."""
        return SEGMENT.network_address + 1 + index

    def edge_routes(self) -> list[Route]:
        """What a school sends through its tunnel in production goes to the lab's router."""
        return [Route(str(self.fleet.programme.supernets.datacenter), str(ROUTER))]

    def school_route(self, host: Host, index: int) -> Route | None:
        """In the lab's namespace: the school's prefix lies behind its edge server."""
        plan = self.addressing.school(host.school) if host.school is not None else None
        return Route(str(plan.prefix), str(self.edge_address(index))) if plan is not None else None

    @cached_property
    def router_addresses(self) -> dict[str, str]:
        """bridge -> address/length the router holds on it: the uplink segment, and on each DC network
        the highest address that no device of the inventory uses."""
        found = {BRIDGE: f"{ROUTER}/{SEGMENT.prefixlen}"}
        for site in self.fleet.datacenters:
            used = {i.address for d in site.devices for i in getattr(d, "interfaces", []) if i.address}
            for network in site.networks:
                free = network.prefix.broadcast_address - 1
                while free in used and free > network.prefix.network_address + 1:
                    free -= 1
                if free not in used:
                    found[dc_bridge(network.name)] = f"{free}/{network.prefix.prefixlen}"
        return found

    def dc_routes(self, bridge: str) -> list[Route]:
        """A data-center host on `bridge` reaches the schools and their uplinks through the router."""
        router = self.router_addresses.get(bridge)
        if router is None:
            return []
        via = router.split("/")[0]
        return [Route(str(SEGMENT), via), Route(str(self.fleet.programme.supernets.schools), via)]
