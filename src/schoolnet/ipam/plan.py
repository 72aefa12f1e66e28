"""Derive every school address from its ledger prefix and the VLAN plan.

Nothing here is stored: a school's VLAN subnets, the edge server's gateway
addresses, switch management addresses and tablet reservations all follow
from (prefix, VLAN plan, device ordinal or tablet slot).  Typing an address
twice is how fleets drift; deriving it is how they don't.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from ipaddress import IPv4Address, IPv4Network
from typing import Any, NamedTuple

from schoolnet.model.fleet import Fleet
from schoolnet.model.programme import Programme, Vlan
from schoolnet.model.school import School, tablet_name


@dataclass(frozen=True)
class VlanSubnet:
    vlan: Vlan
    network: IPv4Network

    @cached_property
    def base(self) -> int:
        return int(self.network.network_address)

    def host(self, index: int) -> IPv4Address:
        return IPv4Address(self.base + index)

    @property
    def gateway(self) -> IPv4Address:
        return self.host(self.vlan.gateway)

    @cached_property
    def last_host_index(self) -> int:
        return self.network.num_addresses - 2


class AssignedAddress(NamedTuple):
    """One derived address (an int and a tuple: 100,000 tablets are checked often) and whose it is."""

    name: str
    kind: str
    vlan: str
    value: int
    host_index: int
    path: tuple[Any, ...]

    @property
    def address(self) -> IPv4Address:
        return IPv4Address(self.value)


def vlan_network(prefix: IPv4Network, vlan: Vlan) -> IPv4Network | None:
    """The VLAN's subnet inside `prefix`, or None when the plan puts it outside or misaligned."""
    size = 2 ** (32 - vlan.prefix_length)
    if vlan.offset % size or vlan.offset + size > prefix.num_addresses:
        return None
    return IPv4Network((int(prefix.network_address) + vlan.offset, vlan.prefix_length))


@dataclass
class SchoolAddressing:
    school: School
    prefix: IPv4Network
    vlans: list[VlanSubnet]

    def vlan(self, name: str) -> VlanSubnet:
        return next(v for v in self.vlans if v.vlan.name == name)

    def reserving(self, kind: str) -> VlanSubnet | None:
        """The VLAN that reserves addresses for devices of `kind`."""
        return next((v for v in self.vlans if kind in v.vlan.reservations), None)

    @cached_property
    def assigned(self) -> list[AssignedAddress]:
        """Every fixed address of the school's devices: gateways and device reservations."""
        result: list[AssignedAddress] = []
        names = self.school.device_hostnames()
        ordinals = self.school.device_ordinals()
        for index, device in enumerate(self.school.devices):
            path = ("devices", index)
            if device.kind == "edge":
                result += [AssignedAddress(names[index], "edge", v.vlan.name, v.base + v.vlan.gateway,
                                           v.vlan.gateway, path) for v in self.vlans]
                continue
            subnet = self.reserving(device.kind)
            if subnet is not None:
                host_index = subnet.vlan.reservations[device.kind] + ordinals[index] - 1
                result.append(AssignedAddress(names[index], device.kind, subnet.vlan.name,
                                              subnet.base + host_index, host_index, path))
        return result

    def tablet_reservations(self) -> Iterator[tuple[int, int, int]]:
        """(position in the tablet list, host index, address as int) for each tablet, by its slot.

        Plain tuples: this runs for every tablet of the fleet on every validate."""
        subnet = self.reserving("tablet")
        if subnet is None:
            return
        offset = subnet.vlan.reservations["tablet"] - 1
        base = subnet.base
        for position, tablet in enumerate(self.school.tablets):
            host_index = offset + tablet.slot
            yield position, host_index, base + host_index

    def tablet_addresses(self) -> list[AssignedAddress]:
        """The tablets' reservations as named addresses, for people and templates."""
        subnet = self.reserving("tablet")
        tablets = self.school.tablets
        return [AssignedAddress(tablet_name(self.school.id, tablets[p].slot), "tablet", subnet.vlan.name, value,
                                index, ("tablets", p))
                for p, index, value in self.tablet_reservations() if subnet is not None]

    def management_address(self, hostname: str) -> IPv4Address | None:
        """The address a host is managed on: its reservation, or the edge server's first VLAN gateway."""
        return next((a.address for a in self.assigned if a.name == hostname), None)


class Addressing:
    """Addresses of the whole fleet, derived lazily per school."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.programme: Programme = fleet.programme
        self._cache: dict[str, SchoolAddressing | None] = {}

    def prefix(self, school_id: str) -> IPv4Network | None:
        return self.fleet.ledger.allocations.get(school_id)

    def school(self, school: School) -> SchoolAddressing | None:
        """None when the school has no prefix or the VLAN plan does not fit it."""
        if school.id not in self._cache:
            self._cache[school.id] = self._resolve(school)
        return self._cache[school.id]

    def _resolve(self, school: School) -> SchoolAddressing | None:
        prefix = self.prefix(school.id)
        if prefix is None:
            return None
        subnets = []
        for vlan in self.programme.vlans:
            network = vlan_network(prefix, vlan)
            if network is None:
                return None
            subnets.append(VlanSubnet(vlan, network))
        return SchoolAddressing(school, prefix, subnets)
