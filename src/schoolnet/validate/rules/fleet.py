"""SN6xx: fleet invariants from programme.yaml and the shape of each school."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from schoolnet.problems import Problem, Severity
from schoolnet.rulebook import problem
from schoolnet.validate.registry import Context, rule

CURRENT_CIRCUIT = {"planned", "provisioning", "active"}


@rule("SN601", "school-count", "The number of school files differs from expected.schools in programme.yaml.",
      bad="expected: {schools: 216}   # 215 files", good="expected: {schools: 216}   # 216 files")
def school_count(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    expected = fleet.programme.expected.schools
    if len(fleet.schools) != expected:
        yield problem("SN601", fleet.loc(fleet.programme, "expected", "schools"),
                      f"the inventory has {len(fleet.schools)} schools, the programme expects {expected}",
                      "add or remove school files, or change expected.schools with the contract")


@rule("SN602", "edge-count", "A school does not have exactly one edge server.",
      bad="devices: [{kind: switch, ...}]", good="devices: [{kind: edge, ...}, {kind: switch, ...}]")
def edge_count(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for school in fleet.schools:
        edges = [i for i, d in enumerate(school.devices) if d.kind == "edge"]
        if len(edges) != 1:
            where = fleet.loc(school, "devices", edges[1]) if len(edges) > 1 else fleet.loc(school, "devices")
            yield problem("SN602", where, f"{school.id} has {len(edges)} edge servers, it needs exactly one",
                          "keep one device with kind: edge")


@rule("SN603", "uplink-count", "A school does not have exactly one active, provisioning or planned uplink.",
      bad="uplinks: []", good="uplinks: [{provider: nxfiber, circuit_id: ..., status: active, ...}]")
def uplink_count(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for school in fleet.schools:
        current = [u for u in school.uplinks if u.status in CURRENT_CIRCUIT]
        if len(current) != 1:
            yield problem("SN603", fleet.loc(school, "uplinks"),
                          f"{school.id} has {len(current)} current uplinks (active, provisioning or planned), "
                          "it needs exactly one", "set the others' status to decommissioned, or add one")


@rule("SN604", "tablet-total", "The tablets of all schools and the data center's stock do not add up to "
      "expected.tablets (the procured count).",
      bad="expected: {tablets: 2300}   # 2299 in the schools and the stock", good="expected: {tablets: 2300}")
def tablet_total(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    at_schools = sum(len(s.tablets) for s in fleet.schools)
    in_stock = sum(len(d.stock) for d in fleet.datacenters)
    expected = fleet.programme.expected.tablets
    if at_schools + in_stock != expected:
        stock = f" and the stock {in_stock}" if in_stock else ""
        yield problem("SN604", fleet.loc(fleet.programme, "expected", "tablets"),
                      f"the schools list {at_schools} tablets{stock}, the programme procured {expected}",
                      "every procured tablet is at a school or in the data center's stock (`schoolnet tablets "
                      "move SERIAL --to stock`), even when retired")


@rule("SN605", "school-without-tablets", "A school has no tablets.",
      bad="tablets: []", good="tablets:\n  - slot: 1\n    serial: R9...")
def schools_have_tablets(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for school in fleet.schools:
        if not school.tablets:
            yield problem("SN605", fleet.loc(school, "tablets") if "tablets" in fleet.doc(school).data
                          else fleet.loc(school, "id"), f"{school.id} has no tablets",
                          "list the school's class set under tablets:")


@rule("SN606", "district-count", "programme.yaml lists a different number of districts than expected.districts.",
      bad="expected: {districts: 8}   # 7 listed", good="expected: {districts: 8}   # 8 listed")
def district_count(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    districts = fleet.programme.districts
    expected = fleet.programme.expected.districts
    if len(districts) != expected:
        yield problem("SN606", fleet.loc(fleet.programme, "districts"),
                      f"programme.yaml lists {len(districts)} districts, expected {expected}",
                      "list every district once")
    for index, (district, count) in enumerate(Counter(d.id for d in districts).items()):
        if count > 1:
            yield problem("SN606", fleet.loc(fleet.programme, "districts", index),
                          f"district {district} is listed {count} times", "list every district once")


@rule("SN607", "empty-district", "A district has no schools.", severity=Severity.WARNING,
      bad="districts: [..., {id: sadarak, ...}]   # no schools/sadarak/", good="schools/sadarak/nx-sad-001.yaml")
def empty_districts(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    used = {s.district for s in fleet.schools}
    for index, district in enumerate(fleet.programme.districts):
        if district.id not in used:
            yield problem("SN607", fleet.loc(fleet.programme, "districts", index),
                          f"district {district.id} has no schools", "add its schools or remove the district")


@rule("SN608", "handover-record", "A tablet marked handed_over has no handover record (certificate, date, role).",
      bad="status: handed_over", good="status: handed_over\nhandover: {certificate: NX-HO-2025-..., date: 2025-09-02, "
      "received_by: class-teacher}")
def handover_records(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for school in fleet.schools:
        for index, tablet in enumerate(school.tablets):
            if tablet.status == "handed_over" and tablet.handover is None:
                yield problem("SN608", fleet.loc(school, "tablets", index, "status"),
                              f"tablet slot {tablet.slot} ({tablet.serial}) is handed_over without a handover record",
                              "add handover: {certificate, date, received_by}")


@rule("SN609", "stock-with-handover", "A tablet in stock still carries a handover record.", severity=Severity.WARNING,
      bad="status: in_stock\nhandover: {...}", good="status: handed_over\nhandover: {...}")
def stock_without_handover(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for school in fleet.schools:
        for index, tablet in enumerate(school.tablets):
            if tablet.status == "in_stock" and tablet.handover is not None:
                yield problem("SN609", fleet.loc(school, "tablets", index, "handover"),
                              f"tablet slot {tablet.slot} is in_stock but has a handover record",
                              "if it was returned, keep the record in git history and remove it here")


@rule("SN610", "duplicate-role", "A device's roles (its own, or its kind's defaults in programme.yaml) name a "
      "role twice: its files would be rendered twice.",
      bad="roles: [base, dns, cache, cache]", good="roles: [base, dns, cache]")
def duplicate_roles(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    defaults = fleet.programme.defaults
    for kind, kind_defaults in defaults.items():
        for role, count in Counter(kind_defaults.roles or []).items():
            if count > 1:
                yield problem("SN610", fleet.loc(fleet.programme, "defaults", kind, "roles"),
                              f"the default roles of {kind} name {role} {count} times", "name each role once")
    for host in fleet.hosts:
        if host.device.roles is None:
            continue  # its kind's defaults, reported once above
        for role, count in Counter(host.device.roles).items():
            if count > 1:
                yield problem("SN610", fleet.host_location(host, "roles"),
                              f"{host.hostname} names role {role} {count} times", "name each role once")


@rule("SN611", "switch-feature-pattern", "A switch feature in programme.yaml has a pattern that is not a regular "
      "expression, or names a switch OS no hardware model has.",
      bad="huawei-vrp: ['^interface (Gigabit']", good="huawei-vrp: ['^interface (Gigabit|XGigabit)']")
def switch_feature_patterns(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    systems = {m.os for m in fleet.hardware.models if m.kind == "switch"}
    for index, feature in enumerate(fleet.programme.switch_features):
        for os_name, patterns in feature.sections.items():
            if os_name not in systems:
                yield problem("SN611", fleet.loc(fleet.programme, "switch_features", index, "sections", os_name),
                              f"feature {feature.name} names switch OS {os_name!r}, which no switch model in "
                              "hardware.yaml runs", f"use one of: {', '.join(sorted(systems)) or 'none'}")
            for number, pattern in enumerate(patterns):
                try:
                    for part in pattern.split(" >> ", 1):  # `TOP >> INSIDE`: both are expressions
                        re.compile(part)
                except re.error as exc:
                    yield problem("SN611", fleet.loc(fleet.programme, "switch_features", index, "sections",
                                                     os_name, number),
                                  f"feature {feature.name}: {pattern!r} is not a regular expression ({exc})",
                                  "fix the pattern (Python regular expression syntax)")


@rule("SN612", "no-active-circuit", "A school has active devices and no active uplink: either the circuit is live "
      "and its status is stale, or the devices are not in service yet.", severity=Severity.WARNING,
      bad="uplinks: [{..., status: planned}]\ndevices: [{kind: edge, ...}]   # status: active by default",
      good="uplinks: [{..., status: active}]\ndevices: [{kind: edge, ...}]")
def active_devices_without_circuit(ctx: Context) -> Iterator[Problem]:
    # A warning, not an error: the inventory may be right about both (devices installed ahead of the fiber,
    # running on a temporary line); it is a question for whoever knows the site, which the data raised.
    fleet = ctx.fleet
    for school in fleet.schools:
        active = [d for d in school.devices if d.status == "active"]
        if not active or any(u.status == "active" for u in school.uplinks):
            continue
        uplinks = ", ".join(f"{u.circuit_id} is {u.status}" for u in school.uplinks) or "none is listed"
        where = fleet.loc(school, "uplinks") if "uplinks" in fleet.doc(school).data else fleet.loc(school, "id")
        yield problem("SN612", where, f"{school.id} has {len(active)} active device(s) and no active uplink "
                      f"({uplinks})", "set the circuit's status to active if it is live, or the devices' status to "
                      "planned or staged until it is")
