"""Cables: each end names a port that exists, and a port holds one cable."""

from __future__ import annotations

from collections.abc import Iterator

from schoolnet.model.datacenter import Datacenter, DcDevice
from schoolnet.model.fleet import Fleet
from schoolnet.model.topology import school_switch_links
from schoolnet.problems import Problem
from schoolnet.rulebook import problem
from schoolnet.validate.registry import Context, rule
from schoolnet.validate.rules.references import _unknown


def _ports(fleet: Fleet, device: DcDevice) -> list[str]:
    model = fleet.catalog.get(device.model)
    return [*(model.port_names() if model else []), *(i.name for i in device.interfaces)]


@rule("SN208", "unknown-link-end", "A data-center link names a device, port or circuit its site does not have, "
      "or says neither which device nor which circuit is at its far end.",
      bad="links:\n  - {device: nx-dc1-fw-01, port: wan1, circuit: NXF-DC1-IP-09}",
      good="links:\n  - {device: nx-dc1-fw-01, port: wan1, circuit: NXF-DC1-IP-01}")
def unknown_link_ends(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for site in fleet.datacenters:
        devices = {d.hostname: d for d in site.devices}
        circuits = {c.circuit_id for c in site.circuits}
        for index in range(len(site.links)):
            yield from _link_problems(fleet, site, index, devices, circuits)


def _link_problems(fleet: Fleet, site: Datacenter, index: int, devices: dict[str, DcDevice],
                   circuits: set[str]) -> Iterator[Problem]:
    link = site.links[index]
    for key, port_key, name, port in (("device", "port", link.device, link.port),
                                      ("peer", "peer_port", link.peer, link.peer_port)):
        if name is None:
            continue
        if name not in devices:
            yield _unknown("SN208", fleet.loc(site, "links", index, key), "device", name, devices,
                           f"the devices of {site.site}")
        elif port is None:
            yield problem("SN208", fleet.loc(site, "links", index, key), f"link to {name} names no port",
                          "add peer_port: the port of that device the cable plugs into")
        elif port not in (ports := _ports(fleet, devices[name])):
            yield _unknown("SN208", fleet.loc(site, "links", index, port_key), f"port of {name}", port, ports,
                           "the device's model ports in hardware.yaml or its interfaces")
    if (link.peer is None) == (link.circuit is None):
        yield problem("SN208", fleet.loc(site, "links", index), "a link needs one far end: a peer device or a circuit",
                      "give either peer and peer_port, or circuit")
    elif link.circuit is not None and link.circuit not in circuits:
        yield _unknown("SN208", fleet.loc(site, "links", index, "circuit"), "circuit", link.circuit, circuits,
                       f"the circuits of {site.site}")


@rule("SN110", "port-cabled-twice", "Two data-center links plug into one port, or into one circuit.",
      bad="- {device: nx-dc1-core-01, port: 10GE1/0/1, ...}\n- {device: nx-dc1-core-01, port: 10GE1/0/1, ...}",
      good="- {device: nx-dc1-core-01, port: 10GE1/0/1, ...}\n- {device: nx-dc1-core-01, port: 10GE1/0/2, ...}")
def ports_cabled_twice(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for site in fleet.datacenters:
        seen: dict[tuple[str, ...], int] = {}
        for index, link in enumerate(site.links):
            ends: list[tuple[str, ...]] = [("port", link.device, link.port)]
            ends += [("peer", link.peer, link.peer_port)] if link.peer and link.peer_port else []
            ends += [("circuit", link.circuit)] if link.circuit else []
            for key, *end in ends:
                first = seen.setdefault(tuple(end), index)
                if first != index:
                    yield problem("SN110", fleet.loc(site, "links", index, key),
                                  f"{' '.join(end)} is already cabled by link {first + 1} "
                                  f"(line {fleet.loc(site, 'links', first).line})",
                                  "a port holds one cable: pick a free port, or remove one of the two links")


@rule("SN209", "no-spare-port", "A school has more switches than its first switch has ports left to plug them "
      "into (ports neither its uplink nor the port plan takes).",
      bad="devices: [edge, sw1, sw2, sw3, sw4, sw5]   # sw1 has 3 spare ports",
      good="devices: [edge, sw1, sw2, sw3, sw4]")
def switches_without_a_port(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for school in fleet.schools:
        for link in school_switch_links(fleet, school):
            if link.peer_port is None and link.peer.kind == "switch":
                yield problem("SN209", fleet.host_location(link.switch), f"{link.switch.hostname} has no port to "
                              f"plug into: {link.peer.hostname}'s spare ports are all taken",
                              f"give {link.peer.hostname} a model with more ports, or free some from the port plan "
                              "(programme.yaml access_ports)")
