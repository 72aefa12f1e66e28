"""Tablets in the lab: a network namespace per tablet on its school's tablet VLAN, with the tablet's MAC from
the inventory, taking its lease from the edge server's dnsmasq with a real DHCP client (busybox udhcpc).

What a school's switches learn is then read off the wire (`lab.topology`): a namespace moved to
another school's bridge, or one the inventory does not know, shows where it is.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from schoolnet.ipam.plan import Addressing
from schoolnet.lab import network
from schoolnet.lab.lab import LabError, LabState
from schoolnet.lab.paths import PREFIX
from schoolnet.model.fleet import Fleet
from schoolnet.model.school import School, tablet_name

LEASED = ("handed_over", "in_stock", "in_repair")  # the statuses dnsmasq reserves an address for (render's)
DHCP_TRIES = 5


@dataclass(frozen=True)
class LabTablet:
    name: str
    mac: str
    netns: str
    address: str  # the lease it took; "" when none came


def tablet_netns(index: int) -> str:
    return f"{PREFIX}-tab{index}"  # lab.down removes these by the numbers the state records


def plug_tablet(netns: str, bridge: str, peer: str, mac: str) -> None:
    """A namespace with one interface, `wlan0`, carrying `mac`, plugged into `bridge` of the lab.  A namespace
    plugged in before is unplugged first: its veth pair deleted at once (a deleted namespace takes its
    interfaces along only later, in the kernel's own time, and the peer's name would still be taken)."""
    if network.netns_exists(netns):
        network.ip("link", "del", "wlan0", netns=netns, check=False)
    network.delete_netns(netns)
    network.ensure_netns(netns)
    network.ensure_bridge(bridge)
    network.ip("link", "add", peer, "netns", network.LAB_NS, "type", "veth", "peer", "name", "wlan0", "netns", netns)
    network.ip("link", "set", "wlan0", "address", mac, netns=netns)
    network.ip("link", "set", peer, "master", bridge, "up", netns=network.LAB_NS)
    network.ip("link", "set", "wlan0", "up", netns=netns)


def take_lease(netns: str, hostname: str) -> str:
    """busybox udhcpc in the namespace: the address the edge server's dnsmasq leased, "" if none."""
    command = ["busybox", "udhcpc", "-i", "wlan0", "-f", "-q", "-n", "-t", str(DHCP_TRIES), "-T", "1", "-A", "1",
               "-s", "/bin/true", "-x", f"hostname:{hostname}"]
    try:
        done = subprocess.run(["ip", "netns", "exec", netns, *command], capture_output=True, text=True, timeout=60,
                              check=False)
    except subprocess.TimeoutExpired:
        return ""
    for line in (done.stdout + done.stderr).splitlines():
        if "lease of " in line and " obtained" in line:
            return line.split("lease of ", 1)[1].split()[0]
    return ""


def tablet_bridge(fleet: Fleet, state: LabState, school: School) -> str:
    """The lab bridge of the school's tablet VLAN (on its edge server's segments)."""
    edge = next((h for h in fleet.school_hosts.get(school.id, []) if h.kind == "edge"), None)
    entry = state.hosts.get(edge.hostname) if edge is not None else None
    plan = Addressing(fleet).school(school)
    subnet = plan.reserving("tablet") if plan is not None else None
    if entry is None or subnet is None:
        raise LabError(f"{school.id}: tablets need its edge server in the lab (`schoolnet lab up --limit "
                       f"school:{school.id}`)")
    bridge = next((b for b in entry.segments if b.endswith(f"v{subnet.vlan.vid}")), None)
    if bridge is None:
        raise LabError(f"{school.id}: its edge server sits on no tablet VLAN segment; `schoolnet lab down` and up "
                       "again")
    return bridge


def start_tablets(fleet: Fleet, schools: list[School], state: LabState,
                  say: Callable[[str], None]) -> list[LabTablet]:
    """A namespace per tablet that holds a reservation, each leasing its address; recorded in the lab's state
    so `lab down` removes them."""
    wanted: list[tuple[str, str, str, str]] = []  # name, mac, netns, bridge
    for school in schools:
        bridge = tablet_bridge(fleet, state, school)
        for tablet in school.tablets:
            if tablet.status in LEASED:
                name = tablet_name(school.id, tablet.slot)
                index = state.tablets.get(name) or max([0, *state.tablets.values()]) + 1
                state.tablets[name] = index
                wanted.append((name, tablet.mac.lower(), tablet_netns(index), bridge))
    state.save()

    def start(item: tuple[str, str, str, str]) -> LabTablet:
        name, mac, netns, bridge = item
        plug_tablet(netns, bridge, f"{PREFIX}t{state.tablets[name]}"[:15], mac)
        return LabTablet(name, mac, netns, take_lease(netns, name))

    with ThreadPoolExecutor(max_workers=8) as pool:
        started = list(pool.map(start, wanted))
    leased = sum(bool(t.address) for t in started)
    say(f"  {len(started)} tablet(s) on their schools' tablet VLAN, {leased} with a lease from the edge server")
    return started
