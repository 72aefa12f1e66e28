"""SN2xx: every name that points at something must find it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from schoolnet.problems import Location, Problem
from schoolnet.rulebook import problem
from schoolnet.validate.registry import Context, rule


def _unknown(code: str, where: Location, what: str, value: str, known: Iterable[str], place: str) -> Problem:
    close = difflib.get_close_matches(value, list(known), n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"add it to {place} first"
    return problem(code, where, f"unknown {what} '{value}'", hint)


@rule("SN201", "unknown-model", "A device or tablet names a model that is not in hardware.yaml.",
      bad="model: dell-poweredge-r2600", good="model: dell-poweredge-r260")
def unknown_models(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    catalog = fleet.catalog
    for host in fleet.hosts:
        if host.model not in catalog:
            yield _unknown("SN201", fleet.host_location(host, "model"), "model", host.model, catalog, "hardware.yaml")
    for school in fleet.schools:
        for index, tablet in enumerate(school.tablets):
            if tablet.model not in catalog:
                yield _unknown("SN201", fleet.loc(school, "tablets", index, "model"), "model", tablet.model,
                               catalog, "hardware.yaml")


@rule("SN202", "unknown-district", "A school names a district that programme.yaml does not list.",
      bad="district: ordubd", good="district: ordubad")
def unknown_districts(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    districts = {d.id for d in fleet.programme.districts}
    for school in fleet.schools:
        if school.district not in districts:
            yield _unknown("SN202", fleet.loc(school, "district"), "district", school.district, districts,
                           "programme.yaml districts")


@rule("SN203", "unknown-port", "A switch's uplink_port is not a port of its hardware model.",
      bad="uplink_port: XGigabitEthernet0/0/9", good="uplink_port: XGigabitEthernet0/0/1")
def unknown_ports(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    ports_of = {m.id: set(m.port_names()) for m in fleet.hardware.models}
    for host in fleet.hosts:
        port = getattr(host.device, "uplink_port", None)
        model = fleet.catalog.get(host.model)
        if port is None or model is None:
            continue
        ports = ports_of[model.id]
        if port not in ports:
            yield _unknown("SN203", fleet.host_location(host, "uplink_port"), f"port of {model.id}", port, ports,
                           f"the ports of {model.id} in hardware.yaml")


@rule("SN204", "unknown-rack", "A data-center device names a rack its site does not have.",
      bad="rack: r9", good="rack: r01")
def unknown_racks(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for site in fleet.datacenters:
        racks = {r.name for r in site.racks}
        for index, device in enumerate(site.devices):
            if device.rack is not None and device.rack not in racks:
                yield _unknown("SN204", fleet.loc(site, "devices", index, "rack"), "rack", device.rack, racks,
                               f"the racks of {site.site}")


@rule("SN205", "model-kind-mismatch", "A device uses a catalog model of another kind (a switch model as a tablet).",
      bad="kind: switch\nmodel: samsung-galaxy-tab-a9plus", good="kind: switch\nmodel: huawei-s5735-l24p4s-a")
def model_kinds(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for host in fleet.hosts:
        model = fleet.catalog.get(host.model)
        if model is not None and model.kind != host.kind:
            yield problem("SN205", fleet.host_location(host, "model"),
                          f"{host.hostname} is a {host.kind} but model {model.id} is a {model.kind}",
                          f"use a {host.kind} model from hardware.yaml")
    for school in fleet.schools:
        for index, tablet in enumerate(school.tablets):
            model = fleet.catalog.get(tablet.model)
            if model is not None and model.kind != "tablet":
                yield problem("SN205", fleet.loc(school, "tablets", index, "model"),
                              f"tablet slot {tablet.slot} uses model {model.id}, which is a {model.kind}",
                              "use a tablet model from hardware.yaml")


@rule("SN206", "unknown-network", "A data-center interface names a network its site does not define.",
      bad="network: mgmnt", good="network: mgmt")
def unknown_networks(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for site in fleet.datacenters:
        networks = {n.name for n in site.networks}
        for d, device in enumerate(site.devices):
            for i, interface in enumerate(device.interfaces):
                if interface.network is not None and interface.network not in networks:
                    yield _unknown("SN206", fleet.loc(site, "devices", d, "interfaces", i, "network"), "network",
                                   interface.network, networks, f"the networks of {site.site}")


@rule("SN207", "unknown-provider", "A circuit names a provider that programme.yaml does not list.",
      bad="provider: nxfibre", good="provider: nxfiber")
def unknown_providers(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    providers = {p.id for p in fleet.programme.providers}
    for owner in [*fleet.schools, *fleet.datacenters]:
        key = "uplinks" if hasattr(owner, "uplinks") else "circuits"
        for index, circuit in enumerate(getattr(owner, key)):
            if circuit.provider not in providers:
                yield _unknown("SN207", fleet.loc(owner, key, index, "provider"), "provider", circuit.provider,
                               providers, "programme.yaml providers")
