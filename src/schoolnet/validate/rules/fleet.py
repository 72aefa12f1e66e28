"""SN6xx: fleet invariants from programme.yaml and the shape of each school."""

from __future__ import annotations

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


@rule("SN604", "tablet-total", "The tablets of all schools do not add up to expected.tablets (the procured count).",
      bad="expected: {tablets: 2300}   # 2299 in the schools", good="expected: {tablets: 2300}")
def tablet_total(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    total = sum(len(s.tablets) for s in fleet.schools)
    expected = fleet.programme.expected.tablets
    if total != expected:
        yield problem("SN604", fleet.loc(fleet.programme, "expected", "tablets"),
                      f"the schools list {total} tablets, the programme procured {expected}",
                      "every procured tablet belongs to a school, even in stock or retired")


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
