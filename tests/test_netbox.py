"""`schoolnet netbox plan|apply|drift` against a real NetBox 4.7 (tests/netbox_instance.py), end to end.

One story on one NetBox, in order, as a programme lives it: a programme of every shape
(tests/netbox_programme.py) is published a district at a time with --limit, then whole, then
changed in git one way at a time, edited by hand in NetBox, and broken.  Every command is the
CLI a user types (a subprocess); NetBox is read back through its API.  The whole reference
programme's publication is benchmarks/netbox.py's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pynetbox
import pytest
from netmiko.ssh_dispatcher import CLASS_MAPPER
from pynetbox.core.query import Request

from schoolnet.model.school import tablet_name
from schoolnet.netbox import books
from schoolnet.netbox.desired import Desired, build_desired
from schoolnet.netbox.mapping import APPLIED, FIELD_DESCRIPTION, TYPES, key_text
from schoolnet.netbox.platforms import PLATFORMS
from schoolnet.netbox.scope import Anchors
from schoolnet.observe.snapshot import Observation, Snapshot, save
from schoolnet.validate import load_for_action
from tests.conftest import SCHOOLNET
from tests.netbox_instance import NetboxUnderTest
from tests.netbox_programme import SCHOOLS, small_programme

NEW_SCHOOL = "nx-sad-013"
REMOVED_SCHOOL = "nx-sad-012"
MOVED_SCHOOL, MOVED_TO = "nx-sad-011", "nx-kan-019"


@dataclass
class Published:
    inventory: Path
    netbox: NetboxUnderTest
    api: Any
    first: dict[str, Any]  # apply's JSON for the first publication

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([SCHOOLNET, "netbox", *args, "--inventory", str(self.inventory)],
                              env={**self.netbox.env, **(env or {})}, capture_output=True, text=True, timeout=1800,
                              check=False)

    def plan(self, *extra: str) -> dict[str, Any]:
        result = self.cli("plan", "--format", "json", *extra)
        assert result.returncode == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def apply(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.cli("apply", "--yes", "--format", "json", *extra)

    def changes_logged(self) -> int:
        """Changes NetBox logged, but those of tags and config contexts: an apply takes and gives back its lock (a
        tag) each time, and rewrites the books (config contexts) of what it wrote."""
        return int(self.api.core.object_changes.count()) - sum(
            int(self.api.core.object_changes.count(changed_object_type=name))
            for name in ("extras.tag", "extras.configcontext"))

    def desired(self) -> Desired:
        return build_desired(load_for_action(self.inventory))

    def desired_keys(self) -> set[tuple[str, str]]:
        return {(name, key_text(key)) for name, objects in self.desired().objects.items() for key in objects}

    def expect(self, schools: int, tablets: int) -> None:
        """Change programme.yaml's expected counts by these numbers, as a contract amendment would."""
        programme = self.inventory / "programme.yaml"
        text = programme.read_text()
        for name, delta in (("schools", schools), ("tablets", tablets)):
            line = next(x for x in text.splitlines() if x.startswith(f"  {name}: ") and x.split(": ")[1].isdigit())
            text = text.replace(line + "\n", f"  {name}: {int(line.split(': ')[1]) + delta}\n")
        programme.write_text(text)


