"""The NetBox sync without a NetBox: the reference programme as desired objects, and the plan as data."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from schoolnet.model.fleet import Fleet
from schoolnet.netbox import applied
from schoolnet.netbox.apply import apply_plan, refused
from schoolnet.netbox.client import Current, State, connect, read_state, value_of
from schoolnet.netbox.desired import TABLET_STATUS, Desired, build_desired
from schoolnet.netbox.errors import NetboxError
from schoolnet.netbox.mapping import BY_NAME, STEPS, TYPES, Attr, Kind, canonical, check_names
from schoolnet.netbox.output import drift_text, plan_json, plan_text
from schoolnet.netbox.plan import Change, make_plan
from schoolnet.problems import Location
from schoolnet.validate import load_for_action
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_for_action(ROOT / "inventory")


@pytest.fixture(scope="module")
def desired(fleet: Fleet) -> Desired:
    return build_desired(fleet)


def synced(desired: Desired) -> State:
    """NetBox right after a complete apply: every desired object, owned, with the digests of what was written."""
    state = State()
    next_id = 1
    for type_name, objects in desired.objects.items():
        state.objects[type_name] = {}
        for key, want in objects.items():
            state.objects[type_name][key] = Current(type_name, next_id, key, dict(want.attrs), True,
                                                    applied.digests(want.attrs) if BY_NAME[type_name].tagged else {})
            next_id += 1
    return state


def test_reference_counts_equal_the_inventory(fleet: Fleet, desired: Desired) -> None:
    counts = desired.counts()
    devices = desired.objects["dcim.device"].values()
    roles: dict[str, int] = {}
    for device in devices:
        roles[device.attrs["role"][0]] = roles.get(device.attrs["role"][0], 0) + 1  # type: ignore[index]
    circuits = sum(len(s.uplinks) for s in fleet.schools) + sum(len(d.circuits) for d in fleet.datacenters)
    assert counts["dcim.region"] == 8 + 1  # the districts and the data centers' region
    assert counts["ipam.role"] == 1 + len(fleet.programme.vlans) + 3  # school prefixes, the VLAN plan, DC networks
    assert counts["dcim.site"] == 216 + 1
    assert roles["tablet"] == 2300 == sum(len(s.tablets) for s in fleet.schools)
    assert roles["switch"] == 541 and roles["edge"] == 216
    assert counts["dcim.device"] == len(fleet.hosts) + 2300
    assert counts["dcim.macaddress"] == 2300  # the reference DC names no MACs
    assert counts["ipam.vlangroup"] == 217
    assert counts["ipam.vlan"] == 216 * len(fleet.programme.vlans) + 3
    assert counts["ipam.prefix"] == 216 * (1 + len(fleet.programme.vlans)) + 3
    assert counts["circuits.circuit"] == counts["circuits.circuittermination"] == circuits
    assert counts["dcim.rack"] == 4 and counts["dcim.devicetype"] == len(fleet.hardware.models)
    assert counts["dcim.devicerole"] == 8 and counts["circuits.provider"] == 2


def test_every_desired_object_has_an_inventory_line(desired: Desired) -> None:
    for item in desired.all():
        assert item.location.line >= 1, item
        assert (ROOT / item.location.file).is_file(), item  # relative to the repository, or absolute


def test_tablet_is_a_device_with_its_mac_address_and_handover(desired: Desired) -> None:
    tablet = desired.objects["dcim.device"][("nx-sad-001-t007",)]
    assert tablet.attrs["role"] == ("tablet",) and tablet.attrs["site"] == ("nx-sad-001",)
    assert tablet.attrs["serial"] == "R9LXUMTHWTL" and tablet.attrs["status"] == "active"
    assert tablet.attrs["schoolnet_handover_certificate"] == "NX-HO-2025-SAD001-007-6AA0C9"
    assert tablet.attrs["schoolnet_handover_date"] == "2025-10-09"
    assert tablet.attrs["schoolnet_handover_received_by"] == "class-teacher"
    assert str(tablet.location).startswith("inventory/schools/sadarak/nx-sad-001.yaml:")
    wlan = desired.objects["dcim.interface"][("nx-sad-001-t007", "wlan0")]
    assert wlan.attrs["primary_mac_address"] == ("02:5c:22:55:ce:7e",)
    mac = desired.objects["dcim.macaddress"][("02:5c:22:55:ce:7e",)]
    assert mac.attrs["assigned_object"] == ("nx-sad-001-t007", "wlan0")
    assert tablet.attrs["primary_ip4"] is None, "a tablet is no automation target"
    reserved = [a for a in desired.objects["ipam.ipaddress"].values()
                if a.attrs["assigned_object"] == ("nx-sad-001-t007", "wlan0")]
    assert [a.attrs["status"] for a in reserved] == ["dhcp"], "its reserved address stays, leased by DHCP"


def test_switch_edge_and_racked_dc_gear(desired: Desired) -> None:
    devices, interfaces = desired.objects["dcim.device"], desired.objects["dcim.interface"]
    switch = devices[("nx-sad-001-sw1",)]
    assert switch.attrs["platform"] == ("huawei_vrp",)
    primary = switch.attrs["primary_ip4"]
    assert isinstance(primary, tuple)
    management = desired.objects["ipam.ipaddress"][primary]
    assert management.attrs["assigned_object"] == ("nx-sad-001-sw1", "Vlanif10")
    assert ("nx-sad-001-sw1", "XGigabitEthernet0/0/1") in interfaces
    assert interfaces[("nx-sad-001-sw1", "Vlanif10")].attrs["type"] == "virtual"
    edge = [k for k in interfaces if k[0] == "nx-sad-001-edge"]
    assert {k[1] for k in edge} == {"eno1", "eno2", "eno2.10", "eno2.20", "eno2.30", "eno2.40"}
    core = devices[("nx-dc1-core-01",)]
    assert (core.attrs["rack"], core.attrs["position"], core.attrs["face"]) == (("nx-dc1", "r01"), 40, "front")
    pdu = devices[("nx-dc1-pdu-r01a",)]
    assert (pdu.attrs["rack"], pdu.attrs["position"], pdu.attrs["face"]) == (("nx-dc1", "r01"), None, None)
    types = desired.objects["dcim.devicetype"]
    assert types[("dell-poweredge-r750",)].attrs["schoolnet_power_draw_w"] == 800


@pytest.mark.parametrize(("ours", "netbox"), [
    ("in_stock", "inventory"), ("handed_over", "active"), ("in_repair", "failed"), ("lost", "offline"),
    ("retired", "decommissioning"),
])
def test_tablet_status_maps_to_a_netbox_device_status(ours: str, netbox: str) -> None:
    assert TABLET_STATUS[ours] == netbox


def test_every_slug_is_one_netbox_accepts(desired: Desired) -> None:
    for item in desired.all():
        slug = item.attrs.get("slug")
        if slug is not None:
            assert isinstance(slug, str) and re.fullmatch(r"[-a-zA-Z0-9_]+", slug) and len(slug) <= 100, item


@pytest.mark.parametrize(("type_name", "attrs", "says"), [
    ("dcim.site", {"slug": "nx sad 001", "name": "x"}, "cannot be a NetBox slug"),
    ("dcim.region", {"slug": "ok", "name": "n" * 101}, "at most 100"),
    ("dcim.device", {"name": "d" * 65}, "at most 64"),
])
def test_a_name_netbox_cannot_hold_fails_with_its_line(type_name: str, attrs: dict[str, Any], says: str) -> None:
    with pytest.raises(NetboxError, match=says) as caught:
        check_names(BY_NAME[type_name], attrs, "inventory/schools/x.yaml:3:5")
    assert str(caught.value).startswith("inventory/schools/x.yaml:3:5: ")


def test_steps_write_references_after_their_targets() -> None:
    written: set[str] = set()
    set_late: list[tuple[str, str]] = []
    for step in STEPS:
        object_type = BY_NAME[step.type]
        if step.late:  # a late pass sets exactly the attrs pointing at the type written just before it
            assert step.attrs() and all(a.target == step.target in written for a in step.attrs()), step
            set_late += [(step.type, a.name) for a in step.attrs()]
        for attr in object_type.attrs:
            if attr.is_ref and not attr.late and not step.late:
                assert attr.target in written or attr.target == step.type, (step, attr)
        written.add(step.type)
    # every late attr is set by one pass, and a cable's ends (interfaces, circuit terminations) exist before it
    assert sorted(set_late) == sorted((t.name, a.name) for t in TYPES for a in t.attrs if a.late)
    assert [s.type for s in STEPS if not s.late] == [t.name for t in TYPES]
    assert [s.type for s in STEPS].index("dcim.cable") > [s.type for s in STEPS].index("circuits.circuittermination")


@pytest.mark.parametrize(("attr", "netbox", "git"), [
    (Attr("status", Kind.CHOICE), {"value": "active", "label": "Active"}, "active"),
    (Attr("u_height", Kind.NUMBER), 1.0, 1),
    (Attr("latitude", Kind.NUMBER), 39.6859, 39.68590),
    (Attr("mac_address", Kind.MAC), "02:5C:22:55:CE:7E", "02:5c:22:55:ce:7e"),
    (Attr("serial"), "", None),
    (Attr("asset_tag", Kind.OPT_TEXT), None, ""),
    (Attr("object_types", Kind.LIST), ["dcim.site", "dcim.device"], ("dcim.device", "dcim.site")),
])
def test_netbox_forms_compare_equal_to_git(attr: Attr, netbox: object, git: object) -> None:
    assert canonical(attr, netbox) == canonical(attr, git)
    assert applied.digest(canonical(attr, netbox)) == applied.digest(canonical(attr, git))


def test_references_read_back_as_keys() -> None:
    ids: dict[str, dict[int, tuple[str, ...]]] = {"dcim.site": {5: ("nx-sad-001",)},
                                                  "dcim.interface": {9: ("nx-sad-001-t007", "wlan0")}}
    row = {"site": {"id": 5, "display": "x"}, "assigned_object_type": "dcim.interface", "assigned_object_id": 9}
    assert value_of(Attr("site", Kind.REF, "dcim.site"), row, ids) == ("nx-sad-001",)
    assert value_of(Attr("assigned_object", Kind.GENERIC, "dcim.interface"), row, ids) == ("nx-sad-001-t007", "wlan0")
    assert value_of(Attr("site", Kind.REF, "dcim.site"), {"site": {"id": 6}}, ids) == ("dcim.site#6",)


def test_no_change_plan_is_empty(desired: Desired) -> None:
    plan = make_plan(desired, synced(desired))
    assert plan.empty and not plan.unowned and not plan.drift
    assert "no changes" in plan_text(plan)


def test_git_change_is_an_update_not_drift(desired: Desired) -> None:
    changed = copy.deepcopy(desired)
    state = synced(desired)
    changed.objects["dcim.device"][("nx-sad-001-t007",)].attrs["status"] = "failed"
    plan = make_plan(changed, state)
    assert [(c.action, c.key, c.fields) for c in plan.changes] == [
        ("update", ("nx-sad-001-t007",), {"status": ("active", "failed")})]
    assert not plan.drift


def test_hand_edit_is_drift_with_its_line(desired: Desired) -> None:
    state = synced(desired)
    state.objects["dcim.device"][("nx-sad-001-t007",)].attrs["serial"] = "HAND-EDIT"
    plan = make_plan(desired, state)
    (drift,) = plan.drift
    assert (drift.field, drift.git, drift.netbox) == ("serial", "R9LXUMTHWTL", "HAND-EDIT")
    assert str(drift.location).startswith("inventory/schools/sadarak/nx-sad-001.yaml:")
    assert "git R9LXUMTHWTL, NetBox HAND-EDIT" in plan_text(plan)


def test_hand_edit_and_git_change_on_other_fields_are_told_apart(desired: Desired) -> None:
    changed = copy.deepcopy(desired)
    state = synced(desired)
    state.objects["dcim.device"][("nx-sad-001-t007",)].attrs["serial"] = "HAND-EDIT"
    changed.objects["dcim.device"][("nx-sad-001-t007",)].attrs["status"] = "failed"
    plan = make_plan(changed, state)
    assert [d.field for d in plan.drift] == ["serial"]
    assert set(plan.changes[0].fields) == {"serial", "status"}


def test_unowned_object_is_reported_and_left_alone_unless_adopted(desired: Desired) -> None:
    state = synced(desired)
    site = state.objects["dcim.site"][("nx-sad-001",)]
    site.owned, site.applied, site.attrs["name"] = False, {}, "Hand-made site"
    plan = make_plan(desired, state)
    assert plan.empty and [c.key for c in plan.unowned] == [("nx-sad-001",)]
    assert "--adopt" in plan_text(plan)
    adopted = make_plan(desired, state, adopt=True)
    assert [(c.action, c.fields) for c in adopted.changes] == [
        ("adopt", {"name": ("Hand-made site", "Sadarak school No. 1")})]


def test_owned_object_gone_from_git_is_deleted_unowned_never(desired: Desired) -> None:
    state = synced(desired)
    extra = Current("dcim.device", 99999, ("old-device",), {}, True, {})
    foreign = Current("dcim.device", 99998, ("their-device",), {}, False, {})
    state.objects["dcim.device"][extra.key], state.objects["dcim.device"][foreign.key] = extra, foreign
    plan = make_plan(desired, state)
    assert [(c.action, c.key, c.id) for c in plan.changes] == [("delete", ("old-device",), 99999)]
    assert plan_json(plan)["summary"] == {"dcim.device": {"delete": 1}}


def test_a_refused_bulk_create_names_the_object_and_its_line() -> None:
    class Response:
        status_code = 400

        @staticmethod
        def json() -> dict[str, Any]:
            return {"detail": "1 of 2 objects could not be created.",
                    "errors": [{"index": 1, "errors": {"asset_tag": ["Device with this Asset tag already exists."]}}]}

    class Refusal:
        req = Response()

    changes = [Change("create", "dcim.device", (name,), Location("inventory/x.yaml", line)) for name, line in
               (("a", 3), ("b", 9))]
    error = refused(Refusal(), "create", changes)
    assert str(error) == ("inventory/x.yaml:9:1: NetBox refused to create dcim.device b: asset_tag: Device with this "
                          "Asset tag already exists. (fix the value in the inventory, or the conflicting object in "
                          "NetBox)")


def test_no_drift_text() -> None:
    assert drift_text([]).startswith("no drift")


def test_builder_refuses_an_unvalidated_fleet(fleet: Fleet) -> None:
    raw = copy.copy(fleet)
    raw.validated = False
    with pytest.raises(Exception, match="validated fleet"):
        build_desired(raw)



def test_unreachable_netbox_is_one_line_saying_how_to_fix() -> None:
    api = connect("http://127.0.0.1:9", "nbt_abc.def")  # the discard port: nothing listens there
    with pytest.raises(NetboxError) as caught:
        read_state(api)
    message = str(caught.value)
    assert "\n" not in message and "127.0.0.1:9" in message and "unreachable" in message
    assert "schoolnet netbox up" in message


def test_a_hand_edited_field_is_reported_at_its_own_inventory_line(desired: Desired) -> None:
    state = synced(desired)
    state.objects["dcim.device"][("nx-sad-001-edge",)].attrs["serial"] = "HAND-EDIT"
    state.objects["dcim.site"][("nx-sad-001",)].attrs["physical_address"] = "elsewhere"
    lines = (ROOT / "inventory" / "schools" / "sadarak" / "nx-sad-001.yaml").read_text().splitlines()
    where = {d.field: d.location.line for d in make_plan(desired, state).drift}
    assert where == {"serial": lines.index("    serial: 46GOFBD") + 1,
                     "physical_address": next(i for i, x in enumerate(lines, 1) if x.startswith("address:"))}


def test_a_tablet_has_one_name_in_netbox_dhcp_and_ipam(fleet: Fleet, desired: Desired, tmp_path: Path) -> None:
    """The name NetBox shows for a tablet is the one its school's DHCP hands out and IPAM lists."""
    from schoolnet.ipam import Addressing
    from schoolnet.render.engine import render_fleet
    from schoolnet.secrets.demo import DemoSecrets

    school = fleet.schools_by_id["nx-sad-001"]
    edge = next(h for h in fleet.hosts if h.hostname == "nx-sad-001-edge")
    render_fleet(fleet, [edge], tmp_path / "build", ROOT / "templates", DemoSecrets(), limited=True)
    dnsmasq = (tmp_path / "build/hosts/nx-sad-001-edge/etc/dnsmasq.d/school.conf").read_text()
    dhcp = {line.split(",")[-1] for line in dnsmasq.splitlines() if line.startswith("dhcp-host=")
            and "-t" in line.split(",")[-1]}
    plan = Addressing(fleet).school(school)
    assert plan is not None
    ipam = {a.name for a in plan.tablet_addresses()}
    netbox = {k[0] for k, d in desired.objects["dcim.device"].items() if d.attrs["site"] == ("nx-sad-001",)
              and d.attrs["role"] == ("tablet",)}
    assert len(netbox) == len(school.tablets) and "nx-sad-001-t001" in netbox
    assert dhcp and dhcp <= ipam <= netbox  # the tablets that get an address and a lease, by the very same name


