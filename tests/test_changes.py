"""`schoolnet changes`: scripted commits in a clone of this repository, each said in exact sentences.

One clone for the module; each scenario resets it to the cloned commit, makes its edit the
way a sysadmin would (the YAML by hand, `ipam allocate`, `secrets rotate`), commits, and runs
the command end to end as a subprocess.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_KEY, ROOT, SCHOOLNET

SCHOOL = "inventory/schools/sadarak/nx-sad-001.yaml"
SCHOOL_2 = "inventory/schools/sadarak/nx-sad-002.yaml"
CLOSED = "inventory/schools/sadarak/nx-sad-012.yaml"
NEW_SCHOOL = "inventory/schools/sadarak/nx-sad-013.yaml"
DATACENTER = "inventory/datacenter/nx-dc1.yaml"
UNBOUND = "templates/dns/etc/unbound/unbound.conf.d/school.conf.j2"
ENV = {**os.environ, "SOPS_AGE_KEY_FILE": str(DEMO_KEY)}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def changes(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command as a user types it (through the module until `changes` is registered in the CLI)."""
    return subprocess.run([sys.executable, "-m", "schoolnet.cli.changes_cmd", *args], cwd=repo, env=ENV,
                          capture_output=True, text=True, timeout=300)


def schoolnet(repo: Path, *args: str) -> None:
    subprocess.run([SCHOOLNET, *args], cwd=repo, env=ENV, check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("changes") / "programme"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
    git(repo, "config", "user.email", "auditor@example.invalid")
    git(repo, "config", "user.name", "Scripted change")
    return repo


@pytest.fixture
def base(clone: Path) -> str:
    """The cloned commit, with the work tree clean: every scenario starts from it."""
    commit = git(clone, "rev-parse", "origin/HEAD")
    git(clone, "reset", "-q", "--hard", commit)
    git(clone, "clean", "-qfdx", "-e", "__pycache__")
    return commit


def edit(repo: Path, path: str, old: str, new: str, count: int = 1) -> None:
    target = repo / path
    text = target.read_text()
    assert text.count(old) >= count, f"{old!r} not in {path}"
    target.write_text(text.replace(old, new, count))


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD")


def line_of(repo: Path, path: str, text: str) -> int:
    return next(n for n, line in enumerate((repo / path).read_text().splitlines(), 1) if text in line)


# --- the scripted commits ---------------------------------------------------------------------------


def hand_over_tablet(repo: Path) -> None:
    edit(repo, SCHOOL, '    mac: "02:5c:74:ba:7c:38"\n    status: in_stock\n',
         '    mac: "02:5c:74:ba:7c:38"\n    status: handed_over\n'
         "    handover: {certificate: NX-HO-2026-SAD001-004-A1B2C3, date: 2026-11-30, received_by: class-teacher}\n")


def ed25519_key(seed: str) -> str:
    """A well-formed OpenSSH ed25519 public key line, made up from a seed (the lab's keys are real)."""
    name = b"ssh-ed25519"
    blob = len(name).to_bytes(4, "big") + name + (32).to_bytes(4, "big") + hashlib.sha256(seed.encode()).digest()
    return f"ssh-ed25519 {base64.b64encode(blob).decode()}"


def replace_edge_server(repo: Path) -> None:
    edit(repo, SCHOOL, "serial: 46GOFBD", "serial: ABC123")
    text = (repo / SCHOOL).read_text()
    old_key = re.search(r"ssh_host_key: (ssh-ed25519 \S+)", text)
    assert old_key is not None
    edit(repo, SCHOOL, old_key.group(1), ed25519_key("nx-sad-001-edge replacement"))


def replug_server_room_cable(repo: Path) -> None:
    edit(repo, DATACENTER, "port: eno1, peer: nx-dc1-core-01, peer_port: 10GE1/0/6}",
         "port: eno1, peer: nx-dc1-core-01, peer_port: 10GE1/0/30}")


def replace_edge_server_and_key(repo: Path) -> None:
    """New hardware, new WireGuard key: the key alone changes rendered files, and is said to."""
    replace_edge_server(repo)
    rotate_secret(repo)


def add_school(repo: Path) -> None:
    """A new school file, its prefix from `ipam allocate`, the contract's numbers, its secrets."""
    (repo / NEW_SCHOOL).write_text(f"""\
# yaml-language-server: $schema=../../../schema/school.schema.json
id: nx-sad-013
name: Sadarak school No. 13
district: sadarak
address: 7 Nizami street, Sadarak (synthetic)
coordinates: {{lat: 39.70120, lon: 44.90310}}
students: 240
synthetic: true

uplinks:
  - provider: nxfiber
    circuit_id: NXF-SAD-0013-FTTB
    bandwidth_mbps: 300
    status: provisioning

devices:
  - kind: edge
    serial: K7QW2MZ
    asset_tag: NX-SAD-013-SRV
    ssh_host_key: {ed25519_key("nx-sad-013-edge")}
  - kind: switch
    serial: 2102999001PZZ0TEST01
    asset_tag: NX-SAD-013-SW1
    uplink_port: XGigabitEthernet0/0/1
    ssh_host_key: {ed25519_key("nx-sad-013-sw1")}

tablets:
  - slot: 1
    serial: R9TEST0013A
    mac: "02:5c:13:00:00:01"
    status: in_stock
  - slot: 2
    serial: R9TEST0013B
    mac: "02:5c:13:00:00:02"
    status: handed_over
    handover: {{certificate: NX-HO-2026-SAD013-002-5E1F00, date: 2026-11-30, received_by: class-teacher}}
""")
    edit(repo, "inventory/programme.yaml", "  schools: 216\n", "  schools: 217\n")
    edit(repo, "inventory/programme.yaml", "  tablets: 2300\n", "  tablets: 2302\n")
    schoolnet(repo, "ipam", "allocate", "nx-sad-013")
    schoolnet(repo, "secrets", "generate")


def rotate_secret(repo: Path) -> None:
    schoolnet(repo, "secrets", "rotate", "wireguard/nx-sad-001-edge/private_key")


def change_template(repo: Path) -> None:
    edit(repo, UNBOUND, "\n", "\n# every school resolves through its edge server\n")


def school_day(repo: Path) -> None:
    """The fiber goes down and the old copper line is brought back; one tablet goes to repair, one is lost."""
    edit(repo, SCHOOL, "    bandwidth_mbps: 1000\n    status: active", "    bandwidth_mbps: 1000\n    status: offline")
    edit(repo, SCHOOL, "    bandwidth_mbps: 20\n    status: decommissioned",
         "    bandwidth_mbps: 20\n    status: active")
    text = (repo / SCHOOL).read_text()
    first = text.index("  - slot: 1\n")
    block = text[first:text.index("  - slot: 2\n")]
    edit(repo, SCHOOL, block, block.replace("status: handed_over", "status: in_repair"))
    second = text[text.index("  - slot: 2\n"):text.index("  - slot: 3\n")]
    edit(repo, SCHOOL, second, second.replace("status: handed_over", "status: lost"))


def move_tablet(repo: Path) -> None:
    """Slot 4 of nx-sad-001 goes to nx-sad-002, as its next slot."""
    source, target = repo / SCHOOL, repo / "inventory/schools/sadarak/nx-sad-002.yaml"
    text = source.read_text()
    block = text[text.index("  - slot: 4\n"):text.index("  - slot: 5\n")]
    source.write_text(text.replace(block, ""))
    slots = [int(n) for n in re.findall(r"- slot: (\d+)", target.read_text())]
    target.write_text(target.read_text() + block.replace("- slot: 4", f"- slot: {max(slots) + 1}"))


def reformat(repo: Path) -> None:
    edit(repo, SCHOOL, "students: 1164\n", "students: 1164          # counted in September\n")


def uplink_here_tablet_there(repo: Path) -> None:
    """The issue's case: a switch's uplink at one school, a tablet to repair at another, in one commit."""
    edit(repo, SCHOOL, "    asset_tag: NX-SAD-001-SW2\n    uplink_port: XGigabitEthernet0/0/1",
         "    asset_tag: NX-SAD-001-SW2\n    uplink_port: XGigabitEthernet0/0/2")
    edit(repo, SCHOOL_2, "    serial: R9DXM3XXG2J\n    mac: \"02:5c:35:3a:2e:8f\"\n    status: handed_over",
         "    serial: R9DXM3XXG2J\n    mac: \"02:5c:35:3a:2e:8f\"\n    status: in_repair")


def replace_switch(repo: Path) -> None:
    """New hardware for nx-sad-001-sw2: a new serial and, once onboarded, a new host key."""
    edit(repo, SCHOOL, "serial: 2102845752P3DLKSTDPA", "serial: 2102845752P3DLKNEW01")
    edit(repo, SCHOOL, "AAAAC3NzaC1lZDI1NTE5AAAAINJ8tnR9Eo5CzD16i1FcDx9O6hRV40czXRXtKJCRZBER",
         ed25519_key("nx-sad-001-sw2 replacement").split(" ")[1])


def close_school(repo: Path) -> None:
    """nx-sad-012 closes: slot 1 goes to nx-sad-011, slot 2 to the data center's stock, the rest are gone."""
    closed = (repo / CLOSED).read_text()
    (repo / CLOSED).unlink()
    edit(repo, "inventory/ipam.yaml", "  nx-sad-012: 10.66.44.0/22\n", "")
    block = closed[closed.index("  - slot: 1\n"):closed.index("  - slot: 2\n")]
    target = repo / "inventory/schools/sadarak/nx-sad-011.yaml"
    slots = [int(n) for n in re.findall(r"- slot: (\d+)", target.read_text())]
    target.write_text(target.read_text() + block.replace("- slot: 1", f"- slot: {max(slots) + 1}"))
    stocked = re.search(r"serial: (R9OSERNGVRA)\n    mac: (\"[^\"]+\")", closed)
    assert stocked is not None
    with (repo / "inventory/datacenter/nx-dc1.yaml").open("a") as handle:
        handle.write(f"stock:\n  - {{serial: R9OSERNGVRA, model: samsung-galaxy-tab-a9plus, mac: {stocked.group(2)}, "
                     "returned_from: nx-sad-012, returned_on: 2026-12-01}\n")
    edit(repo, "inventory/programme.yaml", "  schools: 216\n", "  schools: 215\n")  # the other four are written off
    edit(repo, "inventory/programme.yaml", "  tablets: 2300\n", "  tablets: 2296\n")


def change(kind: str, action: str, subject: str, area: str, sentence: str, source: str | None,
           hosts: list[str], details: dict[str, Any] | None = None, rendered: dict[str, list[str]] | None = None,
           notes: list[str] | None = None) -> dict[str, Any]:
    """A change as the JSON says it; `rendered` (the files credited to it, by host) defaults to every changed
    file of each of its hosts."""
    return {"kind": kind, "action": action, "subject": subject, "area": area, "sentence": sentence,
            "source": source, "hosts": hosts, "details": details or {}, "rendered": rendered, "notes": notes or []}


def expected_changes(scenario: Scenario, hosts: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [c | {"rendered": c["rendered"] if c["rendered"] is not None else {h: hosts[h] for h in c["hosts"]}}
            for c in scenario.changes]


HANDOVER = {"certificate": "NX-HO-2026-SAD001-004-A1B2C3", "date": "2026-11-30", "received_by": "class-teacher"}
NEW_DC_HOSTS = ["nx-dc1-content-01", "nx-dc1-content-02", "nx-dc1-dns-01", "nx-dc1-dns-02", "nx-dc1-mdm-01",
                "nx-dc1-mon-01", "nx-dc1-vpn-01"]
NEW_HOSTS = [*NEW_DC_HOSTS, "nx-sad-013-edge", "nx-sad-013-sw1"]
SECRETS = "inventory/secrets.sops.yaml"
MDM_FILE = "/var/lib/schoolnet-mdm/enrollment/nx-sad-001.json"
DNSMASQ, UNBOUND_FILE = "/etc/dnsmasq.d/school.conf", "/etc/unbound/unbound.conf.d/school.conf"


NEW_SCHOOL_FILES = {"nx-dc1-content-01": ["/srv/content/index.html"], "nx-dc1-content-02": ["/srv/content/index.html"],
         "nx-dc1-dns-01": ["/etc/bind/zones/db.10.67", "/etc/bind/zones/db.programme",
                           "/etc/chrony/conf.d/schoolnet-server.conf"],
         "nx-dc1-dns-02": ["/etc/bind/zones/db.10.67", "/etc/bind/zones/db.programme",
                           "/etc/chrony/conf.d/schoolnet-server.conf"],
         "nx-dc1-mdm-01": ["/var/lib/schoolnet-mdm/enrollment/nx-sad-013.json"],
         "nx-dc1-mon-01": ["/etc/prometheus/file_sd/edge.json", "/etc/prometheus/file_sd/switches.json"],
         "nx-dc1-vpn-01": ["/etc/wireguard/wg0.conf"],
         "nx-sad-013-edge": ["/etc/apt/apt.conf.d/52schoolnet-unattended-upgrades", "/etc/chrony/conf.d/schoolnet.conf",
                             "/etc/default/prometheus-node-exporter", "/etc/dnsmasq.d/school.conf",
                             "/etc/network/interfaces.d/schoolnet", "/etc/nftables.conf",
                             "/etc/nginx/conf.d/schoolnet-cache.conf", "/etc/ssh/sshd_config.d/50-schoolnet.conf",
                             "/etc/systemd/journald.conf.d/50-schoolnet.conf",
                             "/etc/unbound/unbound.conf.d/school.conf", "/etc/wireguard/wg0.conf"],
         "nx-sad-013-sw1": ["/startup.cfg"]}


def new_secret(name: str, line: int, hosts: list[str], rendered: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return change("secret", "added", name, "secrets", f"Secret {name} added.", f"{SECRETS}:{line}", hosts,
                  rendered=rendered)


@dataclass
class Scenario:
    name: str
    make: Callable[[Path], None]
    changes: list[dict[str, Any]]
    hosts: dict[str, list[str]] | Callable[[Path], dict[str, list[str]]]


def every_edge(path: str) -> Callable[[Path], dict[str, list[str]]]:
    def hosts(repo: Path) -> dict[str, list[str]]:
        return {f"{p.stem}-edge": [path] for p in sorted((repo / "inventory/schools").glob("*/*.yaml"))}
    return hosts


SCENARIOS = [
    Scenario("re-plug a server-room cable", replug_server_room_cable, [change(
        "link", "changed", "nx-dc1/nx-dc1-dns-01 eno1", "datacenter:nx-dc1",
        "Cable nx-dc1-dns-01 eno1 at nx-dc1: peer port 10GE1/0/6 → 10GE1/0/30.", f"{DATACENTER}:48", [],
        {"peer_port": ["10GE1/0/6", "10GE1/0/30"]})], {}),
    Scenario("hand over a tablet", hand_over_tablet, [change(
        "tablet", "handed-over", "R9N20AQ3V08", "school:nx-sad-001",
        "Tablet R9N20AQ3V08 at nx-sad-001 handed over (certificate NX-HO-2026-SAD001-004-A1B2C3, 2026-11-30, "
        "to class-teacher).", f"{SCHOOL}:66", ["nx-dc1-mdm-01"],
        {"status": ["in_stock", "handed_over"], "handover": [None, HANDOVER]})],
        {"nx-dc1-mdm-01": [MDM_FILE]}),
    Scenario("replace an edge server", replace_edge_server, [change(
        "device", "replaced", "nx-sad-001-edge", "school:nx-sad-001",
        "Edge server nx-sad-001-edge replaced: serial 46GOFBD → ABC123, SSH host key changed.", f"{SCHOOL}:23", [],
        {"serial": ["46GOFBD", "ABC123"],
         "ssh_host_key": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfeLElp40rUhcxL+3hQ8dH3Jto4Cre9Y3+f11OIRTOW",
                          ed25519_key("nx-sad-001-edge replacement")]})],
        {}),
    Scenario("replace an edge server and give it a new key", replace_edge_server_and_key, [
        change("device", "replaced", "nx-sad-001-edge", "school:nx-sad-001",
               "Edge server nx-sad-001-edge replaced: serial 46GOFBD → ABC123, SSH host key changed.", f"{SCHOOL}:23",
               [], {"serial": ["46GOFBD", "ABC123"],
                    "ssh_host_key": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfeLElp40rUhcxL+3hQ8dH3Jto4Cre9Y3+f11OIRTOW",
                                     ed25519_key("nx-sad-001-edge replacement")]}),
        change("secret", "rotated", "wireguard/nx-sad-001-edge/private_key", "secrets",
               "Secret wireguard/nx-sad-001-edge/private_key rotated.", f"{SECRETS}:1776",
               ["nx-dc1-vpn-01", "nx-sad-001-edge"])],
        {"nx-dc1-vpn-01": ["/etc/wireguard/wg0.conf"], "nx-sad-001-edge": ["/etc/wireguard/wg0.conf"]}),
    Scenario("add a school with ipam allocate", add_school, [
        change("programme", "changed", "programme", "programme",
               "Programme: expected.schools 216 → 217, expected.tablets 2300 → 2302.", "inventory/programme.yaml:76",
               [], {"expected.schools": [216, 217], "expected.tablets": [2300, 2302]}),
        change("school", "added", "nx-sad-013", "school:nx-sad-013",
               "School nx-sad-013 (Sadarak school No. 13) added in Sadarak: 1 edge server, 1 switch, 2 tablets, "
               "prefix 10.67.96.0/22.", f"{NEW_SCHOOL}:2", NEW_HOSTS,
               {"id": [None, "nx-sad-013"], "name": [None, "Sadarak school No. 13"], "district": [None, "sadarak"],
                "address": [None, "7 Nizami street, Sadarak (synthetic)"],
                "coordinates": [None, {"lat": 39.7012, "lon": 44.9031}], "students": [None, 240],
                "synthetic": [None, True]},
               {**{h: NEW_SCHOOL_FILES[h] for h in NEW_HOSTS},
                **{f"nx-dc1-dns-0{n}": ["/etc/bind/zones/db.10.67", "/etc/bind/zones/db.programme"] for n in (1, 2)}}),
        change("address", "added", "nx-sad-013", "school:nx-sad-013", "Address 10.67.96.0/22 allocated to nx-sad-013.",
               "inventory/ipam.yaml:222", ["nx-dc1-content-01", "nx-dc1-content-02", "nx-dc1-dns-01", "nx-dc1-dns-02",
                                           "nx-dc1-vpn-01"], {"prefix": [None, "10.67.96.0/22"]},
               {"nx-dc1-content-01": ["/srv/content/index.html"], "nx-dc1-content-02": ["/srv/content/index.html"],
                "nx-dc1-dns-01": ["/etc/chrony/conf.d/schoolnet-server.conf"],
                "nx-dc1-dns-02": ["/etc/chrony/conf.d/schoolnet-server.conf"],
                "nx-dc1-vpn-01": ["/etc/wireguard/wg0.conf"]}),
        new_secret("snmp/nx-sad-013/auth", 423, ["nx-sad-013-sw1"]),
        new_secret("snmp/nx-sad-013/priv", 424, ["nx-sad-013-sw1"]),
        new_secret("switch/nx-sad-013/admin", 935, ["nx-sad-013-sw1"]),
        new_secret("wifi/nx-sad-013/tablets", 1370, ["nx-dc1-mdm-01"]),
        new_secret("wireguard/nx-sad-013-edge/private_key", 1807, ["nx-dc1-vpn-01", "nx-sad-013-edge"],
                   {h: ["/etc/wireguard/wg0.conf"] for h in ("nx-dc1-vpn-01", "nx-sad-013-edge")})],
NEW_SCHOOL_FILES),
    Scenario("rotate a secret", rotate_secret, [change(
        "secret", "rotated", "wireguard/nx-sad-001-edge/private_key", "secrets",
        "Secret wireguard/nx-sad-001-edge/private_key rotated.", f"{SECRETS}:1776",
        ["nx-dc1-vpn-01", "nx-sad-001-edge"])],
        {"nx-dc1-vpn-01": ["/etc/wireguard/wg0.conf"], "nx-sad-001-edge": ["/etc/wireguard/wg0.conf"]}),
    Scenario("change a template", change_template, [change(
        "template", "changed", UNBOUND, "templates", f"Template {UNBOUND} changed (role dns).", UNBOUND,
        sorted(f"{p.stem}-edge" for p in (ROOT / "inventory/schools").glob("*/*.yaml")))],
        every_edge("/etc/unbound/unbound.conf.d/school.conf")),
    Scenario("a school day: uplink down, tablets to repair and lost", school_day, [
        change("tablet", "sent-to-repair", "R9AXDHZBK1A", "school:nx-sad-001",
               "Tablet R9AXDHZBK1A at nx-sad-001 sent to repair (certificate NX-HO-2025-SAD001-001-593352).",
               f"{SCHOOL}:51", ["nx-dc1-mdm-01", "nx-sad-001-edge"], {"status": ["handed_over", "in_repair"]},
               {"nx-dc1-mdm-01": [MDM_FILE], "nx-sad-001-edge": [DNSMASQ, UNBOUND_FILE]}),
        change("tablet", "lost", "R9YSI86EKYU", "school:nx-sad-001",
               "Tablet R9YSI86EKYU at nx-sad-001 reported lost (certificate NX-HO-2025-SAD001-002-0C090C).",
               f"{SCHOOL}:56", ["nx-dc1-mdm-01", "nx-sad-001-edge"], {"status": ["handed_over", "lost"]},
               {"nx-dc1-mdm-01": [MDM_FILE], "nx-sad-001-edge": [DNSMASQ, UNBOUND_FILE]}),
        change("circuit", "changed", "ARA-SAD-0001-ADSL", "school:nx-sad-001",
               "Circuit ARA-SAD-0001-ADSL at nx-sad-001: status decommissioned → active.", f"{SCHOOL}:18",
               ["nx-sad-001-edge"], {"status": ["decommissioned", "active"]}),
        change("circuit", "changed", "ARA-SAD-0001-FTTB", "school:nx-sad-001",
               "Circuit ARA-SAD-0001-FTTB at nx-sad-001: status active → offline.", f"{SCHOOL}:14",
               ["nx-sad-001-edge"], {"status": ["active", "offline"]})],
        {"nx-dc1-mdm-01": [MDM_FILE],
         "nx-sad-001-edge": ["/etc/dnsmasq.d/school.conf", "/etc/network/interfaces.d/schoolnet",
                             "/etc/unbound/unbound.conf.d/school.conf"]}),
    Scenario("move a tablet to another school", move_tablet, [change(
        "tablet", "moved", "R9N20AQ3V08", "school:nx-sad-002",
        "Tablet R9N20AQ3V08 moved from nx-sad-001 to nx-sad-002; slot 4 → 21.",
        "inventory/schools/sadarak/nx-sad-002.yaml:143", ["nx-dc1-mdm-01", "nx-sad-001-edge", "nx-sad-002-edge"],
        {"school": ["nx-sad-001", "nx-sad-002"], "slot": [4, 21]})],
        {"nx-dc1-mdm-01": [MDM_FILE, "/var/lib/schoolnet-mdm/enrollment/nx-sad-002.json"],
         "nx-sad-001-edge": ["/etc/dnsmasq.d/school.conf", "/etc/unbound/unbound.conf.d/school.conf"],
         "nx-sad-002-edge": ["/etc/dnsmasq.d/school.conf", "/etc/unbound/unbound.conf.d/school.conf"]}),
    Scenario("a comment added", reformat, [change(
        "file", "reformatted", SCHOOL, "files",
        f"File {SCHOOL} changed in form only (comments or layout); nothing it describes changed.", SCHOOL, [])],
        {}),
]


# Each host's file is credited to the change that caused it; what no rendered file says follows as notes.
CREDITS = [
    ("a switch's uplink here, a tablet there", uplink_here_tablet_there, {
        "nx-sad-001-sw2": ({"nx-sad-001-sw2": ["/startup.cfg"]}, []),
        "R9DXM3XXG2J": ({"nx-dc1-mdm-01": ["/var/lib/schoolnet-mdm/enrollment/nx-sad-002.json"]}, [])}),
    ("a switch replaced", replace_switch, {
        "nx-sad-001-sw2": ({}, ["The new switch is not managed until its host key is pinned and its configuration "
                                "pushed: schoolnet switches onboard --env ENV --limit host:nx-sad-001-sw2, then "
                                "schoolnet switches push --env ENV --limit host:nx-sad-001-sw2."])}),
    ("a school closed", close_school, {
        "nx-sad-012": (None, ["Tablet R9ZCOWD03H2 (slot 1, handed over): now at nx-sad-011, slot 6, handed over.",
                              "Tablet R9OSERNGVRA (slot 2, handed over): now in the stock of nx-dc1.",
                              "Tablet R9XPOC4DFZP (slot 3, handed over): not in the inventory any more.",
                              "Tablet R9JZSD84QZB (slot 4, handed over): not in the inventory any more.",
                              "Tablet R9DQOAZZ0Y3 (slot 5, handed over): not in the inventory any more.",
                              "Tablet R96FBGWWW2Q (slot 6, in stock): not in the inventory any more."]),
        "R9OSERNGVRA": ({}, []),
        "10.66.44.0/22": (None, [])}),
]


@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in CREDITS], ids=[c[0] for c in CREDITS])
def test_each_file_is_credited_to_the_change_that_caused_it(clone: Path, base: str, make: Callable[[Path], None],
                                                            expected: dict[str, Any]) -> None:
    make(clone)
    head = commit(clone, "credits")
    result = changes(clone, base, head, "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    by_subject = {c["subject"]: c for c in document["changes"] if c["kind"] != "address"}
    by_subject["10.66.44.0/22"] = next((c for c in document["changes"] if c["kind"] == "address"), {})
    assert "hosts" not in {c["kind"] for c in document["changes"]}, "every changed file is accounted for"
    for subject, (rendered, notes) in expected.items():
        if rendered is not None:
            assert by_subject[subject]["rendered"] == rendered, subject
        assert by_subject[subject]["notes"] == notes, subject
    if make is close_school:  # a closed school's own hosts go with the school, not with its address or tablets
        assert "nx-sad-012-edge" in by_subject["nx-sad-012"]["hosts"]
        assert "nx-sad-012-edge" not in by_subject["10.66.44.0/22"]["hosts"]
        assert "nx-sad-012-edge" not in by_subject["R9ZCOWD03H2"]["hosts"]
        assert by_subject["nx-sad-012"]["details"]["tablets"][0] == [
            "R9ZCOWD03H2", "R9OSERNGVRA", "R9XPOC4DFZP", "R9JZSD84QZB", "R9DQOAZZ0Y3", "R96FBGWWW2Q"]


def hand_over_two_tablets(repo: Path) -> None:
    hand_over_tablet(repo)
    edit(repo, SCHOOL, '    mac: "02:5c:74:ba:7c:38"\n    status: handed_over\n',
         '    mac: "02:5c:74:ba:7c:38"\n    status: handed_over\n    asset_tag: NX-SAD-001-TAB04\n')


def test_a_run_of_changes_says_its_hosts_once_and_each_commit_is_named(clone: Path, base: str) -> None:
    school_day(clone)
    first = commit(clone, "school day")
    git(clone, "-c", "user.name=Second [author]", "commit", "-q", "--allow-empty", "-m", "nothing | *at all*")
    second = git(clone, "rev-parse", "HEAD")
    result = changes(clone, base, second)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    dates = {c: git(clone, "log", "-1", "--format=%aI", c)[:10] for c in (first, second)}
    assert lines[2:5] == ["Commits (2), newest first:", f"  {second[:10]} {dates[second]} Second [author]: "
                          "nothing | *at all*", f"  {first[:10]} {dates[first]} Scripted change: school day"]
    assert lines[6:] == [
        "nx-sad-001 · Sadarak school No. 1 (Sadarak)",
        f"  2 tablets changed at nx-sad-001; rendered files change on 2 hosts: nx-dc1-mdm-01 ({MDM_FILE}), "
        f"nx-sad-001-edge ({DNSMASQ}, {UNBOUND_FILE})",
        "    Tablet R9AXDHZBK1A at nx-sad-001 sent to repair (certificate NX-HO-2025-SAD001-001-593352).",
        f"      {SCHOOL}:51",
        "    Tablet R9YSI86EKYU at nx-sad-001 reported lost (certificate NX-HO-2025-SAD001-002-0C090C).",
        f"      {SCHOOL}:56",
        "  2 circuits changed at nx-sad-001; rendered files change on 1 host: nx-sad-001-edge (3 files)",
        "    Circuit ARA-SAD-0001-ADSL at nx-sad-001: status decommissioned → active.",
        f"      {SCHOOL}:18",
        "    Circuit ARA-SAD-0001-FTTB at nx-sad-001: status active → offline.",
        f"      {SCHOOL}:14"]
    document = json.loads(changes(clone, base, second, "--format", "json").stdout)
    assert [(c["commit"], c["author"], c["subject"]) for c in document["commits"]] == [
        (second, "Second [author]", "nothing | *at all*"), (first, "Scripted change", "school day")]
    assert all(c["date"].startswith(dates[c["commit"]]) for c in document["commits"])
    markdown = changes(clone, base, second, "--format", "markdown").stdout.splitlines()
    assert f"- `{second[:10]}` {dates[second]} Second \\[author\\]: nothing \\| \\*at all\\*" in markdown
    assert "- **2 tablets changed at nx-sad-001**  " in markdown


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_a_scripted_commit_is_said_in_exact_sentences(clone: Path, base: str, scenario: Scenario) -> None:
    scenario.make(clone)
    head = commit(clone, scenario.name)
    result = changes(clone, base, head, "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [c["sentence"] for c in document["changes"]] == [c["sentence"] for c in scenario.changes]
    hosts = scenario.hosts(clone) if callable(scenario.hosts) else scenario.hosts
    assert document["changes"] == expected_changes(scenario, hosts)
    assert document["hosts"] == hosts
    kinds: dict[str, int] = {}
    for expected in scenario.changes:
        kinds[expected["kind"]] = kinds.get(expected["kind"], 0) + 1
    assert document["summary"] == {"changes": len(scenario.changes), "hosts": len(hosts), "kinds": kinds}
    assert document["base"] == {"commit": base, "name": base}
    assert document["head"] == {"commit": head, "name": head}
    assert list(document) == sorted(document), "stable, sorted keys"


def test_secret_sources_point_at_the_secret_in_the_encrypted_file(clone: Path, base: str) -> None:
    rotate_secret(clone)
    lines = (clone / SECRETS).read_text().splitlines()
    assert lines[1776 - 1].strip().startswith("private_key: ENC[")
    assert lines[1776 - 2].strip() == "nx-sad-001-edge:"


def test_the_working_tree_is_the_default_head_and_is_left_untouched(clone: Path, base: str) -> None:
    hand_over_tablet(clone)
    before = (git(clone, "status", "--porcelain"), git(clone, "rev-parse", "HEAD"), _tree_digest(clone))
    result = changes(clone)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"1 change from merge base with origin/main ({base[:10]}) to the working tree (1 tablet); rendered files "
        "change on 1 host.\n"
        "\n"
        "nx-sad-001 · Sadarak school No. 1 (Sadarak)\n"
        "  Tablet R9N20AQ3V08 at nx-sad-001 handed over (certificate NX-HO-2026-SAD001-004-A1B2C3, 2026-11-30, "
        "to class-teacher).\n"
        f"    {SCHOOL}:66 · rendered files change on 1 host: nx-dc1-mdm-01 ({MDM_FILE})\n")
    assert (git(clone, "status", "--porcelain"), git(clone, "rev-parse", "HEAD"), _tree_digest(clone)) == before


def _tree_digest(repo: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts):
        digest.update(str(path.relative_to(repo)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def test_a_change_that_renders_nothing_says_so(clone: Path, base: str) -> None:
    replace_edge_server(clone)
    head = commit(clone, "replace")
    result = changes(clone, base, head)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"1 change from {base[:10]} to {head[:10]} (1 device); rendered files change on 0 hosts.",
        "",
        "Commits (1), newest first:",
        f"  {head[:10]} {git(clone, 'log', '-1', '--format=%as')} Scripted change: replace",
        "",
        "nx-sad-001 · Sadarak school No. 1 (Sadarak)",
        "  Edge server nx-sad-001-edge replaced: serial 46GOFBD → ABC123, SSH host key changed.",
        f"    {SCHOOL}:23 · no host's rendered files change"]


def test_markdown_is_a_pull_request_comment_with_many_hosts_folded(clone: Path, base: str) -> None:
    change_template(clone)
    head = commit(clone, "template")
    result = changes(clone, "origin/main", head, "--format", "markdown")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[4:7] == ["1 commit, newest first:", "",
                          f"- `{head[:10]}` {git(clone, 'log', '-1', '--format=%as')} Scripted change: template"]
    del lines[3:7]
    assert lines[:8] == [
        "### schoolnet changes",
        "",
        f"**1 change** (1 template) from origin/main `{base[:10]}` to `{head[:10]}`; rendered files change on "
        "**216 hosts**.",
        "",
        "#### Templates",
        "",
        f"- Template {UNBOUND} changed (role dns).  ",
        f"  `{UNBOUND}` · rendered files change on 216 hosts"]
    assert lines[8] == "  <details><summary>216 hosts</summary>"
    assert lines[10].startswith("  `nx-bab-001-edge`, `nx-bab-002-edge`, ")
    assert lines[12] == "  </details>"


def test_the_same_revision_twice_has_no_changes(clone: Path, base: str) -> None:
    result = changes(clone, "HEAD", "HEAD")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"No changes from HEAD ({base[:10]}) to HEAD ({base[:10]}).\n"


def test_an_unknown_revision_is_a_usage_error_in_one_line(clone: Path, base: str) -> None:
    result = changes(clone, "no-such-branch", "HEAD")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"schoolnet: unknown revision 'no-such-branch' (not a commit in {clone})\n"


def test_a_side_that_does_not_validate_names_its_problems_at_file_and_line(clone: Path, base: str) -> None:
    edit(clone, SCHOOL, "    bandwidth_mbps: 1000\n    status: active", "    bandwidth_mbps: 1000\n    status: offline")
    head = commit(clone, "uplink offline, no other")
    result = changes(clone, base, head)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"schoolnet: {head[:10]} cannot be compared: it does not load, validate or render"
    errors = [line for line in lines[1:] if ": error SN" in line]  # after the reference's SN612 warnings
    assert errors[0].startswith(f"{SCHOOL}:10:1: error SN603 uplink-count: nx-sad-001 has 0 current uplinks")
    assert "Traceback" not in result.stderr


def rename_school(repo: Path) -> None:
    edit(repo, "inventory/schools/sadarak/nx-sad-003.yaml", "name: Sadarak school No. 3\n",
         "name: Sadarak school No. 3 named after Nizami Ganjavi\n")


@pytest.mark.parametrize("makes", [(school_day, rename_school), (school_day, rotate_secret, change_template)],
                         ids=["by changed files", "by inputs digests"])
def test_rendering_only_hosts_whose_inputs_differ_finds_what_a_full_render_finds(
        clone: Path, base: str, makes: tuple[Callable[[Path], None], ...]) -> None:
    from schoolnet.changes.compare import compare
    from schoolnet.changes.revisions import materialise, private_directory, remove, repository_of

    for make in makes:
        make(clone)
    head = commit(clone, "several at once")
    repository = repository_of(clone / "inventory")
    work = private_directory()
    try:
        old = materialise(repository, base, "base", work / "base")
        new = materialise(repository, head, "head", work / "head")
        pruned, full = compare(old, new, work / "pruned"), compare(old, new, work / "full", prune=False)
    finally:
        remove(work)
    assert pruned.hosts == full.hosts
    assert [c.as_dict() for c in pruned.changes] == [c.as_dict() for c in full.changes]
    if rename_school in makes:  # the name reaches the school's own hosts and the data center's pages and tunnels
        assert {"nx-dc1-content-01", "nx-dc1-vpn-01", "nx-sad-003-edge", "nx-sad-003-sw1", "nx-sad-001-edge",
                "nx-dc1-mdm-01"} <= set(pruned.hosts)
    else:  # every edge server (the template), the MDM (tablets) and the VPN hub (the key)
        assert len(pruned.hosts) == 216 + 2


# --- sentence forms the scripted commits do not reach ------------------------------------------------


def _tablet(status: str, school: str = "nx-sad-001", handover: dict[str, str] | None = None) -> Any:
    from schoolnet.changes.kinds import Record

    values = {"school": school, "slot": 4, "model": None, "mac": "02:5c:74:ba:7c:38", "status": status,
              "asset_tag": None, "handover": handover}
    return Record("R9N20AQ3V08", values, f"school:{school}", None)


@pytest.mark.parametrize(("before", "after", "sentence"), [
    (_tablet("handed_over", handover=HANDOVER), _tablet("in_stock"),
     "Tablet R9N20AQ3V08 at nx-sad-001 returned (certificate NX-HO-2026-SAD001-004-A1B2C3)."),
    (_tablet("handed_over", handover=HANDOVER), _tablet("retired", handover=HANDOVER),
     "Tablet R9N20AQ3V08 at nx-sad-001 retired (certificate NX-HO-2026-SAD001-004-A1B2C3)."),
    (_tablet("in_stock"), _tablet("handed_over", "nx-sad-002", HANDOVER),
     "Tablet R9N20AQ3V08 moved from nx-sad-001 to nx-sad-002 and handed over (certificate "
     "NX-HO-2026-SAD001-004-A1B2C3, 2026-11-30, to class-teacher)."),
    (_tablet("in_stock"), _tablet("in_repair"),
     "Tablet R9N20AQ3V08 at nx-sad-001 sent to repair."),
], ids=["returned", "retired", "moved and handed over", "to repair without a record"])
def test_tablet_events_read_as_plain_sentences(before: Any, after: Any, sentence: str) -> None:
    from schoolnet.changes.kinds import TABLET

    assert TABLET.changed(before, after, TABLET.diff(before, after))[1] == sentence


def test_values_read_as_written() -> None:
    from schoolnet.changes.kinds import said

    assert said(("bandwidth_mbps", 100, 1000)) == "bandwidth 100 Mbit/s → 1000 Mbit/s"
    assert said(("ssh_host_key", None, "ssh-ed25519 AAAA")) == "SSH host key pinned"
    assert said(("roles", None, ["base", "dns"])) == "roles programme default → base, dns"
    assert said(("handover.handing_over.role", None, "Programme director")) == \
        'handover.handing_over.role none → "Programme director"'
    assert said(("interface eno1 address", "10.0.20.16", "10.0.20.46")) == \
        "interface eno1 address 10.0.20.16 → 10.0.20.46"


def test_markdown_keeps_inventory_text_inert(clone: Path, base: str) -> None:
    """A school's name is data in a pull-request comment: no emphasis, link, mention, HTML or autolink."""
    hostile = "Sadarak **school** @everyone [click](https://evil.example) <img src=x> www.evil.example $x$ a|b"
    edit(clone, SCHOOL, "name: Sadarak school No. 1\n", f'name: "{hostile}"\n')
    head = commit(clone, "a name full of markup")
    result = changes(clone, base, head, "--format", "markdown")
    assert result.returncode == 0, result.stderr
    sentence = next(line for line in result.stdout.splitlines() if "everyone" in line)
    unescaped = re.sub(r"\\.", "", sentence)  # what Markdown would still read as markup: no escaped character
    for live in ("*", "@", "[", "<", "://", "www.", "$", "|"):
        assert live not in unescaped, (live, sentence)
    for inert in (r"\*\*school\*\*", r"\@everyone", r"\[click\]", r"\<img", r"https\://", r"www\.evil", r"\$x\$",
                  r"a\|b"):
        assert inert in sentence, (inert, sentence)
    text = changes(clone, base, head)
    assert hostile in text.stdout  # the terminal shows it as written: one line, nothing to act on


def _tree_of(pid: int) -> Path | None:
    for candidate in Path("/dev/shm").glob("schoolnet-changes-*"):
        try:
            if json.loads((candidate / ".owner.json").read_text())["pid"] == pid:
                return candidate
        except (OSError, ValueError, KeyError):
            continue
    return None


def test_a_run_ended_by_sigterm_or_sighup_leaves_no_working_tree(clone: Path, base: str) -> None:
    """What a CI timeout sends: the run still removes its copy of both revisions and their renders (secrets)."""
    import signal
    import time

    change_template(clone)
    head = commit(clone, "template")
    for number in (signal.SIGTERM, signal.SIGHUP):
        run = subprocess.Popen([sys.executable, "-m", "schoolnet.cli.changes_cmd", base, head], cwd=clone, env=ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tree = None
        deadline = time.monotonic() + 60
        while tree is None and run.poll() is None and time.monotonic() < deadline:
            tree = _tree_of(run.pid)
            time.sleep(0.01)
        assert tree is not None, "the run made no working tree (or ended first)"
        time.sleep(0.5)  # well into copying and rendering
        run.send_signal(number)
        assert run.wait(timeout=60) == 128 + number
        assert not tree.exists(), f"{tree} left behind after signal {number}"


def test_the_next_run_removes_the_trees_of_runs_that_were_killed(clone: Path, base: str) -> None:
    """SIGKILL leaves no chance to clean up: the next run removes a tree whose process is gone, and leaves the
    tree of a run that is still going."""
    from schoolnet.processes import Process

    gone = subprocess.Popen(["sleep", "30"])
    dead_owner = Process.of(gone.pid)
    gone.kill()
    gone.wait()
    killed = Path("/dev/shm") / "schoolnet-changes-killedrun"
    running = Path("/dev/shm") / "schoolnet-changes-stillrunning"
    for tree, owner in ((killed, dead_owner), (running, Process.of(os.getpid()))):
        (tree / "base").mkdir(parents=True, exist_ok=True)
        (tree / "base" / "secret.conf").write_text("PrivateKey = not really")
        (tree / ".owner.json").write_text(json.dumps(owner.dump()))
    try:
        assert changes(clone, "HEAD", "HEAD").returncode == 0
        assert not killed.exists() and running.exists()
    finally:
        subprocess.run(["rm", "-rf", str(killed), str(running)], check=True)


def test_without_git_installed_changes_says_so_in_one_line(clone: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bin"  # a PATH with sops and python but no git
    bare.mkdir()
    for tool in ("sops",):
        found = shutil.which(tool)
        if found:
            (bare / tool).symlink_to(found)
    result = subprocess.run([sys.executable, "-m", "schoolnet.cli.changes_cmd", "HEAD~1", "HEAD"], cwd=clone,
                            env={**ENV, "PATH": str(bare)}, capture_output=True, text=True, timeout=300)
    assert result.returncode in (1, 2), result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("schoolnet: git is not installed here"), result.stderr


def test_progress_shows_at_a_terminal_and_not_in_a_log(clone: Path, base: str) -> None:
    from tests.test_handover import _on_a_terminal
    hand_over_tablet(clone)
    head = commit(clone, "one tablet")
    os.environ.setdefault("SOPS_AGE_KEY_FILE", str(DEMO_KEY))
    terminal = _on_a_terminal([sys.executable, "-m", "schoolnet.cli.changes_cmd", base, head], clone)
    for stage in ("read from git (revisions) 2/2", "loading head", "digested (base hosts)", "digested (head hosts)"):
        assert stage in terminal, terminal
    logged = changes(clone, base, head)
    assert logged.returncode == 0 and logged.stderr == ""