@pytest.fixture(scope="module")
def published(netbox_server: NetboxUnderTest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """The small programme in a repository of its own, and a hand-made site and device already in NetBox."""
    inventory = small_programme(tmp_path_factory.mktemp("netbox-repo") / "inventory")
    api = pynetbox.api(netbox_server.url, token=netbox_server.token)
    site = api.dcim.sites.create(name="NOC lab", slug="noc-lab", status="active")
    maker = api.dcim.manufacturers.create(name="Hand made", slug="hand-made")
    kind = api.dcim.device_types.create(manufacturer=maker.id, model="Printer", slug="printer")
    role = api.dcim.device_roles.create(name="Printer", slug="printer", color="ff0000")
    # another team's custom field, with a name schoolnet once used itself, and a value on their printer
    api.extras.custom_fields.create(name="synthetic", type="text", object_types=["dcim.device"],
                                    label="Printer toner", description="the NOC's own")
    api.dcim.devices.create(name="noc-printer", site=site.id, device_type=kind.id, role=role.id, status="active",
                            custom_fields={"synthetic": "black"})
    yield Published(inventory, netbox_server, api, {})


def _count(api: Any, type_name: str, **filters: Any) -> int:
    object_type = next(t for t in TYPES if t.name == type_name)
    return int(getattr(getattr(api, object_type.app), object_type.endpoint).count(**filters))


def _sites_of(desired: Desired, changes: list[dict[str, Any]]) -> set[str]:
    """The sites that the objects of these plan lines belong to (shared objects belong to none)."""
    anchors = Anchors(desired.objects)
    found = set()
    for change in changes:
        key = next(k for k in desired.objects[change["type"]] if key_text(k) == change["key"])
        found |= {name for kind, name in anchors.of(change["type"], key) if kind == "site"}
    return found


def test_a_district_applied_alone_leaves_the_rest_to_the_full_plan(published: Published) -> None:
    result = published.apply("--limit", "district:kangarli")
    assert result.returncode == 0, result.stderr
    assert published.api.dcim.sites.get(slug="nx-kan-002") is not None
    assert published.api.dcim.sites.get(slug="nx-sad-001") is None
    plan = published.plan()
    assert {c["action"] for c in plan["changes"]} == {"create"}, "no update and no delete outside the limit"
    assert _sites_of(published.desired(), plan["changes"]) == set(SCHOOLS["sadarak"]) | {"nx-dc1"}
    assert plan["limit"] == []


def test_a_limited_plan_after_a_limited_apply_is_empty(published: Published) -> None:
    before = published.changes_logged()
    plan = published.plan("--limit", "district:kangarli")
    assert plan["changes"] == [] and plan["limit"] == ["district:kangarli"]
    result = published.cli("plan", "--limit", "district:kangarli")
    assert "limited to district:kangarli: 2 site(s)" in result.stdout
    assert "no changes: NetBox holds what git says for this limit" in result.stdout
    assert published.changes_logged() == before


def test_a_full_apply_after_limited_ones_converges(published: Published) -> None:
    assert published.apply("--limit", "site:nx-dc1", "--limit", "host:nx-sad-001-*").returncode == 0
    assert published.api.dcim.devices.get(name="nx-sad-001-edge") is not None
    assert published.api.dcim.devices.get(name="nx-sad-003-edge") is None
    result = published.apply()
    assert result.returncode == 0, result.stderr
    published.first = json.loads(result.stdout)
    assert "dcim.device" in published.first["written"]
    assert published.plan()["changes"] == []


def test_every_object_of_the_programme_is_in_netbox(published: Published) -> None:
    api = published.api
    desired = published.desired()
    assert _count(api, "dcim.site", tag="schoolnet") == 7 + 1  # seven schools and the data center
    assert _count(api, "dcim.region", tag="schoolnet") == 2 + 1  # the districts and the data centers'
    tablets = sum(1 for d in desired.objects["dcim.device"].values() if d.attrs["role"] == ("tablet",))
    assert _count(api, "dcim.device", tag="schoolnet", role="tablet") == tablets == 87
    assert {d.status.value for d in api.dcim.devices.filter(role="tablet")} == {
        "active", "inventory", "failed", "offline", "decommissioning"}, "a tablet of each status"
    assert {d.platform.slug for d in api.dcim.devices.filter(role="switch")} == {"huawei_vrp", "cisco_ios"}
    # every type: what NetBox holds (read back through the API) is what the inventory describes
    for object_type in TYPES:
        want = len(desired.objects.get(object_type.name, {}))
        if object_type.tagged:
            assert _count(api, object_type.name, tag="schoolnet") == want, object_type.name
    # a tablet carries its handover in custom fields
    tablet = api.dcim.devices.get(name="nx-sad-001-t001")
    assert tablet.serial == "R9AXDHZBK1A" and tablet.status.value == "active"
    assert tablet.custom_fields["schoolnet_handover_certificate"] == "NX-HO-2025-SAD001-001-593352"
    assert tablet.custom_fields["schoolnet_handover_date"] == "2025-10-02"
    edge = api.dcim.devices.get(name="nx-sad-001-edge")
    assert edge.primary_ip4 is not None and str(edge.primary_ip4.address).startswith("10.")
    # the hand-made objects are untouched
    printer = api.dcim.devices.get(name="noc-printer")
    assert printer is not None and not printer.tags


def test_networks_have_roles_addresses_names_and_sites_their_zone(published: Published, tmp_path: Path) -> None:
    """Read back through the API: what a network team filters and automates on."""
    from tests.test_netbox_mapping import zone_names

    api = published.api
    fleet = load_for_action(published.inventory)
    school = fleet.schools_by_id["nx-sad-001"]
    desired = published.desired()
    supernet = next(k[0] for k, p in desired.objects["ipam.prefix"].items() if p.attrs["scope"] == ("nx-sad-001",)
                    and p.attrs["vlan"] is None)
    container = api.ipam.prefixes.get(prefix=supernet)
    assert (container.status.value, container.role.slug) == ("container", "school")
    for vlan in fleet.programme.vlans:
        netbox_vlan = api.ipam.vlans.get(group="nx-sad-001", vid=vlan.vid)
        subnet = api.ipam.prefixes.get(vlan_id=netbox_vlan.id)
        assert netbox_vlan.role.slug == subnet.role.slug == vlan.name and subnet.status.value == "active"
    assert api.ipam.prefixes.get(prefix="10.0.20.0/24").role.slug == "dc-servers"
    zones = zone_names(fleet, school.id, tmp_path / "build")
    for device in ("nx-sad-001-edge", "nx-sad-001-sw1", "nx-sad-001-t001", "nx-dc1-dns-01"):
        named = [a for a in api.ipam.ip_addresses.filter(device=device) if a.dns_name]
        assert named, device
        for address in named:
            assert address.dns_name in zones[str(address.address).split("/")[0]], (device, address.dns_name)
    site, dc = api.dcim.sites.get(slug="nx-sad-001"), api.dcim.sites.get(slug="nx-dc1")
    assert (site.time_zone, site.facility, site.region.slug) == ("Asia/Baku", "NX-SAD-001", "sadarak")
    assert (dc.time_zone, dc.facility, dc.region.slug, dc.region.name) == (
        "Asia/Baku", "NX-DC1", "datacenters", "Data centers")


def test_a_second_plan_is_empty_and_apply_writes_nothing(published: Published) -> None:
    plan = published.plan()
    assert plan["changes"] == [] and plan["drift"] == []
    assert plan["requests"] <= 4 * len(TYPES), "a no-change plan reads a few requests per type"
    before = published.changes_logged()
    result = published.apply()
    assert result.returncode == 0, result.stderr
    assert "nothing to write" in result.stderr
    assert json.loads(result.stdout)["requests"] == 0
    assert published.changes_logged() == before


def test_last_seen_comes_from_observations_and_is_never_a_change(published: Published) -> None:
    """`netbox last-seen` writes when each device was last seen (a switch that answered, a tablet whose MAC a
    switch learned); plan, apply and drift leave the field alone, and an older observation never wins."""
    fleet = load_for_action(published.inventory)
    tablet = fleet.schools_by_id["nx-sad-001"].tablets[0]
    root = published.inventory.parent
    newer, older = datetime(2026, 12, 2, 8, 30, tzinfo=UTC), datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    for at in (older, newer):
        snapshot = Snapshot("lab", at, {"nx-sad-001-sw1": Observation("nx-sad-001-sw1", "switch", True, facts={
            "mac_table": [{"mac": tablet.mac, "vlan": 30, "port": "GigabitEthernet0/0/9"}]})})
        save(root, snapshot)
    limited = published.cli("last-seen", "--observed", "lab", "--limit", "host:nx-sad-001-sw1")
    assert "✓ last seen: 1 device(s) updated of 1 seen in 2 observation(s)" in limited.stdout, limited.stderr
    result = published.cli("last-seen", "--observed", "lab")
    assert result.returncode == 0, result.stderr
    assert "✓ last seen: 1 device(s) updated of 2 seen in 2 observation(s)" in result.stdout  # the tablet
    for name in ("nx-sad-001-sw1", f"nx-sad-001-t{tablet.slot:03d}"):
        value = published.api.dcim.devices.get(name=name).custom_fields["schoolnet_last_seen"]
        assert datetime.fromisoformat(value.replace("Z", "+00:00")) == newer, (name, value)
    assert published.api.dcim.devices.get(name="nx-sad-001-sw2").custom_fields["schoolnet_last_seen"] is None
    assert published.plan()["changes"] == [] and published.cli("drift").returncode == 0
    (root / "observations" / "lab" / f"{newer:%Y%m%dT%H%M%SZ}.json").unlink()  # only the older one is left
    again = published.cli("last-seen", "--observed", "lab")
    assert "✓ last seen: 0 device(s) updated of 2 seen" in again.stdout, again.stdout + again.stderr


def _ansible_hosts(published: Published) -> dict[str, dict[str, Any]]:
    """Every host and its variables as Ansible's netbox.netbox.nb_inventory loads them (ansible-inventory --list),
    configured as its documentation suggests for network automation: config contexts as host variables."""
    folder = published.inventory.parent / "ansible"
    folder.mkdir(exist_ok=True)
    config = folder / "schoolnet.netbox.yml"  # the plugin reads files named *netbox.yml
    config.write_text(json.dumps({
        "plugin": "netbox.netbox.nb_inventory", "api_endpoint": published.netbox.url, "validate_certs": False,
        "token": {"type": "Bearer", "value": published.netbox.token},  # NetBox 4.7's v2 token
        "config_context": True, "flatten_config_context": True, "group_by": ["platforms", "device_roles"]}))
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(config), "--list"],
                            env={**os.environ, "ANSIBLE_INVENTORY_ENABLED": "netbox.netbox.nb_inventory",
                                 "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",  # else a failed load is 0 hosts
                                 "ANSIBLE_LOCAL_TEMP": str(folder / "tmp"), "ANSIBLE_HOME": str(folder)},
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    hostvars: dict[str, dict[str, Any]] = _plain(json.loads(result.stdout)["_meta"]["hostvars"])
    return hostvars