# --- ownership of set-up objects, NetBox's normal forms, what deletes take along, twins ------------------------


def test_a_set_up_object_someone_else_made_is_unowned_and_apply_refuses_before_writing(desired: Desired) -> None:
    state = synced(desired)
    tag = state.objects["extras.tag"][("schoolnet",)]
    tag.attrs["description"] = "our team's own tag"  # as read back: not the description schoolnet writes
    tag.owned = False
    plan = make_plan(desired, state)
    assert [(c.type, c.key) for c in plan.unowned] == [("extras.tag", ("schoolnet",))]
    with pytest.raises(NetboxError, match=r"which schoolnet did not make.*--adopt"):
        apply_plan(None, plan, lambda _: None)  # no NetBox: refused before any request
    adopting = make_plan(desired, state, adopt=True)
    assert [(c.action, c.name) for c in adopting.changes] == [("adopt", "extras.tag schoolnet")]


def test_text_netbox_trims_compares_equal_to_git() -> None:
    attr = Attr("physical_address")
    assert canonical(attr, "1 Nizami street ") == canonical(attr, "1 Nizami street") == "1 Nizami street"


def test_a_delete_names_what_netbox_takes_along_that_the_plan_does_not(desired: Desired) -> None:
    state = synced(desired)
    by_hand = Current("ipam.ipaddress", 999_001, ("10.0.10.250/24",),
                      {"address": "10.0.10.250/24", "assigned_object": ("nx-dc1-mon-01", "eno1"), "status": "active",
                       "description": ""}, False, {})
    state.objects["ipam.ipaddress"][by_hand.key] = by_hand
    gone = copy.deepcopy(desired)
    for type_name in ("dcim.device", "dcim.interface", "ipam.ipaddress"):
        for key in [k for k, o in gone.objects[type_name].items()
                    if "nx-dc1-mon-01" in (k[0], *(o.attrs.get("assigned_object") or ()))]:
            del gone.objects[type_name][key]
    plan = make_plan(gone, state)
    device = next(c for c in plan.changes if c.action == "delete" and c.name == "dcim.device nx-dc1-mon-01")
    assert device.cascade == ["ipam.ipaddress 10.0.10.250/24 (not schoolnet's)"]
    assert "NetBox deletes with it: ipam.ipaddress 10.0.10.250/24 (not schoolnet's)" in plan_text(plan)
    assert plan_json(plan)["changes"][[c["key"] for c in plan_json(plan)["changes"]].index("nx-dc1-mon-01")][
        "cascade"] == device.cascade


