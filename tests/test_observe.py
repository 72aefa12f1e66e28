"""`schoolnet observe`, `reconcile` and `locate` against a lab of their own: two deployed edge servers of the
reference programme (nx-sad-001, nx-sad-002), their eight switch emulators, and the schools' tablets as
namespaces on their tablet VLANs leasing addresses from the edge servers' dnsmasq.

The tests run in order, each leaving the lab as the next expects: a clean reconciliation first, then one
difference at a time made the way it happens (a tablet carried to the other school, a switch swapped, an
uplink on another port, an unknown device on the tablet VLAN, a host down), each named at its line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from schoolnet.validate import load_for_action
from tests.conftest import ROOT, SCHOOLNET

LAB_ENV = {"SCHOOLNET_LAB_DIR": "/var/lib/schoolnet-lab-observe", "SCHOOLNET_LAB_RUN": "/run/schoolnet-lab-observe",
           "SCHOOLNET_LAB_PREFIX": "sno", "SCHOOLNET_LAB_LOOPBACK": "28", "SCHOOLNET_LAB_APT_PORT": "3150"}
SCHOOLS = ("nx-sad-001", "nx-sad-002")
LIMITS = [a for school in SCHOOLS for a in ("--limit", f"school:{school}")]
FILE = "inventory/schools/sadarak/{}.yaml"
PROBLEM = re.compile(r"^(?P<where>\S+):\d+: (?:error|warning) (?P<code>SN\d{3}) ")


def run(repo: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([SCHOOLNET, *args], cwd=repo, env={**os.environ, **LAB_ENV}, capture_output=True,
                            text=True, timeout=900)
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The reference programme, its two Sadarak schools in the lab, deployed, tablets plugged in."""
    if os.geteuid() != 0:
        pytest.fail("the lab tests need root; run them through `make test` as root")
    root = tmp_path_factory.mktemp("observe")
    shutil.copytree(ROOT / "inventory", root / "inventory", ignore=shutil.ignore_patterns("lab.yaml"))
    shutil.copytree(ROOT / "templates", root / "templates")
    run(root, "lab", "down", "--purge")
    run(root, "render", *LIMITS)
    run(root, "check")
    run(root, "lab", "up", *LIMITS)
    run(root, "deploy", "--env", "lab", *[a for s in SCHOOLS for a in ("--limit", f"host:{s}-edge")], "--yes")
    up = run(root, "lab", "up", *LIMITS, "--tablets")
    assert re.search(r"(\d+) tablet\(s\) on their schools' tablet VLAN, \1 with a lease", up.stderr), up.stderr
    yield root
    run(root, "lab", "down", "--purge")


def observe(repo: Path) -> subprocess.CompletedProcess[str]:
    return run(repo, "observe", "--env", "lab", *LIMITS, ok=False)


def reconciled(repo: Path) -> tuple[int, list[tuple[str, str]], str]:
    """(exit, [(code, file:line)], output) of a reconciliation of a new observation."""
    seen = observe(repo)
    result = run(repo, "reconcile", "--env", "lab", ok=False)
    found = [(m["code"], m["where"]) for m in map(PROBLEM.match, result.stdout.splitlines()) if m]
    return result.returncode, found, seen.stdout + result.stdout


def line(repo: Path, school: str, text: str, occurrence: int = 1) -> str:
    lines = (repo / FILE.format(school)).read_text().splitlines()
    hits = [n for n, content in enumerate(lines, 1) if text in content]
    return f"{FILE.format(school)}:{hits[occurrence - 1]}"