def _plain(value: Any) -> Any:
    """ansible-inventory's JSON with its {"__ansible_unsafe": text} wrappings (untrusted text) taken off."""
    if isinstance(value, dict):
        return value["__ansible_unsafe"] if set(value) == {"__ansible_unsafe"} else {
            k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _nornir_hosts(published: Published, **options: Any) -> dict[str, Any]:
    """Every host as Nornir's NetBoxInventory2 loads it."""
    from nornir_netbox.plugins.inventory.netbox import NetBoxInventory2

    loader = NetBoxInventory2(nb_url=published.netbox.url, nb_token=published.netbox.token, **options)
    loader.session.headers["Authorization"] = f"Bearer {published.netbox.token}"  # 0.3 sends v1's "Token"
    return dict(loader.load().hosts)


def test_automation_tools_reach_only_active_servers_and_switches_by_platform_names_they_know(
        published: Published) -> None:
    """Ansible's nb_inventory and Nornir's NetBoxInventory2, as a network team sets them up: the hosts with an
    address are the active servers and switches (no tablet, nothing offline), their platforms are netmiko's
    device types and Ansible's network_os with no table written by hand, and no host carries schoolnet's books."""
    school = published.inventory / "schools" / "kangarli" / "nx-kan-008.yaml"
    _edit(school, "asset_tag: NX-KAN-008-SW2\n", "asset_tag: NX-KAN-008-SW2\n    status: offline\n")
    assert published.apply().returncode == 0
    desired = published.desired()
    devices = desired.objects["dcim.device"]
    addressed = {a.attrs["assigned_object"][0] for a in desired.objects["ipam.ipaddress"].values()}  # type: ignore[index]
    reachable = {key[0] for key, d in devices.items()
                 if d.attrs["status"] == "active" and d.attrs["role"] != ("tablet",) and key[0] in addressed}
    assert "nx-kan-008-sw2" in addressed and "nx-kan-008-sw2" not in reachable
    assert {devices[(name,)].attrs["role"] for name in reachable} >= {("edge",), ("server",), ("switch",)}
    ansible = _ansible_hosts(published)
    nornir = _nornir_hosts(published)
    by_slug = _nornir_hosts(published, use_platform_slug=True)
    mine = {key[0] for key in devices}
    assert mine <= set(ansible) and mine <= set(nornir), "both load every device"
    assert {name for name in mine if "ansible_host" in ansible[name]} == reachable
    assert {name for name in mine if nornir[name].data.get("primary_ip")} == reachable
    assert {name for name in mine if nornir[name].hostname != name} == reachable, "Nornir connects by name else"
    for name in reachable:
        assert nornir[name].platform in CLASS_MAPPER and by_slug[name].platform == nornir[name].platform, name
        platforms = ansible[name]["platforms"]
        assert len(platforms) == 1 and platforms[0] == nornir[name].platform, name
        known = next(p for p in PLATFORMS.values() if p.netmiko == platforms[0])
        assert ansible[name].get("ansible_network_os") == (known.network_os or None), name
    assert ansible["nx-kan-008-sw1"]["ansible_network_os"] == "cisco.ios.ios"
    for hosts in ({n: ansible[n] for n in mine}, {n: nornir[n].data for n in mine}):
        text = json.dumps(hosts, default=str)
        assert "schoolnet_applied" not in text and books.PREFIX.strip() not in text, "no bookkeeping in a host"
    _edit(school, "asset_tag: NX-KAN-008-SW2\n    status: offline\n", "asset_tag: NX-KAN-008-SW2\n")
    assert published.apply().returncode == 0
    assert published.api.dcim.devices.get(name="nx-kan-008-sw2").primary_ip4 is not None
    assert published.plan()["changes"] == []


def test_a_netbox_of_an_earlier_version_moves_its_digests_into_the_books(published: Published) -> None:
    """Earlier versions kept the digests in a custom field on every object: a full apply books them and deletes
    the field, drift keeps working, and the next plan is empty."""
    api = published.api
    contexts = list(api.extras.config_contexts.filter(name__isw=books.PREFIX))
    assert contexts and all(not c.is_active for c in contexts), "the books apply to no device"
    device_book = next(c for c in contexts if c.name.startswith(f"{books.PREFIX}dcim.device "))
    old = {int(k): v for k, v in device_book.data["applied"].items()}
    api.extras.custom_fields.create(name=APPLIED, type="text", object_types=[t.name for t in TYPES if t.tagged],
                                    label="Applied by schoolnet", description=FIELD_DESCRIPTION,
                                    ui_visible="hidden", ui_editable="hidden")
    api.dcim.devices.update([{"id": oid, "custom_fields": {APPLIED: text}} for oid, text in old.items()])
    api.extras.config_contexts.delete([c.id for c in contexts])
    edge = api.dcim.devices.get(name="nx-sad-001-edge")
    edge.update({"serial": "HANDEDIT02"})  # a hand edit made under the earlier version is still drift
    drift = published.cli("drift", "--format", "json")
    assert drift.returncode == 1 and [d["field"] for d in json.loads(drift.stdout)] == ["serial"], drift.stderr
    plan = published.plan()
    assert ("delete", "extras.customfield", APPLIED) in {(c["action"], c["type"], c["key"]) for c in plan["changes"]}
    assert not [c for c in plan["changes"] if c["type"] == "dcim.device" and c["action"] != "update"]
    assert published.apply("--overwrite-drift").returncode == 0
    assert api.extras.custom_fields.get(name=APPLIED) is None
    assert api.dcim.devices.get(name="nx-sad-001-edge").serial != "HANDEDIT02"
    assert published.plan()["changes"] == [] and published.cli("drift").returncode == 0
    assert {int(k) for c in api.extras.config_contexts.filter(name__isw=f"{books.PREFIX}dcim.device ")
            for k in c.data["applied"]} == {d.id for d in api.dcim.devices.filter(tag="schoolnet")}


def _trace(api: Any, device: str, port: str) -> list[tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]]:
    """NetBox's own trace of a port (/api/dcim/interfaces/<id>/trace/): segments of (near ends, cable, far ends)."""
    interface = api.dcim.interfaces.get(device=device, name=port)
    assert interface is not None, (device, port)
    answer = Request(key=f"{interface.id}/trace", base=api.dcim.interfaces.url, token=api.token,
                     http_session=api.http_session).get()
    return [(list(near), dict(cable or {}), list(far)) for near, cable, far in answer]