def test_an_owned_twin_is_deleted(desired: Desired) -> None:
    state = synced(desired)
    mac = next(iter(state.objects["dcim.macaddress"].values()))
    state.twins.append(Current(mac.type, 999_002, mac.key, dict(mac.attrs), True, dict(mac.applied)))
    plan = make_plan(desired, state)
    assert [(c.action, c.type, c.id) for c in plan.changes] == [("delete", "dcim.macaddress", 999_002)]


# --- IPAM roles, containers, DNS names, sites' time zone, facility and region ------------------------------------


def zone_names(fleet: Fleet, school_id: str, out: Path) -> dict[str, set[str]]:
    """Address -> the names the rendered zone files give it: the programme zone and the reverse zones (on a
    data-center DNS server) and one school's unbound zone (on its edge server)."""
    from schoolnet.render.engine import render_fleet
    from schoolnet.secrets.demo import DemoSecrets

    dns = next(h for h in fleet.hosts if "dns-authoritative" in h.roles)
    edge = next(h for h in fleet.hosts if h.hostname == f"{school_id}-edge")
    render_fleet(fleet, [dns, edge], out, ROOT / "templates", DemoSecrets(), limited=True)
    names: dict[str, set[str]] = {}
    domain = fleet.programme.domain
    for zone in (out / f"hosts/{dns.hostname}/etc/bind/zones").iterdir():
        origin = ""
        for line in zone.read_text().splitlines():
            parts = line.split()
            if parts[:1] == ["$ORIGIN"]:
                origin = parts[1].rstrip(".")
            elif parts[1:3] == ["IN", "A"] and origin == domain:
                names.setdefault(parts[3], set()).add(f"{parts[0]}.{domain}")
            elif parts[1:3] == ["IN", "PTR"]:
                octets = [*reversed(origin.removesuffix(".in-addr.arpa").split(".")),
                          *reversed(parts[0].split("."))]
                names.setdefault(".".join(octets), set()).add(parts[3].rstrip("."))
    unbound = (out / f"hosts/{edge.hostname}/etc/unbound/unbound.conf.d/school.conf").read_text()
    for name, address in re.findall(r'local-data: "(\S+)\. IN A (\S+)"', unbound):
        names.setdefault(address, set()).add(name)
    return names


