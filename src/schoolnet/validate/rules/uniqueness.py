"""SN1xx: what must be unique fleet-wide (or school-wide)."""

from __future__ import annotations

from collections.abc import Iterator

from schoolnet.problems import Location, Problem
from schoolnet.validate.registry import Context, duplicates, rule


@rule("SN101", "duplicate-hostname", "Two devices share a hostname; DNS, monitoring and deploys would mix them up.",
      bad="hostname: nx-dc1-dns-01   # twice", good="hostname: nx-dc1-dns-02")
def duplicate_hostnames(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    yield from duplicates("SN101", "hostname", (
        (host.hostname, fleet.host_location(host, "hostname")) for host in fleet.hosts))


@rule("SN102", "duplicate-serial", "Two devices or tablets share a serial number.",
      bad="serial: R9RC7QVW9LZ   # also on another tablet", good="serial: R9RC7QVW9LA")
def duplicate_serials(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet

    def serials() -> Iterator[tuple[str, Location]]:
        for host in fleet.hosts:
            yield host.serial, fleet.host_location(host, "serial")
        for school in fleet.schools:
            for index, tablet in enumerate(school.tablets):
                yield tablet.serial, fleet.loc(school, "tablets", index, "serial")

    yield from duplicates("SN102", "serial", serials())


@rule("SN103", "duplicate-asset-tag", "Two items carry the same asset tag.",
      bad="asset_tag: NX-ORD-012-SW1   # on both switches", good="asset_tag: NX-ORD-012-SW2")
def duplicate_asset_tags(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet

    def tags() -> Iterator[tuple[str, Location]]:
        for host in fleet.hosts:
            if host.device.asset_tag:
                yield host.device.asset_tag, fleet.host_location(host, "asset_tag")
        for school in fleet.schools:
            for index, tablet in enumerate(school.tablets):
                if tablet.asset_tag:
                    yield tablet.asset_tag, fleet.loc(school, "tablets", index, "asset_tag")

    yield from duplicates("SN103", "asset tag", tags())


@rule("SN104", "duplicate-mac", "Two tablets or interfaces share a MAC address; DHCP reservations would clash.",
      bad='mac: "02:5c:4a:51:0b:63"   # also on another tablet', good='mac: "02:5c:4a:51:0b:64"')
def duplicate_macs(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet

    def macs() -> Iterator[tuple[str, Location]]:
        for school in fleet.schools:
            for index, tablet in enumerate(school.tablets):
                yield tablet.mac.lower(), fleet.loc(school, "tablets", index, "mac")
        for site in fleet.datacenters:
            for d, device in enumerate(site.devices):
                for i, interface in enumerate(device.interfaces):
                    if interface.mac:
                        yield interface.mac.lower(), fleet.loc(site, "devices", d, "interfaces", i, "mac")

    yield from duplicates("SN104", "MAC", macs())


@rule("SN105", "duplicate-ip", "Two interfaces or derived reservations have the same IP address.",
      bad="address: 10.0.20.11   # already nx-dc1-vpn-01's", good="address: 10.0.20.30")
def duplicate_ips(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet

    def addresses() -> Iterator[tuple[str, Location]]:
        for site in fleet.datacenters:
            for d, device in enumerate(site.devices):
                for i, interface in enumerate(device.interfaces):
                    if interface.address is not None:
                        yield str(interface.address), fleet.loc(site, "devices", d, "interfaces", i, "address")
        for school in fleet.schools:
            plan = ctx.addressing.school(school)
            if plan is None:
                continue
            seen_edge = False
            for assigned in plan.assigned:
                if assigned.kind == "edge":  # the edge server holds one address per VLAN
                    if seen_edge:
                        continue
                    seen_edge = True
                yield str(assigned.address), fleet.loc(school, *assigned.path)

    yield from duplicates("SN105", "address", addresses())


@rule("SN106", "duplicate-school", "Two school files declare the same school id.",
      bad="id: nx-ord-012   # in nx-ord-013.yaml too", good="id: nx-ord-013")
def duplicate_schools(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    yield from duplicates("SN106", "school id", ((s.id, fleet.loc(s, "id")) for s in fleet.schools))


@rule("SN107", "duplicate-circuit", "Two uplinks or data-center lines share a circuit id.",
      bad="circuit_id: NXF-ORD-0012-FTTB   # at two schools", good="circuit_id: NXF-ORD-0013-FTTB")
def duplicate_circuits(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet

    def circuits() -> Iterator[tuple[str, Location]]:
        for school in fleet.schools:
            for index, uplink in enumerate(school.uplinks):
                yield f"{uplink.provider}/{uplink.circuit_id}", fleet.loc(school, "uplinks", index, "circuit_id")
        for site in fleet.datacenters:
            for index, circuit in enumerate(site.circuits):
                yield f"{circuit.provider}/{circuit.circuit_id}", fleet.loc(site, "circuits", index, "circuit_id")

    yield from duplicates("SN107", "circuit", circuits())


@rule("SN108", "duplicate-slot", "Two tablets of one school share a slot number; their reservations would clash.",
      bad="slot: 7   # twice in one school", good="slot: 8")
def duplicate_slots(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for school in fleet.schools:
        yield from duplicates("SN108", f"slot of {school.id}", (
            (str(t.slot), fleet.loc(school, "tablets", i, "slot")) for i, t in enumerate(school.tablets)))


@rule("SN109", "duplicate-certificate", "Two handovers cite the same certificate number.",
      bad="certificate: NX-HO-2025-ORD012-001   # on two tablets", good="certificate: NX-HO-2025-ORD012-002")
def duplicate_certificates(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet

    def certificates() -> Iterator[tuple[str, Location]]:
        for school in fleet.schools:
            for index, tablet in enumerate(school.tablets):
                if tablet.handover is not None:
                    yield tablet.handover.certificate, fleet.loc(school, "tablets", index, "handover", "certificate")

    yield from duplicates("SN109", "certificate", certificates())
