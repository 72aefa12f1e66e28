"""Reconciliation: snapshots of what nx-sad-001 would show, each broken one way, against the reference inventory.

Each case starts from a snapshot that agrees with the inventory (every device of the school answering
with the serial, model, neighbours and MACs the inventory and its topology imply) and changes one
thing; the expected problem is its code at the line of the inventory to change.  The lab tests read
real servers and switch emulators; these hold the rules to their meaning, one difference at a time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from schoolnet.model.fleet import Fleet
from schoolnet.model.topology import school_switch_links
from schoolnet.observe.locate import locate_any
from schoolnet.observe.reconcile import Evidence, reconcile
from schoolnet.observe.sightings import normalise_mac
from schoolnet.observe.snapshot import Observation, Snapshot, history, save
from schoolnet.observe.switch_facts import MacEntry, Neighbour, SwitchFacts
from schoolnet.observe.switch_reads import facts_json
from schoolnet.validate.run import load_for_action
from tests.conftest import ROOT

SCHOOL, OTHER = "nx-sad-001", "nx-sad-002"
TAKEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
EDGE_MAC = "02:00:00:00:aa:01"


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_for_action(ROOT / "inventory")


def agreeing(fleet: Fleet, at: datetime = TAKEN) -> Snapshot:
    """A snapshot of SCHOOL as its inventory says it is: its tablets on the tablet VLAN of the first switch."""
    school = fleet.schools_by_id[SCHOOL]
    hosts = fleet.school_hosts[SCHOOL]
    snapshot = Snapshot("lab", at)
    edge = next(h for h in hosts if h.kind == "edge")
    model = fleet.catalog[edge.model]
    snapshot.observations[edge.hostname] = Observation(edge.hostname, "edge", True, facts={
        "serial": edge.serial, "model": model.model, "unobservable": "", "macs": {"eno2.10": EDGE_MAC},
        "packages": {"dnsmasq": True}, "services": {"dnsmasq": True}, "leases": []})
    links = school_switch_links(fleet, school)
    tablets_port = "GigabitEthernet0/0/9"
    for host in (h for h in hosts if h.kind == "switch"):
        neighbours = [Neighbour(link.port, link.peer.hostname, str(link.peer_port)) for link in links
                      if link.switch is host]
        neighbours += [Neighbour(str(link.peer_port), link.switch.hostname, link.port) for link in links
                       if link.peer is host]
        macs = [MacEntry(EDGE_MAC, 10, link.port) for link in links if link.switch is host]
        if host.hostname.endswith("-sw1"):
            macs += [MacEntry(normalise_mac(t.mac), 30, tablets_port) for t in school.tablets]
        catalogue = fleet.catalog[host.model]
        facts = SwitchFacts(catalogue.os, host.serial, catalogue.model.split()[-1], "V200R022C00SPC500",
                            tuple(neighbours), tuple(macs), ())
        snapshot.observations[host.hostname] = Observation(host.hostname, "switch", True, facts=facts_json(facts))
    return snapshot


def facts(snapshot: Snapshot, host: str) -> dict[str, Any]:
    return snapshot.observations[host].facts


def line_of(fleet: Fleet, text: str, occurrence: int = 1, school: str = SCHOOL) -> str:
    """`file:line` of the `occurrence`-th line of the school's file holding `text`."""
    owner = fleet.schools_by_id[school]
    lines = [n for n, line in enumerate(Path(fleet.doc(owner).path).read_text().splitlines(), 1) if text in line]
    return f"{fleet.loc(owner, 'id').file}:{lines[occurrence - 1]}"


@dataclass
class Case:
    id: str
    change: Callable[[Fleet, Snapshot], None]
    code: str
    where: Callable[[Fleet], str]  # file:line
    says: str


def swap_switch(fleet: Fleet, snapshot: Snapshot) -> None:
    facts(snapshot, f"{SCHOOL}-sw2")["serial"] = "2102999999SWAPPED0001"


def swap_edge_model(fleet: Fleet, snapshot: Snapshot) -> None:
    facts(snapshot, f"{SCHOOL}-edge")["model"] = "PowerEdge R350"


def move_uplink(fleet: Fleet, snapshot: Snapshot) -> None:
    for entry in facts(snapshot, f"{SCHOOL}-sw3")["lldp"]:
        entry["local_port"] = "XGigabitEthernet0/0/2"