def test_an_address_in_netbox_has_the_name_its_zones_give_it(fleet: Fleet, desired: Desired, tmp_path: Path) -> None:
    """dns_name is what DNS answers: the PTR of an edge, switch or data-center host, a tablet's school-zone name;
    an address no zone names (a lost tablet's, the edge's gateways on other VLANs) has none."""
    zones = zone_names(fleet, "nx-sad-001", tmp_path / "build")
    addresses = {k[0].split("/")[0]: d.attrs for k, d in desired.objects["ipam.ipaddress"].items()
                 if d.attrs["assigned_object"][0].startswith(("nx-sad-001-", "nx-dc1-"))}  # type: ignore[index]
    named = {address: attrs["dns_name"] for address, attrs in addresses.items() if attrs["dns_name"]}
    for address, name in named.items():
        assert name in zones.get(address, set()), (address, name, zones.get(address))
    assert {a for a in zones if a in addresses} == set(named), "every address a zone names is named in NetBox"
    cases = {"nx-sad-001-edge": "nx-sad-001-edge.nx.schoolnet.internal",
             "nx-sad-001-sw1": "nx-sad-001-sw1.nx.schoolnet.internal",
             "nx-sad-001-t001": "nx-sad-001-t001.nx-sad-001.nx.schoolnet.internal",
             "nx-dc1-dns-01": "nx-dc1-dns-01.nx.schoolnet.internal"}
    for device, name in cases.items():
        assert name in {a["dns_name"] for a in addresses.values() if a["assigned_object"][0] == device}, device  # type: ignore[index]
    lost = next(t for t in fleet.schools_by_id["nx-sad-001"].tablets if t.status in ("lost", "retired"))
    assert {a["dns_name"] for a in addresses.values()
            if a["assigned_object"][0] == f"nx-sad-001-t{lost.slot:03d}"} == {""}  # type: ignore[index]


