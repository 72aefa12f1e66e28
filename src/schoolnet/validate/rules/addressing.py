"""SN3xx: the VLAN plan, the address ledger, and addresses inside their networks."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from schoolnet.ipam.plan import vlan_network
from schoolnet.problems import Problem
from schoolnet.rulebook import problem
from schoolnet.validate.registry import Context, rule


@rule("SN301", "address-outside-network",
      "A data-center address lies outside its network, or a network outside the data-center supernet.",
      bad="{name: eno1, network: servers, address: 10.0.30.11}", good="{name: eno1, network: servers, "
      "address: 10.0.20.11}")
def addresses_inside_networks(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    supernet = fleet.programme.supernets.datacenter
    for site in fleet.datacenters:
        networks = {n.name: n.prefix for n in site.networks}
        for index, network in enumerate(site.networks):
            if not network.prefix.subnet_of(supernet):
                yield problem("SN301", fleet.loc(site, "networks", index, "prefix"),
                              f"network {network.name} {network.prefix} is outside the data-center supernet "
                              f"{supernet}", "take the prefix from supernets.datacenter")
        for d, device in enumerate(site.devices):
            for i, interface in enumerate(device.interfaces):
                prefix = networks.get(interface.network or "")
                if interface.address is None or prefix is None:
                    continue
                if interface.address not in prefix or interface.address in (prefix.network_address,
                                                                            prefix.broadcast_address):
                    yield problem("SN301", fleet.loc(site, "devices", d, "interfaces", i, "address"),
                                  f"{device.hostname} {interface.name} address {interface.address} is not a host "
                                  f"address of network {interface.network} ({prefix})",
                                  f"pick a free host address in {prefix}")


@rule("SN302", "vlan-plan", "The VLAN plan does not fit the school prefix: a VLAN outside it, misaligned, "
      "overlapping another, a repeated VLAN id, or host indexes outside the subnet.",
      bad="{name: tablets, vid: 30, offset: 500, prefix_length: 23}",
      good="{name: tablets, vid: 30, offset: 512, prefix_length: 23}")
def vlan_plan(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    programme = fleet.programme
    template = IPv4Network((0, programme.school_prefix_length))
    placed: list[tuple[str, IPv4Network]] = []
    seen_vids: dict[int, str] = {}
    for index, vlan in enumerate(programme.vlans):
        where = fleet.loc(programme, "vlans", index)
        if vlan.vid in seen_vids:
            yield problem("SN302", fleet.loc(programme, "vlans", index, "vid"),
                          f"VLAN id {vlan.vid} is used by {seen_vids[vlan.vid]} and {vlan.name}", "give each a vid")
        seen_vids.setdefault(vlan.vid, vlan.name)
        network = vlan_network(template, vlan)
        if network is None:
            yield problem("SN302", fleet.loc(programme, "vlans", index, "offset"),
                          f"VLAN {vlan.name} (offset {vlan.offset}, /{vlan.prefix_length}) is misaligned or "
                          f"outside a /{programme.school_prefix_length}",
                          "use an offset that is a multiple of the subnet size and fits the school prefix")
            continue
        for other, other_network in placed:
            if network.overlaps(other_network):
                yield problem("SN302", where, f"VLAN {vlan.name} overlaps VLAN {other}", "move its offset")
        placed.append((vlan.name, network))
        last = network.num_addresses - 2
        indexes = {"gateway": vlan.gateway, **{f"reservations.{k}": v for k, v in vlan.reservations.items()}}
        if vlan.dhcp is not None:
            indexes |= {"dhcp.first": vlan.dhcp.first, "dhcp.last": vlan.dhcp.last}
            if vlan.dhcp.first > vlan.dhcp.last:
                yield problem("SN302", where, f"VLAN {vlan.name} DHCP range starts after it ends",
                              "swap dhcp.first and dhcp.last")
        for field, value in indexes.items():
            if not 1 <= value <= last:
                yield problem("SN302", where, f"VLAN {vlan.name} {field} = {value} is outside hosts 1..{last}",
                              "choose a host index inside the subnet")


@rule("SN303", "ipam-overlap", "Two ledger prefixes overlap, or a prefix is not the programme's school size.",
      bad="nx-ord-013: 10.64.8.0/22   # same as nx-ord-012", good="nx-ord-013: 10.64.12.0/22")
def ledger_overlaps(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    ledger = fleet.ledger
    length = fleet.programme.school_prefix_length
    ordered = sorted(ledger.allocations.items(), key=lambda item: (int(item[1].network_address), item[0]))
    previous: tuple[str, IPv4Network] | None = None
    for school_id, prefix in ordered:
        if prefix.prefixlen != length:
            where = fleet.loc(ledger, "allocations", school_id)
            yield problem("SN303", where, f"{school_id} holds {prefix}, but schools get a /{length}",
                          f"use `schoolnet ipam allocate {school_id}` for a /{length}")
        if previous is not None and prefix.overlaps(previous[1]):
            where = fleet.loc(ledger, "allocations", school_id)
            yield problem("SN303", where, f"{school_id} {prefix} overlaps {previous[0]} {previous[1]}",
                          f"give {school_id} a free prefix (`schoolnet ipam allocate`)",
                          related=(fleet.loc(ledger, "allocations", previous[0]),))
        if previous is None or int(prefix.broadcast_address) > int(previous[1].broadcast_address):
            previous = (school_id, prefix)


@rule("SN304", "ipam-missing", "A school has no prefix in the ledger, so none of its addresses exist.",
      bad="(nx-ord-099.yaml, no line in ipam.yaml)", good="schoolnet ipam allocate nx-ord-099")
def schools_without_prefix(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for school in fleet.schools:
        if school.id not in fleet.ledger.allocations:
            yield problem("SN304", fleet.loc(school, "id"), f"{school.id} has no prefix in ipam.yaml",
                          f"run `schoolnet ipam allocate {school.id}`")


@rule("SN305", "ipam-unknown-school", "The ledger holds a prefix for a school that has no file.",
      bad="nx-ord-999: 10.64.200.0/22   # no such school", good="(remove the line, or add the school)")
def ledger_unknown_schools(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for school_id in fleet.ledger.allocations:
        if school_id not in fleet.schools_by_id:
            yield problem("SN305", fleet.loc(fleet.ledger, "allocations", school_id),
                          f"ledger entry for unknown school {school_id}",
                          "add the school's file, or free a closed school's prefix: "
                          f"schoolnet ipam release {school_id}")


@rule("SN306", "ipam-outside-supernet", "A ledger prefix lies outside the programme's school supernet.",
      bad="nx-ord-012: 192.168.4.0/22", good="nx-ord-012: 10.64.44.0/22")
def ledger_inside_supernet(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    supernet = getattr(fleet.programme.supernets, fleet.ledger.supernet, None)
    if not isinstance(supernet, IPv4Network):
        yield problem("SN306", fleet.loc(fleet.ledger, "supernet"),
                      f"supernet '{fleet.ledger.supernet}' is not defined in programme.yaml",
                      "use one of: schools, datacenter, tunnels")
        return
    for school_id, prefix in fleet.ledger.allocations.items():
        if not prefix.subnet_of(supernet):
            yield problem("SN306", fleet.loc(fleet.ledger, "allocations", school_id),
                          f"{school_id} {prefix} is outside the school supernet {supernet}",
                          f"allocate from {supernet}")


@rule("SN307", "address-capacity", "A device ordinal or tablet slot maps beyond its VLAN, or into the DHCP "
      "dynamic range.", bad="slot: 400   # lands in the dynamic range", good="slot: 40")
def reservations_fit(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for school in fleet.schools:
        plan = ctx.addressing.school(school)
        if plan is None:
            continue
        subnets = {v.vlan.name: v for v in plan.vlans}
        reservations = [(a.host_index, a.name, a.vlan, (*a.path, "kind")) for a in plan.assigned if a.kind != "edge"]
        tablets = plan.reserving("tablet")
        if tablets is not None:
            last, dhcp = tablets.last_host_index, tablets.vlan.dhcp
            low, high = (dhcp.first, dhcp.last) if dhcp else (0, -1)
            reservations += [(index, f"tablet slot {school.tablets[position].slot}", tablets.vlan.name,
                              ("tablets", position, "slot"))
                             for position, index, _ in plan.tablet_reservations()
                             if index > last or low <= index <= high]
        for index, name, vlan, path in reservations:
            subnet = subnets[vlan]
            dhcp = subnet.vlan.dhcp
            if index > subnet.last_host_index:
                yield problem("SN307", fleet.loc(school, *path),
                              f"{name} would get host {index} of VLAN {vlan}, which has only "
                              f"{subnet.last_host_index}", "use a lower slot, or widen the VLAN")
            elif dhcp is not None and dhcp.first <= index <= dhcp.last:
                yield problem("SN307", fleet.loc(school, *path),
                              f"{name} reservation {subnet.host(index)} is inside the DHCP range of VLAN {vlan}",
                              "use a lower slot, or move the DHCP range")


@rule("SN308", "access-ports-overlap", "Two VLANs of the plan (or one VLAN twice) claim the same access-switch "
      "port: a switch would get two sections for one interface.",
      bad="{name: staff, access_ports: '1-8'}, {name: tablets, access_ports: '5-12'}",
      good="{name: staff, access_ports: '1-8'}, {name: tablets, access_ports: '9-12'}")
def access_ports_overlap(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    claimed: dict[int, str] = {}
    for index, vlan in enumerate(fleet.programme.vlans):
        mine: list[int] = []
        for part in (vlan.access_ports or "").split(","):
            first, _, last = part.partition("-")
            mine += range(int(first), int(last or first) + 1) if first else []
        twice = next((port for n, port in enumerate(mine) if port in claimed or port in mine[:n]), None)
        if twice is not None:
            owner = claimed.get(twice, "itself")
            yield problem("SN308", fleet.loc(fleet.programme, "vlans", index, "access_ports"),
                          f"port {twice} of VLAN {vlan.name} ({vlan.access_ports}) is also claimed by {owner}",
                          "give each access port to one VLAN")
        claimed.update({port: f"VLAN {vlan.name}" for port in mine if port not in claimed})