def tablet_elsewhere(fleet: Fleet, snapshot: Snapshot) -> None:
    tablet = fleet.schools_by_id[SCHOOL].tablets[2]
    mac = normalise_mac(tablet.mac)
    sw1 = facts(snapshot, f"{SCHOOL}-sw1")
    sw1["mac_table"] = [m for m in sw1["mac_table"] if m["mac"] != mac]
    other = fleet.school_hosts[OTHER]
    switch = next(h for h in other if h.kind == "switch")
    snapshot.observations[switch.hostname] = Observation(switch.hostname, "switch", True, facts={
        "serial": switch.serial, "model": "", "lldp": [], "interfaces": [],
        "mac_table": [{"mac": mac, "vlan": 30, "port": "GigabitEthernet0/0/12"}]})


def unknown_laptop(fleet: Fleet, snapshot: Snapshot) -> None:
    facts(snapshot, f"{SCHOOL}-sw2")["mac_table"].append({"mac": "3c:22:fb:00:00:01", "vlan": 30,
                                                          "port": "GigabitEthernet0/0/10"})


def stopped_service(fleet: Fleet, snapshot: Snapshot) -> None:
    facts(snapshot, f"{SCHOOL}-edge")["services"]["dnsmasq"] = False


def unreachable(fleet: Fleet, snapshot: Snapshot) -> None:
    snapshot.observations[f"{SCHOOL}-sw4"] = Observation(f"{SCHOOL}-sw4", "switch", False,
                                                         "unreachable: timed out")


def edge_behind_another_port(fleet: Fleet, snapshot: Snapshot) -> None:
    """No LLDP from the edge server (no lldpd): its MAC on the first switch says where it is."""
    sw1 = facts(snapshot, f"{SCHOOL}-sw1")
    sw1["lldp"] = [n for n in sw1["lldp"] if n["system_name"] != f"{SCHOOL}-edge"]
    for entry in sw1["mac_table"]:
        if entry["mac"] == EDGE_MAC:
            entry["port"] = "GigabitEthernet0/0/24"


def tablet_leased_elsewhere(fleet: Fleet, snapshot: Snapshot) -> None:
    """No switch saw it anywhere: the other school's lease says where it went."""
    tablet = fleet.schools_by_id[SCHOOL].tablets[2]
    mac = normalise_mac(tablet.mac)
    sw1 = facts(snapshot, f"{SCHOOL}-sw1")
    sw1["mac_table"] = [m for m in sw1["mac_table"] if m["mac"] != mac]
    edge = f"{OTHER}-edge"
    snapshot.observations[edge] = Observation(edge, "edge", True, facts={
        "macs": {}, "packages": {}, "services": {}, "unobservable": "not observable in a test",
        "leases": [{"mac": mac, "address": "10.64.2.9", "name": "moved", "expires": 0}]})


def stranger_on_the_uplink(fleet: Fleet, snapshot: Snapshot) -> None:
    """A MAC learned on a trunk is behind it, not plugged in here: not judged."""
    facts(snapshot, f"{SCHOOL}-sw2")["mac_table"].append({"mac": "3c:22:fb:00:00:02", "vlan": 30,
                                                          "port": "XGigabitEthernet0/0/1"})


def fully_qualified_neighbour(fleet: Fleet, snapshot: Snapshot) -> None:
    """lldpd's defaults: the system name fully qualified, the port ID a MAC of the edge server's."""
    for entry in facts(snapshot, f"{SCHOOL}-sw1")["lldp"]:
        if entry["system_name"] == f"{SCHOOL}-edge":
            entry.update(system_name=f"{SCHOOL}-edge.{SCHOOL}.nx.schoolnet.internal", port_id=EDGE_MAC.upper())


CLEAN = [  # each a change that must not read as a difference
    ("a stranger seen only on a trunk", stranger_on_the_uplink),
    ("a fully qualified LLDP neighbour with a MAC for its port", fully_qualified_neighbour),
]