def _end(termination: dict[str, Any]) -> str:
    """A trace end as a person names it: "device port" or "circuit side"."""
    if "circuit" in termination:
        return f"{termination['circuit']['cid']} {termination['term_side']}"
    return f"{termination['device']['name']} {termination['name']}"


def _hops(api: Any, device: str, port: str, onward: dict[str, str]) -> list[str]:
    """Follow NetBox's traces from a port to the provider: each trace ends at a port of the next device, whose
    `onward` port (its uplink, by the inventory) the next trace starts from; NetBox traces cables, not a path
    through a device."""
    hops = [f"{device} {port}"]
    while True:
        segments = _trace(api, device, port)
        assert len(segments) == 1, segments
        near, cable, far = segments[0]
        assert [_end(t) for t in near] == [hops[-1]]
        assert cable["label"] in (hops[-1], *(_end(t) for t in far))  # its A end, traced from either side
        hops += [_end(t) for t in far]
        if "circuit" in far[0] or far[0]["device"]["name"] not in onward:
            return hops
        device = far[0]["device"]["name"]
        port = onward[device]
        hops.append(f"{device} {port}")


def test_cables_trace_from_a_switch_port_through_the_edge_server_to_the_provider(published: Published) -> None:
    api = published.api
    fleet = load_for_action(published.inventory)
    school = next(s for s in fleet.schools if s.id == "nx-sad-001")
    circuit = school.uplinks[0].circuit_id
    cables = {c.label: c for c in api.dcim.cables.filter(site="nx-sad-001")}
    assert set(cables) == {"nx-sad-001-edge eno1", *(f"nx-sad-001-sw{n} XGigabitEthernet0/0/1" for n in (1, 2, 3, 4))}
    assert all([t.slug for t in c.tags] == ["schoolnet"] for c in cables.values())
    # the fourth switch hangs off the first one's last spare port, the first off the edge server's trunk, the edge
    # server's WAN port off the school's current uplink: three traces, end to end
    onward = {"nx-sad-001-sw1": "XGigabitEthernet0/0/1", "nx-sad-001-edge": "eno1"}
    assert _hops(api, "nx-sad-001-sw4", "XGigabitEthernet0/0/1", onward) == [
        "nx-sad-001-sw4 XGigabitEthernet0/0/1", "nx-sad-001-sw1 XGigabitEthernet0/0/4",
        "nx-sad-001-sw1 XGigabitEthernet0/0/1", "nx-sad-001-edge eno2",
        "nx-sad-001-edge eno1", f"{circuit} A"]
    assert {(c.label, c.status.value) for c in cables.values()} == {(label, "connected") for label in cables}
    # the data center: every link of nx-dc1.yaml, a server to the core, the core to a firewall, on to the transit
    site = fleet.datacenters[0]
    dc = {c.label: c for c in api.dcim.cables.filter(site="nx-dc1")}
    assert set(dc) == {f"{link.device} {link.port}" for link in site.links}
    onward = {"nx-dc1-core-01": "10GE1/0/48", "nx-dc1-fw-01": "x1"}
    assert _hops(api, "nx-dc1-dns-01", "eno1", onward) == [
        "nx-dc1-dns-01 eno1", "nx-dc1-core-01 10GE1/0/6", "nx-dc1-core-01 10GE1/0/48", "nx-dc1-fw-01 x3",
        "nx-dc1-fw-01 x1", "NXF-DC1-IP-01 A"]


@pytest.mark.parametrize(("switch", "os", "uplink", "first_port"), [
    ("nx-sad-001-sw1", "huawei-vrp", "XGigabitEthernet0/0/1", "GigabitEthernet0/0/"),
    ("nx-kan-002-sw1", "cisco-ios", "GigabitEthernet1/1/1", "GigabitEthernet1/0/"),
])
def test_a_switchs_access_ports_are_in_their_vlans(published: Published, switch: str, os: str, uplink: str,
                                                    first_port: str) -> None:
    api = published.api
    assert api.dcim.devices.get(name=switch).platform.slug == PLATFORMS[os].netmiko  # the vendor's dialect
    ports = {i.name: i for i in api.dcim.interfaces.filter(device=switch)}
    assert len([n for n in ports if not n.startswith("Vlan")]) == 28, "every port of the hardware catalogue"
    assert all([t.slug for t in i.tags] == ["schoolnet"] for i in ports.values()), "NetBox made them; schoolnet owns"
    # programme.yaml: staff 1-8, tablets 9-20 (classroom access points), guest 21-24, counted without the uplink
    for number, vid in ((1, 20), (8, 20), (9, 30), (20, 30), (21, 40), (24, 40)):
        port = ports[f"{first_port}{number}"]
        assert (port.mode.value, port.untagged_vlan.vid, port.type.value, port.speed) == (
            "access", vid, "1000base-t", 1_000_000), port.name
        assert port.untagged_vlan.group.slug == switch.rsplit("-", 1)[0]
    assert (ports[uplink].mode.value, ports[uplink].untagged_vlan) == ("tagged-all", None)
    assert ports[uplink].description == f"uplink to {switch.rsplit('-', 1)[0]}-edge"