def test_school_prefix_is_a_container_and_every_network_has_its_role(fleet: Fleet, desired: Desired) -> None:
    prefixes = desired.objects["ipam.prefix"]
    school = prefixes[("10.66.0.0/22",)].attrs
    assert (school["status"], school["role"], school["vlan"]) == ("container", ("school",), None)
    containers = [p for p in prefixes.values() if p.attrs["status"] == "container"]
    assert len(containers) == len(fleet.schools) and {p.attrs["role"] for p in containers} == {("school",)}
    roles = {(p.attrs["prefix"], p.attrs["role"]) for p in prefixes.values()}
    assert {("10.66.2.0/23", ("tablets",)), ("10.66.0.0/26", ("management",)), ("10.0.20.0/24", ("dc-servers",))} \
        <= roles
    for vlan in desired.objects["ipam.vlan"].values():  # a VLAN and its subnet have one role
        subnets = [p for p in prefixes.values() if p.attrs["vlan"] == (*vlan.attrs["group"], str(vlan.attrs["vid"]))]  # type: ignore[misc]
        assert vlan.attrs["role"] and [p.attrs["role"] for p in subnets] == [vlan.attrs["role"]], vlan.key
    assert set(desired.objects["ipam.role"]) == {("school",), *((v.name,) for v in fleet.programme.vlans),
                                                 ("dc-mgmt",), ("dc-servers",), ("dc-storage",)}
    assert all(p.attrs["role"] for p in prefixes.values())