CASES = [
    Case("a switch swapped", swap_switch, "SN951", lambda f: line_of(f, "serial: 2102845752P3DLKSTDPA"),
         "reports serial 2102999999SWAPPED0001, the inventory says 2102845752P3DLKSTDPA"),
    Case("an edge server of another model", swap_edge_model, "SN951", lambda f: line_of(f, "  - kind: edge"),
         "reports model PowerEdge R350"),
    Case("an uplink on another port", move_uplink, "SN952", lambda f: line_of(f, "uplink_port:", 3),
         "nx-sad-001-sw3 XGigabitEthernet0/0/1 should lead to nx-sad-001-sw1 XGigabitEthernet0/0/3; LLDP sees "
         "no neighbour"),
    Case("a tablet at another school", tablet_elsewhere, "SN953", lambda f: line_of(f, "    mac:", 3),
         "is seen at nx-sad-002, nx-sad-002-sw1, port GigabitEthernet0/0/12, VLAN 30 (whose file is "
         "inventory/schools/sadarak/nx-sad-002.yaml:2:5)"),
    Case("an unknown MAC on the tablet VLAN", unknown_laptop, "SN955", lambda f: line_of(f, "id: nx-sad-001"),
         "unknown MAC 3c:22:fb:00:00:01 on the tablets VLAN of nx-sad-001"),
    Case("a role's service stopped", stopped_service, "SN956", lambda f: line_of(f, "  - kind: edge"),
         "nx-sad-001-edge: not running: dnsmasq"),
    Case("an edge server behind another port, without LLDP", edge_behind_another_port, "SN952",
         lambda f: line_of(f, "uplink_port:", 1), "LLDP sees no neighbour; nx-sad-001-edge is behind "
         "GigabitEthernet0/0/24"),
    Case("a tablet leased at another school", tablet_leased_elsewhere, "SN953", lambda f: line_of(f, "    mac:", 3),
         "is seen at nx-sad-002, nx-sad-002-edge, lease 10.64.2.9"),
    Case("a switch unreachable", unreachable, "SN950", lambda f: line_of(f, "  - kind: switch", 4),
         "was not observed"),
]


def test_an_agreeing_snapshot_has_no_difference(fleet: Fleet) -> None:
    snapshot = agreeing(fleet)
    assert reconcile(Evidence(fleet, snapshot, [snapshot])) == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_difference_is_named_at_the_line_to_change(fleet: Fleet, case: Case) -> None:
    snapshot = agreeing(fleet)
    case.change(fleet, snapshot)
    problems = reconcile(Evidence(fleet, snapshot, [snapshot]))
    assert [(p.code, f"{p.location.file}:{p.location.line}") for p in problems] == [(case.code, case.where(fleet))]
    assert case.says in problems[0].message, problems[0].message


@pytest.mark.parametrize("change", [c for _, c in CLEAN], ids=[name for name, _ in CLEAN])
def test_what_is_no_difference_is_not_reported(fleet: Fleet, change: Callable[[Fleet, Snapshot], None]) -> None:
    snapshot = agreeing(fleet)
    change(fleet, snapshot)
    assert reconcile(Evidence(fleet, snapshot, [snapshot])) == []


def test_the_edge_servers_own_mac_is_known_from_an_earlier_run(fleet: Fleet) -> None:
    """The edge server did not answer this time; the MAC it reported before is still its own, not a stranger's."""
    earlier = agreeing(fleet, TAKEN - timedelta(hours=1))
    snapshot = agreeing(fleet)
    snapshot.observations[f"{SCHOOL}-edge"] = Observation(f"{SCHOOL}-edge", "edge", False, "unreachable: timed out")
    facts(snapshot, f"{SCHOOL}-sw2")["mac_table"].append({"mac": EDGE_MAC, "vlan": 30,
                                                          "port": "GigabitEthernet0/0/11"})
    assert [p.code for p in reconcile(Evidence(fleet, snapshot, [snapshot, earlier]))] == ["SN950"]
    assert [p.code for p in reconcile(Evidence(fleet, snapshot, [snapshot]))] == ["SN950", "SN955"]


def test_an_expired_lease_is_not_a_sighting(fleet: Fleet) -> None:
    snapshot = agreeing(fleet)
    tablet_leased_elsewhere(fleet, snapshot)
    lease = facts(snapshot, f"{OTHER}-edge")["leases"][0]
    lease["expires"] = int(TAKEN.timestamp()) - 60
    assert reconcile(Evidence(fleet, snapshot, [snapshot])) == []


def test_a_server_in_a_container_is_not_compared_and_says_why(fleet: Fleet) -> None:
    snapshot = agreeing(fleet)
    edge = facts(snapshot, f"{SCHOOL}-edge")
    edge.update({"serial": None, "model": None, "unobservable": "not observable in a systemd-nspawn: it shares "
                 "its machine's DMI"})
    evidence = Evidence(fleet, snapshot, [snapshot])
    assert reconcile(evidence) == []
    assert evidence.unobservable == {f"{SCHOOL}-edge": edge["unobservable"]}