def test_edge_vlan_interfaces_sit_on_their_trunk_and_management_ports_are_management_only(
        published: Published) -> None:
    api = published.api
    interfaces = {i.name: i for i in api.dcim.interfaces.filter(device="nx-sad-001-edge")}
    assert interfaces["eno2"].mode.value == "tagged-all"
    subs = {n: i for n, i in interfaces.items() if n.startswith("eno2.")}
    assert set(subs) == {"eno2.10", "eno2.20", "eno2.30", "eno2.40"}
    for name, sub in subs.items():
        assert (sub.parent.name, sub.mode.value, sub.untagged_vlan.vid) == ("eno2", "access", int(name[5:]))
    mgmt = api.dcim.interfaces.get(device="nx-dc1-core-01", name="mgmt")
    assert mgmt.mgmt_only is True
    assert not api.dcim.interfaces.get(device="nx-dc1-core-01", name="10GE1/0/1").mgmt_only
    templates = list(api.dcim.interface_templates.filter(device_type_id=api.dcim.device_types.get(
        slug="huawei-s5735-l24p4s-a").id))
    assert len(templates) == 28 and {t.type.value for t in templates} == {"1000base-t", "10gbase-x-sfpp"}
    assert _count(api, "dcim.interface", site="nx-sad-001", tag__n="schoolnet") == 0, "no port left unowned"


def test_a_cable_deleted_by_hand_is_created_again_and_one_moved_by_hand_is_drift(published: Published) -> None:
    api = published.api
    label = "nx-sad-003-sw1 XGigabitEthernet0/0/1"
    api.dcim.cables.get(label=label).delete()
    plan = published.plan()
    assert [(c["action"], c["type"], c["key"]) for c in plan["changes"]] == [("create", "dcim.cable", label)]
    assert published.apply().returncode == 0
    assert _trace(api, "nx-sad-003-sw1", "XGigabitEthernet0/0/1")[0][2][0]["name"] == "eno2"
    # re-plugged by hand into a free port: drift at the switch's uplink_port line, apply refuses, then restores
    cable = api.dcim.cables.get(label=label)
    other = api.dcim.interfaces.get(device="nx-sad-003-sw1", name="GigabitEthernet0/0/24")
    cable.update({"a_terminations": [{"object_type": "dcim.interface", "object_id": other.id}]})
    drift = published.cli("drift", "--format", "json")
    assert drift.returncode == 1
    fields = [(d["type"], d["key"], d["field"]) for d in json.loads(drift.stdout)]
    assert fields == [("dcim.cable", label, "a_terminations")]
    assert published.apply().returncode == 1
    assert published.apply("--overwrite-drift").returncode == 0
    assert _trace(api, "nx-sad-003-sw1", "XGigabitEthernet0/0/1")[0][2][0]["name"] == "eno2"
    assert published.plan()["changes"] == []


def test_a_port_deleted_or_untagged_by_hand_is_schoolnets_again(published: Published) -> None:
    """A port NetBox made from a template and someone untagged is adopted without --adopt; one deleted by hand (as
    on a device created before its type had templates) is created, in its VLAN."""
    api = published.api
    api.dcim.interfaces.get(device="nx-sad-005-sw1", name="GigabitEthernet0/0/5").delete()
    untagged = api.dcim.interfaces.get(device="nx-sad-005-sw1", name="GigabitEthernet0/0/6")
    untagged.update({"tags": []})
    plan = published.plan()
    assert sorted((c["action"], c["key"]) for c in plan["changes"]) == [
        ("adopt", "nx-sad-005-sw1 GigabitEthernet0/0/6"), ("create", "nx-sad-005-sw1 GigabitEthernet0/0/5")]
    assert published.apply().returncode == 0
    for name in ("GigabitEthernet0/0/5", "GigabitEthernet0/0/6"):
        port = api.dcim.interfaces.get(device="nx-sad-005-sw1", name=name)
        assert ([t.slug for t in port.tags], port.untagged_vlan.vid) == (["schoolnet"], 20)
    assert published.plan()["changes"] == []


def test_what_another_team_made_under_a_name_is_left_alone(published: Published) -> None:
    """Their custom field `synthetic` keeps its type, object types and data: schoolnet's fields have names of
    their own (schoolnet_synthetic)."""
    api = published.api
    theirs = api.extras.custom_fields.get(name="synthetic")
    assert (theirs.type.value, theirs.object_types, theirs.description) == ("text", ["dcim.device"], "the NOC's own")
    assert api.dcim.devices.get(name="noc-printer").custom_fields["synthetic"] == "black"
    assert api.dcim.sites.get(slug="nx-sad-001").custom_fields["schoolnet_synthetic"] is True


def test_a_tag_schoolnet_did_not_make_is_never_taken_for_its_own(published: Published) -> None:
    api = published.api
    tag = api.extras.tags.get(slug="schoolnet")
    tag.update({"description": "the NOC's tag for things about schools"})  # as if someone else had made it
    plan = published.plan()
    assert [(c["type"], c["key"]) for c in plan["unowned"]] == [("extras.tag", "schoolnet")]
    edit_one_serial = published.inventory / "schools" / "sadarak" / "nx-sad-005.yaml"
    text = edit_one_serial.read_text()
    serial = text[text.index("- kind: edge"):].split("serial: ", 1)[1].split("\n", 1)[0]
    _edit(edit_one_serial, f"serial: {serial}\n", "serial: 7NEWSRV\n")
    before = published.changes_logged()
    refused = published.apply()
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "extras.tag schoolnet, which schoolnet did not make" in refused.stderr and "--adopt" in refused.stderr
    assert published.changes_logged() == before
    adopted = published.apply("--adopt")
    assert adopted.returncode == 0, adopted.stderr
    assert api.extras.tags.get(slug="schoolnet").description.startswith("managed by schoolnet")
    assert api.dcim.devices.get(name="nx-sad-005-edge").serial == "7NEWSRV"
    assert published.plan()["changes"] == []