def test_sites_carry_the_time_zone_a_facility_and_the_data_center_a_region(fleet: Fleet, desired: Desired) -> None:
    sites = desired.objects["dcim.site"]
    assert {s.attrs["time_zone"] for s in sites.values()} == {"Asia/Baku"} == {fleet.programme.time_zone}
    assert sites[("nx-bab-001",)].attrs["facility"] == "NX-BAB-001"  # the asset tags' prefix: NX-BAB-001-SW1
    dc = sites[("nx-dc1",)].attrs
    assert (dc["facility"], dc["region"]) == ("NX-DC1", ("datacenters",))
    assert desired.objects["dcim.region"][("datacenters",)].attrs["name"] == "Data centers"
    assert all(s.attrs["region"] for s in sites.values())


def test_cable_ends_read_back_as_type_and_key() -> None:
    ids: dict[str, dict[int, tuple[str, ...]]] = {"dcim.interface": {9: ("nx-sad-001-edge", "eno1")},
                                                  "circuits.circuittermination": {4: ("nxfiber", "NXF-1", "A")}}
    end = Attr("a_terminations", Kind.ENDPOINT, "dcim.interface")
    cases = [([{"object_type": "dcim.interface", "object_id": 9, "object": {}}], ("dcim.interface", "nx-sad-001-edge",
                                                                                "eno1")),
             ([{"object_type": "circuits.circuittermination", "object_id": 4}],
              ("circuits.circuittermination", "nxfiber", "NXF-1", "A")),
             ([{"object_type": "dcim.interface", "object_id": 77}], ("dcim.interface#77",)),  # not schoolnet's port
             ([], None),
             ([{"object_type": "dcim.interface", "object_id": 9}, {"object_type": "dcim.interface", "object_id": 8}],
              ("dcim.interface#9", "dcim.interface#8"))]  # two ports on one end: never git's
    for raw, want in cases:
        assert value_of(end, {"a_terminations": raw}, ids) == want
        assert end.points_at(want) == (None if want is None or "#" in want[0] else (want[0], want[1:]))