def plug(netns: str, bridge: str, peer: str, mac: str, hostname: str) -> str:
    """A namespace with `mac` into a bridge of this lab, then a lease: run with the lab's settings, which the
    lab modules read when imported (this process has a user's defaults)."""
    code = ("import sys; from schoolnet.lab.tablets import plug_tablet, take_lease; "
            "plug_tablet(*sys.argv[1:5]); print(take_lease(sys.argv[1], sys.argv[5]))")
    done = subprocess.run([str(Path(SCHOOLNET).parent / "python"), "-c", code, netns, bridge, peer, mac, hostname],
                          env={**os.environ, **LAB_ENV}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def emulator_state(name: str) -> Path:
    return Path(LAB_ENV["SCHOOLNET_LAB_DIR"]) / "switches" / name / "state" / "observed.json"


def edit_state(name: str, change: dict[str, object]) -> None:
    path = emulator_state(name)
    state = json.loads(path.read_text())
    state.update(change)
    path.write_text(json.dumps(state))


def relay_out(repo: Path) -> None:
    """The switches learn again what the lab's bridges learned (as `lab up` does for running switches)."""
    run(repo, "lab", "up", *LIMITS)


def test_1_the_schools_are_observed_and_reconcile_clean(repo: Path) -> None:
    code, found, output = reconciled(repo)
    assert (code, found) == (0, []), output
    assert "10 observed, 0 failed" in output  # two edge servers, eight switches
    # a lab host shares its machine's DMI: said, never compared
    assert "serial and model of 2 server(s) not compared (not observable in a systemd-nspawn: it shares its " \
        "machine's DMI): nx-sad-001-edge, nx-sad-002-edge" in output
    snapshot = json.loads(sorted((repo / "observations" / "lab").glob("*.json"))[-1].read_text())
    edge = snapshot["observations"]["nx-sad-001-edge"]["facts"]
    fleet = load_for_action(repo / "inventory")
    school = fleet.schools_by_id["nx-sad-001"]
    leased = {lease["mac"] for lease in edge["leases"]}
    expected = {t.mac.lower() for t in school.tablets if t.status in ("handed_over", "in_stock", "in_repair")}
    assert leased == expected  # every tablet with a reservation took its lease from the real dnsmasq
    assert edge["services"]["dnsmasq"] is True and edge["os_release"].startswith("Debian GNU/Linux 12")


def test_2_a_tablet_carried_to_the_other_school_is_named_and_located(repo: Path) -> None:
    fleet = load_for_action(repo / "inventory")
    tablet = next(t for t in fleet.schools_by_id["nx-sad-001"].tablets if t.status == "handed_over")
    state = json.loads((Path(LAB_ENV["SCHOOLNET_LAB_DIR"]) / "state.json").read_text())
    number = state["tablets"][f"nx-sad-001-t{tablet.slot:03d}"]
    other = sorted(b for b in state["hosts"]["nx-sad-002-edge"]["segments"] if b.endswith("v30"))[0]
    netns = f"{LAB_ENV['SCHOOLNET_LAB_PREFIX']}-tab{number}"
    # unplugged here, plugged in there: the other school's dnsmasq leases it an address from its range
    assert plug(netns, other, f"snomove{number}"[:15], tablet.mac.lower(), "moved")
    relay_out(repo)
    code, found, output = reconciled(repo)
    assert code == 1 and found == [("SN953", line(repo, "nx-sad-001", tablet.mac))], output
    assert re.search(r"is seen at nx-sad-002, nx-sad-002-sw\d, port \S+, VLAN 30 \(whose file is "
                     r"inventory/schools/sadarak/nx-sad-002\.yaml:2:5\)", output), output  # both schools' lines
    located = run(repo, "locate", tablet.serial).stdout
    assert f"inventory: nx-sad-001 at {FILE.format('nx-sad-001')}" in located
    assert re.search(r"last seen: \S+ \S+ UTC at nx-sad-002, nx-sad-002-sw\d, port GigabitEthernet\S+, VLAN 30",
                     located), located
    run(repo, "lab", "up", *LIMITS, "--tablets")  # every tablet back at its school


def test_3_a_swapped_switch_and_a_moved_uplink_are_named_at_their_lines(repo: Path) -> None:
    edit_state("nx-sad-001-sw2", {"serial": "2102999999SWAPPED0001"})
    state = json.loads(emulator_state("nx-sad-001-sw3").read_text())
    for neighbour in state["lldp"]:
        neighbour["local_port"] = "XGigabitEthernet0/0/2"  # the fiber is on the switch's second port
    edit_state("nx-sad-001-sw3", {"lldp": state["lldp"], "up": ["XGigabitEthernet0/0/2"]})
    code, found, output = reconciled(repo)
    assert code == 1 and found == [("SN951", line(repo, "nx-sad-001", "serial: 2102845752P3DLKSTDPA")),
                                   ("SN952", line(repo, "nx-sad-001", "uplink_port:", 3))], output
    assert "set uplink_port: XGigabitEthernet0/0/2, or move the cable" in output
    relay_out(repo)  # the layout writes no serial: the inventory's again, and the uplink where it belongs


def test_4_an_unknown_device_on_the_tablet_vlan_is_reported(repo: Path) -> None:
    state = json.loads((Path(LAB_ENV["SCHOOLNET_LAB_DIR"]) / "state.json").read_text())
    bridge = sorted(b for b in state["hosts"]["nx-sad-001-edge"]["segments"] if b.endswith("v30"))[0]
    stranger = f"{LAB_ENV['SCHOOLNET_LAB_PREFIX']}-stranger"
    try:
        assert plug(stranger, bridge, "snostranger", "3c:22:fb:00:00:01", "laptop")  # from the dynamic range
        relay_out(repo)
        code, found, output = reconciled(repo)
        assert code == 1 and found == [("SN955", line(repo, "nx-sad-001", "id: nx-sad-001"))], output
        assert "unknown MAC 3c:22:fb:00:00:01 on the tablets VLAN of nx-sad-001" in output
    finally:
        subprocess.run(["ip", "netns", "del", stranger], check=False)
    relay_out(repo)


def test_5_a_host_that_is_down_fails_alone(repo: Path) -> None:
    stop = subprocess.run([str(Path(SCHOOLNET).parent / "python"), "-c",
                           "import sys; from schoolnet.lab.lab import stop_host; stop_host(sys.argv[1])",
                           "nx-sad-002-edge"], env={**os.environ, **LAB_ENV}, capture_output=True, text=True)
    assert stop.returncode == 0, stop.stderr
    seen = observe(repo)
    assert seen.returncode == 1 and "9 observed, 1 failed" in seen.stdout, seen.stdout + seen.stderr
    assert re.search(r"^✗ nx-sad-002-edge  \(unreachable: .+\)$", seen.stdout, re.M), seen.stdout
    result = run(repo, "reconcile", "--env", "lab", ok=False)
    found = [(m["code"], m["where"]) for m in map(PROBLEM.match, result.stdout.splitlines()) if m]
    assert result.returncode == 0 and found == [("SN950", line(repo, "nx-sad-002", "  - kind: edge"))], \
        result.stdout