def test_one_apply_at_a_time_and_the_second_names_the_first(published: Published) -> None:
    api = published.api
    school = published.inventory / "schools" / "sadarak" / "nx-sad-005.yaml"
    _edit(school, "serial: 7NEWSRV\n", "serial: 7NEWSRV2\n")
    lock = api.extras.tags.create(name="schoolnet-apply-lock", slug="schoolnet-apply-lock",
                                  description=json.dumps({"by": "operator@noc-42 (pid 4242)",
                                                          "since": "2026-12-07T09:00:00+00:00"}))
    refused = published.apply()
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    message = refused.stderr.strip().splitlines()[-1]
    assert "operator@noc-42 (pid 4242)" in message and "2026-12-07T09:00:00" in message and "--break-lock" in message
    assert api.dcim.devices.get(name="nx-sad-005-edge").serial == "7NEWSRV"
    assert api.extras.tags.get(id=lock.id) is not None, "the holder's lock is not taken away"
    broken = published.apply("--break-lock")
    assert broken.returncode == 0, broken.stderr
    assert api.dcim.devices.get(name="nx-sad-005-edge").serial == "7NEWSRV2"
    assert api.extras.tags.get(slug="schoolnet-apply-lock") is None, "the lock is given back"
    # two applies started together: one writes, the other is refused or finds nothing left; never twins
    _edit(school, "serial: 7NEWSRV2\n", "serial: 7NEWSRV3\n")
    tablets = published.inventory / "schools" / "sadarak" / "nx-sad-003.yaml"
    tablets.write_text(tablets.read_text().replace('mac: "02:5c:', 'mac: "02:5d:', 1))  # a new MAC to create
    runs = [subprocess.Popen([SCHOOLNET, "netbox", "apply", "--yes", "--inventory", str(published.inventory)],
                             env=published.netbox.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outcomes = [(run.wait(timeout=600), run.stderr.read() if run.stderr else "") for run in runs]
    assert sorted(code for code, _ in outcomes)[0] == 0, outcomes
    for code, err in outcomes:
        assert code == 0 or "another apply is writing to this NetBox" in err, err
    assert published.plan()["changes"] == []
    macs = [m.mac_address.lower() for m in api.dcim.mac_addresses.filter(tag="schoolnet")]
    assert len(macs) == len(set(macs)), "no MAC was created twice"


def test_two_kept_tablets_swapping_their_macs_converge(published: Published) -> None:
    """NetBox refuses to move a MAC that is an interface's primary: the primaries are released first."""
    school = published.inventory / "schools" / "sadarak" / "nx-sad-001.yaml"
    text = school.read_text()
    first, second = [line.split('"')[1] for line in text.splitlines() if line.strip().startswith("mac:")][:2]
    school.write_text(text.replace(first, "SWAP").replace(second, first).replace("SWAP", second))
    plan = published.plan()
    assert {(c["type"], c["action"]) for c in plan["changes"]} <= {("dcim.macaddress", "update"),
                                                                   ("dcim.interface", "update")}
    result = published.apply()
    assert result.returncode == 0, result.stderr
    api = published.api
    wlan = api.dcim.interfaces.get(device="nx-sad-001-t001", name="wlan0")
    assert str(wlan.primary_mac_address.mac_address).lower() == second.lower()
    assert published.plan()["changes"] == [] and published.cli("drift").returncode == 0


def test_a_value_netbox_trims_is_not_a_change_for_ever(published: Published) -> None:
    school = published.inventory / "schools" / "sadarak" / "nx-sad-003.yaml"
    text = school.read_text()
    address = next(line for line in text.splitlines() if line.startswith("address: "))
    _edit(school, address + "\n", f'address: "{address.removeprefix("address: ")}  "\n')
    assert published.plan()["changes"] == [], "NetBox holds it without the spaces: the same value"


def test_an_owned_twin_is_deleted(published: Published) -> None:
    """A MAC twice in NetBox (NetBox does not hold MACs unique; two applies at once once made both)."""
    api = published.api
    original = next(iter(api.dcim.mac_addresses.filter(tag="schoolnet", limit=1)))
    tag = api.extras.tags.get(slug="schoolnet")
    twin = api.dcim.mac_addresses.create(mac_address=str(original.mac_address), tags=[tag.id])
    plan = published.plan()
    assert [(c["action"], c["type"], c["id"]) for c in plan["changes"]] == [("delete", "dcim.macaddress", twin.id)]
    assert published.apply().returncode == 0
    assert api.dcim.mac_addresses.get(id=twin.id) is None and api.dcim.mac_addresses.get(id=original.id) is not None
    assert published.plan()["changes"] == []


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new))