# The first switch's spare ports on the reference models (catalogue order, neither the uplink the inventory
# gives every first switch nor a port of the plan's 1-24): further switches plug into them.
SPARE_PORTS = {"huawei-s5735-l24p4s-a": ["XGigabitEthernet0/0/2", "XGigabitEthernet0/0/3", "XGigabitEthernet0/0/4"],
               "cisco-c1000-24p-4g-l": ["GigabitEthernet1/1/2", "GigabitEthernet1/1/3", "GigabitEthernet1/1/4"]}
DC_CABLES = {  # a few of nx-dc1.yaml's links: to a circuit, between two devices' catalogue ports, from an interface
    "nx-dc1-fw-01 x1": ("circuits.circuittermination", "nxfiber", "NXF-DC1-IP-01", "A"),
    "nx-dc1-core-01 100GE1/0/1": ("dcim.interface", "nx-dc1-core-02", "100GE1/0/1"),
    "nx-dc1-hv-03 eno2": ("dcim.interface", "nx-dc1-core-02", "10GE1/0/4"),
}


def test_schools_and_the_data_center_have_their_cables(fleet: Fleet, desired: Desired) -> None:
    cables = desired.objects["dcim.cable"]
    for school in fleet.schools:
        current = next((u for u in school.uplinks if u.status in ("active", "provisioning", "planned")), None)
        want = {f"{school.id}-edge eno1": ("circuits.circuittermination", current.provider, current.circuit_id, "A")
                } if current else {}
        switches = [d for d in school.devices if d.kind == "switch"]
        for number, switch in enumerate(switches, start=1):
            want[f"{school.id}-sw{number} {switch.uplink_port}"] = ("dcim.interface", f"{school.id}-edge", "eno2") \
                if number == 1 else ("dcim.interface", f"{school.id}-sw1", SPARE_PORTS[switches[0].model][number - 2])
        found = {k[0]: c.attrs["b_terminations"] for k, c in cables.items() if k[0].startswith(school.id + "-")}
        assert found == want, school.id
    dc = {k[0]: c.attrs["b_terminations"] for k, c in cables.items() if k[0].startswith("nx-dc1")}
    assert len(dc) == len(fleet.datacenters[0].links) and DC_CABLES.items() <= dc.items()
    # every cable end is an object schoolnet writes, so apply can resolve it
    for cable in cables.values():
        for name in ("a_terminations", "b_terminations"):
            pointed = BY_NAME["dcim.cable"].attr(name).points_at(cable.attrs[name])
            assert pointed is not None and pointed[1] in desired.objects[pointed[0]], (cable.key, name)


