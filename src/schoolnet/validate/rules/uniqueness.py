"""SN1xx: what must be unique fleet-wide (or school-wide)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from ipaddress import IPv4Address
from typing import Any

from schoolnet.problems import Problem
from schoolnet.validate.registry import Column, Context, duplicates, rule


@rule("SN101", "duplicate-hostname", "Two devices share a hostname; DNS, monitoring and deploys would mix them up.",
      bad="hostname: nx-dc1-dns-01   # twice", good="hostname: nx-dc1-dns-02")
def duplicate_hostnames(ctx: Context) -> Iterator[Problem]:
    yield from duplicates(ctx.fleet, "SN101", "hostname", hostnames(ctx))


def hostnames(ctx: Context) -> Column:
    return ctx.host_column(lambda h: h.hostname, "hostname")


@rule("SN102", "duplicate-serial", "Two devices or tablets share a serial number.",
      bad="serial: R9RC7QVW9LZ   # also on another tablet", good="serial: R9RC7QVW9LA")
def duplicate_serials(ctx: Context) -> Iterator[Problem]:
    yield from duplicates(ctx.fleet, "SN102", "serial", serials(ctx))


def serials(ctx: Context) -> Column:
    return (ctx.host_column(lambda h: h.serial, "serial") + ctx.tablet_column(lambda t: t.serial, "serial")
            + ctx.stock_column(lambda t: t.serial, "serial"))


@rule("SN103", "duplicate-asset-tag", "Two items carry the same asset tag.",
      bad="asset_tag: NX-ORD-012-SW1   # on both switches", good="asset_tag: NX-ORD-012-SW2")
def duplicate_asset_tags(ctx: Context) -> Iterator[Problem]:
    yield from duplicates(ctx.fleet, "SN103", "asset tag", asset_tags(ctx))


def asset_tags(ctx: Context) -> Column:
    return (ctx.host_column(lambda h: h.device.asset_tag, "asset_tag")
            + ctx.tablet_column(lambda t: t.asset_tag, "asset_tag")
            + ctx.stock_column(lambda t: t.asset_tag, "asset_tag"))


@rule("SN104", "duplicate-mac", "Two tablets or interfaces share a MAC address; DHCP reservations would clash.",
      bad='mac: "02:5c:4a:51:0b:63"   # also on another tablet', good='mac: "02:5c:4a:51:0b:64"')
def duplicate_macs(ctx: Context) -> Iterator[Problem]:
    yield from duplicates(ctx.fleet, "SN104", "MAC", macs(ctx))


def macs(ctx: Context) -> Column:
    interfaces = Column.of(
        (interface.mac.lower(), site, ("devices", d, "interfaces", i, "mac"))
        for site in ctx.fleet.datacenters for d, device in enumerate(site.devices)
        for i, interface in enumerate(device.interfaces) if interface.mac)
    return (ctx.tablet_column(lambda t: t.mac.lower(), "mac") + ctx.stock_column(lambda t: t.mac.lower(), "mac")
            + interfaces)


@rule("SN105", "duplicate-ip", "Two interfaces or derived reservations have the same IP address.",
      bad="address: 10.0.20.11   # already nx-dc1-vpn-01's", good="address: 10.0.20.30")
def duplicate_ips(ctx: Context) -> Iterator[Problem]:
    yield from duplicates(ctx.fleet, "SN105", "address", addresses(ctx), show=lambda value: str(IPv4Address(value)))


def addresses(ctx: Context) -> Column:
    fleet = ctx.fleet
    rows: list[tuple[int, Any, tuple[Any, ...]]] = [
        (int(interface.address), site, ("devices", d, "interfaces", i, "address"))
        for site in fleet.datacenters for d, device in enumerate(site.devices)
        for i, interface in enumerate(device.interfaces) if interface.address is not None]
    for school in fleet.schools:
        plan = ctx.addressing.school(school)
        if plan is None:
            continue
        edge_seen = False
        for assigned in plan.assigned:
            if assigned.kind == "edge":  # the edge server holds one address per VLAN: count it once
                if edge_seen:
                    continue
                edge_seen = True
            rows.append((assigned.value, school, assigned.path))
        rows += [(value, school, ("tablets", position)) for position, _, value in plan.tablet_reservations()]
    return Column.of(rows)


@rule("SN106", "duplicate-school", "Two school files declare the same school id.",
      bad="id: nx-ord-012   # in nx-ord-013.yaml too", good="id: nx-ord-013")
def duplicate_schools(ctx: Context) -> Iterator[Problem]:
    column = Column.of((s.id, s, ("id",)) for s in ctx.fleet.schools)
    yield from duplicates(ctx.fleet, "SN106", "school id", column)


@rule("SN107", "duplicate-circuit", "Two uplinks or data-center lines share a circuit id.",
      bad="circuit_id: NXF-ORD-0012-FTTB   # at two schools", good="circuit_id: NXF-ORD-0013-FTTB")
def duplicate_circuits(ctx: Context) -> Iterator[Problem]:
    yield from duplicates(ctx.fleet, "SN107", "circuit", circuits(ctx))


def circuits(ctx: Context) -> Column:
    fleet = ctx.fleet
    return Column.of(
        [(f"{u.provider}/{u.circuit_id}", s, ("uplinks", i, "circuit_id"))
         for s in fleet.schools for i, u in enumerate(s.uplinks)]
        + [(f"{c.provider}/{c.circuit_id}", d, ("circuits", i, "circuit_id"))
           for d in fleet.datacenters for i, c in enumerate(d.circuits)])


@rule("SN108", "duplicate-slot", "Two tablets of one school share a slot number; their reservations would clash.",
      bad="slot: 7   # twice in one school", good="slot: 8")
def duplicate_slots(ctx: Context) -> Iterator[Problem]:
    for school in ctx.fleet.schools:
        slots: list[Any] = [t.slot for t in school.tablets]
        if len(set(slots)) != len(slots):
            column = Column.of((slot, school, ("tablets", i, "slot")) for i, slot in enumerate(slots))
            yield from duplicates(ctx.fleet, "SN108", "slot", column, f"in {school.id}")


@rule("SN109", "duplicate-certificate", "Two handovers cite the same certificate number.",
      bad="certificate: NX-HO-2025-ORD012-001   # on two tablets", good="certificate: NX-HO-2025-ORD012-002")
def duplicate_certificates(ctx: Context) -> Iterator[Problem]:
    yield from duplicates(ctx.fleet, "SN109", "certificate", certificates(ctx))


def certificates(ctx: Context) -> Column:
    return ctx.tablet_column(lambda t: t.handover.certificate if t.handover else None, "handover", "certificate")


# What must be unique across schools, by rule: a one-school change is checked against an index of these
# (validate/segments.py) instead of every other school.
FLEET_COLUMNS: dict[str, Callable[[Context], Column]] = {
    "SN101": hostnames, "SN102": serials, "SN103": asset_tags, "SN104": macs, "SN105": addresses,
    "SN107": circuits, "SN109": certificates,
}