def _only_updates(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert {c["action"] for c in plan["changes"]} == {"update"}, plan["changes"]
    return {f"{c['type']} {c['key']}": c["fields"] for c in plan["changes"]}


def test_a_tablet_handed_over_in_git_changes_that_tablet_only(published: Published) -> None:
    school = next(path for path in sorted((published.inventory / "schools" / "sadarak").glob("*.yaml"))
                  if "status: in_stock" in path.read_text())
    text = school.read_text()
    slot = text[:text.index("status: in_stock")].rsplit("- slot: ", 1)[1].split("\n", 1)[0]
    block = text[text.index(f"- slot: {slot}\n"):]
    block = block[:block.index("status: in_stock") + len("status: in_stock")]
    _edit(school, block, block.replace("status: in_stock", "status: handed_over\n    handover: {certificate: "
                                       "NX-HO-2026-NEW-000001, date: 2026-11-30, received_by: librarian}"))
    updates = _only_updates(published.plan())
    name = f"dcim.device {tablet_name(school.stem, int(slot))}"
    assert set(updates) == {name}
    assert updates[name]["status"] == {"old": "inventory", "new": "active"}
    assert updates[name]["schoolnet_handover_certificate"]["new"] == "NX-HO-2026-NEW-000001"
    before = published.changes_logged()
    assert published.apply().returncode == 0
    assert published.changes_logged() - before == 1
    received_by = published.api.dcim.devices.get(name=name.split()[1]).custom_fields["schoolnet_handover_received_by"]
    assert received_by == "librarian"


def test_a_device_replaced_in_git_changes_that_device_only(published: Published) -> None:
    school = published.inventory / "schools" / "sadarak" / "nx-sad-003.yaml"
    text = school.read_text()
    old = text[text.index("- kind: switch\n"):].split("serial: ", 1)[1].split("\n", 1)[0]
    _edit(school, f"serial: {old}\n", "serial: 2102000000REPLACED01\n")
    updates = _only_updates(published.plan())
    assert updates == {"dcim.device nx-sad-003-sw1": {"serial": {"old": old, "new": "2102000000REPLACED01"}}}
    assert published.apply().returncode == 0
    assert published.api.dcim.devices.get(name="nx-sad-003-sw1").serial == "2102000000REPLACED01"
    assert published.plan()["changes"] == []


def test_a_server_renamed_in_git_takes_its_interfaces_and_addresses_along(published: Published) -> None:
    """Deletes come last (NetBox would cascade the old device's addresses away): the old device first gives
    up its asset tag, rack slot and primary address, the new one takes them, then the old one goes."""
    api = published.api
    old_primary = str(api.dcim.devices.get(name="nx-dc1-mon-01").primary_ip4.address)
    datacenter = published.inventory / "datacenter" / "nx-dc1.yaml"
    _edit(datacenter, "hostname: nx-dc1-mon-01", "hostname: nx-dc1-mon-09")
    _edit(datacenter, "device: nx-dc1-mon-01, port: eno1", "device: nx-dc1-mon-09, port: eno1")
    plan = published.plan()
    actions = {(c["action"], c["type"], c["key"]) for c in plan["changes"]}
    assert ("create", "dcim.device", "nx-dc1-mon-09") in actions
    assert ("delete", "dcim.device", "nx-dc1-mon-01") in actions
    assert {("create", "dcim.cable", "nx-dc1-mon-09 eno1"), ("delete", "dcim.cable", "nx-dc1-mon-01 eno1")} <= actions
    assert {c["type"] for c in plan["changes"]} <= {"dcim.device", "dcim.interface", "ipam.ipaddress", "dcim.cable"}
    result = published.apply()
    assert result.returncode == 0, result.stderr
    assert api.dcim.devices.get(name="nx-dc1-mon-01") is None
    renamed = api.dcim.devices.get(name="nx-dc1-mon-09")
    assert str(renamed.primary_ip4.address) == old_primary
    assert (renamed.asset_tag, renamed.position) == ("NX-DC1-MON-01", 3)
    assert sorted(i.name for i in api.dcim.interfaces.filter(device_id=renamed.id)) == ["eno1", "mgmt"]
    moved = api.dcim.cables.get(label="nx-dc1-mon-09 eno1")  # its port on the core left the old cable first
    assert [(t.object.device.name, t.object.name) for t in moved.b_terminations] == [("nx-dc1-core-01", "10GE1/0/8")]
    assert published.plan()["changes"] == []


def test_a_hand_edit_in_netbox_is_drift_at_its_line_and_apply_refuses_it(published: Published) -> None:
    api = published.api
    edge = api.dcim.devices.get(name="nx-sad-001-edge")
    edge.update({"serial": "HANDEDIT01"})
    result = published.cli("drift", "--format", "json")
    assert result.returncode == 1, result.stderr
    drifts = json.loads(result.stdout)
    assert len(drifts) == 1
    drift = drifts[0]
    school = published.inventory / "schools" / "sadarak" / "nx-sad-001.yaml"
    line = school.read_text().splitlines().index("    serial: 46GOFBD") + 1
    assert drift["location"].startswith(f"{school}:{line}:"), "reported at the serial's own line"
    assert (drift["field"], drift["git"], drift["netbox"]) == ("serial", "46GOFBD", "HANDEDIT01")
    assert drift["user"] == "admin" and drift["time"]
    before = published.changes_logged()
    refused = published.apply()
    assert refused.returncode == 1
    assert "edited in NetBox" in refused.stderr and "--overwrite-drift" in refused.stderr
    assert len(refused.stderr.strip().splitlines()[-1]) > 0 and "Traceback" not in refused.stderr
    assert published.changes_logged() == before
    assert published.apply("--overwrite-drift").returncode == 0
    assert api.dcim.devices.get(name="nx-sad-001-edge").serial == "46GOFBD"
    assert published.cli("drift").returncode == 0


def _new_school(inventory: Path, tmp: Path) -> None:
    """A school added as a sysadmin adds one: its file, then `ipam allocate`, then the contract count."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / "key")], check=True)
    key = (tmp / "key.pub").read_text().split()[:2]
    (inventory / "schools" / "sadarak" / f"{NEW_SCHOOL}.yaml").write_text(
        f"id: {NEW_SCHOOL}\nname: Sadarak school No. 13\ndistrict: sadarak\n"
        "address: 1 New street, Sadarak (synthetic)\n"
        "coordinates: {lat: 39.70001, lon: 44.88001}\nstudents: 120\nsynthetic: true\n"
        "uplinks:\n  - {provider: nxfiber, circuit_id: NXF-SAD-0013-FTTB, bandwidth_mbps: 300, status: planned}\n"
        "devices:\n  - kind: edge\n    serial: NEWSRV13\n    asset_tag: NX-SAD-013-SRV\n"
        f"    ssh_host_key: {key[0]} {key[1]}\n"
        "tablets:\n  - {slot: 1, serial: R9NEWTAB013, mac: \"02:5c:ee:00:00:13\", status: in_stock}\n")
    allocated = subprocess.run([SCHOOLNET, "ipam", "allocate", NEW_SCHOOL, "--inventory", str(inventory)],
                               capture_output=True, text=True, check=False)
    assert allocated.returncode == 0, allocated.stderr


def test_a_school_added_with_ipam_allocate_creates_its_objects_only(published: Published, tmp_path: Path) -> None:
    api = published.api
    before_keys = published.desired_keys()
    # someone made the new school's site by hand, and a device that takes the new edge's asset tag
    hand_site = api.dcim.sites.create(name="Sadarak 13 (hand made)", slug=NEW_SCHOOL, status="planned")
    printer_type = api.dcim.device_types.get(slug="printer")
    printer_role = api.dcim.device_roles.get(slug="printer")
    squatter = api.dcim.devices.create(name="old-server", site=api.dcim.sites.get(slug="noc-lab").id,
                                       device_type=printer_type.id, role=printer_role.id,
                                       asset_tag="NX-SAD-013-SRV")
    _new_school(published.inventory, tmp_path)
    published.expect(schools=1, tablets=1)
    added = published.desired_keys() - before_keys
    plan = published.plan()
    assert {c["action"] for c in plan["changes"]} == {"create"}
    assert {(c["type"], c["key"]) for c in plan["changes"]} == added - {("dcim.site", NEW_SCHOOL)}
    assert [(c["type"], c["key"]) for c in plan["unowned"]] == [("dcim.site", NEW_SCHOOL)]
    # a NetBox 400 for one object of a bulk create: one line naming it and its inventory line
    before = published.changes_logged()
    refused = published.apply()
    assert refused.returncode == 1
    message = refused.stderr.strip().splitlines()[-1]
    assert f"{NEW_SCHOOL}.yaml:" in message and f"{NEW_SCHOOL}-edge" in message and "asset" in message.lower()
    assert "Traceback" not in refused.stderr
    written = published.changes_logged() - before
    # the fault removed, apply again: it converges, and the hand-made site is adopted only when asked
    squatter.delete()
    assert published.apply().returncode == 0
    assert api.dcim.sites.get(slug=NEW_SCHOOL).name == "Sadarak 13 (hand made)"
    adopted = published.apply("--adopt")
    assert adopted.returncode == 0, adopted.stderr
    site = api.dcim.sites.get(slug=NEW_SCHOOL)
    assert site.id == hand_site.id and site.name == "Sadarak school No. 13"
    assert "schoolnet" in [t.slug for t in site.tags]
    assert published.plan()["changes"] == []
    assert written == 0, "the refused bulk create wrote nothing"


def test_a_school_removed_deletes_its_objects_and_nothing_else(published: Published) -> None:
    api = published.api
    inventory = published.inventory
    school = inventory / "schools" / "sadarak" / f"{REMOVED_SCHOOL}.yaml"
    tablets = school.read_text().count("- slot: ")
    before_keys = published.desired_keys()
    school.unlink()
    ipam = inventory / "ipam.yaml"
    line = next(x for x in ipam.read_text().splitlines() if x.strip().startswith(f"{REMOVED_SCHOOL}:"))
    _edit(ipam, line + "\n", "")
    published.expect(schools=-1, tablets=-tablets)
    removed = before_keys - published.desired_keys()
    # someone added an address by hand to the edge's uplink: NetBox deletes it with the device, and the plan says so
    uplink = api.dcim.interfaces.get(device=f"{REMOVED_SCHOOL}-edge", name="eno1")
    by_hand = api.ipam.ip_addresses.create(address="127.0.99.10/32", assigned_object_type="dcim.interface",
                                           assigned_object_id=uplink.id)
    plan = published.plan()
    assert {c["action"] for c in plan["changes"]} == {"delete"}
    assert {(c["type"], c["key"]) for c in plan["changes"]} == removed
    edge = next(c for c in plan["changes"] if c["type"] == "dcim.device" and c["key"] == f"{REMOVED_SCHOOL}-edge")
    assert "ipam.ipaddress 127.0.99.10/32 (not schoolnet's)" in edge["cascade"]
    assert "NetBox deletes with it:" in published.cli("plan").stdout
    owned_before = {t.name: _count(api, t.name, tag="schoolnet") for t in TYPES if t.tagged}
    result = published.apply()
    assert result.returncode == 0, result.stderr
    assert api.dcim.sites.get(slug=REMOVED_SCHOOL) is None
    assert _count(api, "dcim.device", name__isw=f"{REMOVED_SCHOOL}-") == 0
    for object_type in TYPES:
        if object_type.tagged:
            gone = sum(1 for t, _ in removed if t == object_type.name)
            assert _count(api, object_type.name, tag="schoolnet") == owned_before[object_type.name] - gone
    assert api.dcim.devices.get(name="noc-printer") is not None  # the hand-made device survives
    assert api.dcim.sites.get(slug="noc-lab") is not None
    assert api.ipam.ip_addresses.get(id=by_hand.id) is None  # as the plan said
    assert published.plan()["changes"] == []


def test_a_school_moved_out_of_the_limit_is_left_to_the_full_apply(published: Published) -> None:
    """A school moved to Kangarli (its id follows its district: nx-sad-011 becomes nx-kan-019) is in neither
    Sadarak's limit nor, under its old name, in git: the limited apply leaves it where it was."""
    api, inventory = published.api, published.inventory
    old = inventory / "schools" / "sadarak" / f"{MOVED_SCHOOL}.yaml"
    text = old.read_text().replace(f"id: {MOVED_SCHOOL}\n", f"id: {MOVED_TO}\n")
    text = text.replace("district: sadarak\n", "district: kangarli\n")
    text = text.replace("Sadarak school No. 11", "Kangarli school No. 19")
    (inventory / "schools" / "kangarli" / f"{MOVED_TO}.yaml").write_text(text)
    old.unlink()
    _edit(inventory / "ipam.yaml", f"  {MOVED_SCHOOL}:", f"  {MOVED_TO}:")
    before = published.changes_logged()
    limited = published.apply("--limit", "district:sadarak")
    assert limited.returncode == 0 and "nothing to write" in limited.stderr, limited.stderr
    assert published.changes_logged() == before
    assert api.dcim.sites.get(slug=MOVED_SCHOOL) is not None and api.dcim.sites.get(slug=MOVED_TO) is None
    full = published.plan()
    sites = {c["action"]: c["key"] for c in full["changes"] if c["type"] == "dcim.site"}
    assert sites == {"create": MOVED_TO, "delete": MOVED_SCHOOL}
    # what keeps its key moves along: the school's circuit, its tablets' MACs and its addresses
    updates = [c for c in full["changes"] if c["action"] == "update"]
    assert updates and _sites_of(published.desired(), updates) == {MOVED_TO}
    result = published.apply()
    assert result.returncode == 0, result.stderr
    assert api.dcim.sites.get(slug=MOVED_SCHOOL) is None
    assert api.dcim.sites.get(slug=MOVED_TO).region.slug == "kangarli"
    assert published.plan()["changes"] == []


@pytest.mark.parametrize(("env", "expected"), [
    ({"NETBOX_URL": "http://127.0.0.1:9"}, "is unreachable"),
    ({"NETBOX_TOKEN": "nbt_wrongwrong12.0000000000000000000000000000000000000000"}, "refused the token"),
], ids=["unreachable", "wrong-token"])
def test_netbox_faults_are_one_line_and_exit_1(published: Published, env: dict[str, str], expected: str) -> None:
    for command in ("plan", "apply", "drift"):
        result = published.cli(command, env=env)
        assert result.returncode == 1, (command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (command, result.stderr)