@pytest.mark.parametrize(("device", "port", "want"), [
    ("nx-sad-001-sw1", "GigabitEthernet0/0/1", {"mode": "access", "untagged_vlan": ("nx-sad-001", "20")}),
    ("nx-sad-001-sw1", "GigabitEthernet0/0/9", {"mode": "access", "untagged_vlan": ("nx-sad-001", "30")}),
    ("nx-sad-001-sw1", "GigabitEthernet0/0/24", {"mode": "access", "untagged_vlan": ("nx-sad-001", "40")}),
    ("nx-sad-001-sw1", "XGigabitEthernet0/0/2", {"mode": "tagged-all", "description": "downlink to nx-sad-001-sw2"}),
    ("nx-sad-001-sw2", "XGigabitEthernet0/0/1", {"mode": "tagged-all", "description": "uplink to nx-sad-001-sw1"}),
    ("nx-bab-005-sw1", "XGigabitEthernet0/0/2", {"mode": None, "untagged_vlan": None, "speed": 10_000_000}),
    ("nx-sad-001-sw1", "XGigabitEthernet0/0/1", {"mode": "tagged-all", "description": "uplink to nx-sad-001-edge"}),
    ("nx-kan-002-sw1", "GigabitEthernet1/0/21", {"mode": "access", "untagged_vlan": ("nx-kan-002", "40")}),
    ("nx-kan-002-sw1", "GigabitEthernet1/1/1", {"mode": "tagged-all", "type": "1000base-x-sfp"}),
    ("nx-sad-001-edge", "eno2", {"mode": "tagged-all", "parent": None}),
    ("nx-sad-001-edge", "eno2.30", {"mode": "access", "untagged_vlan": ("nx-sad-001", "30"),
                                    "parent": ("nx-sad-001-edge", "eno2"), "type": "virtual", "speed": None}),
    ("nx-dc1-core-01", "mgmt", {"mgmt_only": True}),
    ("nx-dc1-core-01", "100GE1/0/6", {"mgmt_only": False, "type": "100gbase-x-qsfp28"}),
])
def test_ports_carry_their_mode_vlan_parent_and_type(desired: Desired, device: str, port: str,
                                                     want: dict[str, Any]) -> None:
    attrs = desired.objects["dcim.interface"][(device, port)].attrs
    assert {name: attrs[name] for name in want} == want


def test_every_catalogue_port_is_a_template_and_an_interface_of_each_device(fleet: Fleet, desired: Desired) -> None:
    templates = desired.objects["dcim.interfacetemplate"]
    assert len(templates) == sum(len(m.port_names()) for m in fleet.hardware.models) > 0
    for key, device in desired.objects["dcim.device"].items():
        model = device.attrs["device_type"]
        assert isinstance(model, tuple)
        for port in fleet.catalog[model[0]].port_names():
            assert (*key, port) in desired.objects["dcim.interface"], (key, port)