def test_a_handed_over_tablet_unseen_too_long_is_named(fleet: Fleet) -> None:
    days = fleet.programme.observe.unseen_days
    old = agreeing(fleet, TAKEN - timedelta(days=days + 1))
    snapshot = agreeing(fleet)
    school = fleet.schools_by_id[SCHOOL]
    index, tablet = next((i, t) for i, t in enumerate(school.tablets) if t.status == "handed_over")
    sw1 = facts(snapshot, f"{SCHOOL}-sw1")
    sw1["mac_table"] = [m for m in sw1["mac_table"] if m["mac"] != normalise_mac(tablet.mac)]
    problems = reconcile(Evidence(fleet, snapshot, [snapshot, old]))
    assert [p.code for p in problems] == ["SN954"]
    assert problems[0].location == fleet.loc(school, "tablets", index, "status")
    assert f"last seen {old.taken_at:%Y-%m-%d} at {SCHOOL}, {SCHOOL}-sw1, port GigabitEthernet0/0/9" in \
        problems[0].message


def test_a_tablet_is_judged_unseen_only_once_its_school_was_observed_that_long(fleet: Fleet) -> None:
    days = fleet.programme.observe.unseen_days
    school = fleet.schools_by_id[SCHOOL]
    index, tablet = next((i, t) for i, t in enumerate(school.tablets) if t.status == "handed_over")
    runs = [agreeing(fleet, TAKEN - timedelta(days=d)) for d in (0, days // 2, days + 1)]
    for snapshot in runs:  # never seen, in any run
        sw1 = facts(snapshot, f"{SCHOOL}-sw1")
        sw1["mac_table"] = [m for m in sw1["mac_table"] if m["mac"] != normalise_mac(tablet.mac)]
    assert reconcile(Evidence(fleet, runs[0], runs[:2])) == []  # observed for half the window: too soon to say
    problems = reconcile(Evidence(fleet, runs[0], runs))
    assert [(p.code, p.location) for p in problems] == [("SN954", fleet.loc(school, "tablets", index, "status"))]
    assert "not seen in 3 observation(s)" in problems[0].message


def test_what_a_device_says_cannot_drive_a_terminal(fleet: Fleet) -> None:
    """An LLDP neighbour names itself with an escape sequence: the difference still reads as one plain line."""
    snapshot = agreeing(fleet)
    for entry in facts(snapshot, f"{SCHOOL}-sw1")["lldp"]:
        if entry["system_name"] == f"{SCHOOL}-edge":
            entry["system_name"] = "evil\x1b]0;owned\x07\nline"
    stored = Snapshot.from_json(json.loads(json.dumps(snapshot.as_json())))
    problems = reconcile(Evidence(fleet, stored, [stored]))
    assert [p.code for p in problems] == ["SN952"]
    assert "LLDP sees evil?]0;owned??line " in problems[0].message
    assert not any(ord(c) < 32 for c in problems[0].line())


def test_locate_says_where_a_tablet_was_last_seen_and_where_the_inventory_puts_it(fleet: Fleet,
                                                                                   tmp_path: Path) -> None:
    earlier = agreeing(fleet, TAKEN - timedelta(days=1))
    latest = copy.deepcopy(agreeing(fleet))
    tablet_elsewhere(fleet, latest)
    for snapshot in (earlier, latest):
        save(tmp_path, snapshot)
    assert [s.taken_at for s in history(tmp_path, "lab")] == [latest.taken_at, earlier.taken_at]
    tablet = fleet.schools_by_id[SCHOOL].tablets[2]
    for asked in (tablet.serial, tablet.mac.upper().replace(":", "-"), f"{SCHOOL}-t{tablet.slot:03d}"):
        found = locate_any(fleet, tmp_path, asked, None)
        assert found is not None and found.seen is not None
        assert (found.seen.school, found.seen.port, found.seen.at) == (OTHER, "GigabitEthernet0/0/12", TAKEN)
        assert found.declared.startswith(f"{SCHOOL} at inventory/schools/sadarak/{SCHOOL}.yaml:")
    unknown = locate_any(fleet, tmp_path, "3c:22:fb:00:00:99", None)
    assert unknown is not None and unknown.seen is None and unknown.declared == ""
    assert locate_any(fleet, tmp_path, "no-such-thing", None) is None
