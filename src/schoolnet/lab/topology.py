"""What each lab switch sees on the wire, from the school's topology: its emulator's `observed.json`.

The emulators are command lines, not data planes, so the lab says what a switch would learn, from
the same topology render and NetBox use (`schoolnet.model.topology`) and from what is plugged into the
lab's bridges:
- LLDP: each uplink's neighbour is what it plugs into (the edge server's LAN port, or the first
  switch's spare port), and the first switch sees each further switch on its downlink;
- MAC table: the edge server's address on the management VLAN, learned on each switch's uplink; every
  other MAC a VLAN's bridge learned (a lab tablet, anything a test plugs in) on one of that VLAN's
  access ports, in the order of the switches and their ports, several behind one port as behind a
  classroom's access point; a further switch's devices also on the first switch's downlink to it;
- links: those ports are up.
A test moves a cable or swaps a chassis by editing the file; the emulator reads it again on its next
command.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from schoolnet.atomic import write_atomically
from schoolnet.model.fleet import Fleet
from schoolnet.model.school import School
from schoolnet.model.topology import access_ports, school_switch_links

OBSERVED = "observed.json"


def host_macs(netns: str) -> dict[str, str]:
    """Interface -> MAC inside a lab host's network namespace."""
    listed = subprocess.run(["ip", "-n", netns, "-o", "link", "show"], capture_output=True, text=True, check=False)
    found: dict[str, str] = {}
    for line in listed.stdout.splitlines():
        parts = line.split()
        if "link/ether" in parts and len(parts) > 1:
            found[parts[1].rstrip(":").split("@")[0]] = parts[parts.index("link/ether") + 1].lower()
    return found


def school_wire(fleet: Fleet, school: School, edge_macs: dict[str, str],
                learned: dict[int, list[str]]) -> dict[str, dict[str, Any]]:
    """Each switch of the school -> its emulator state; `learned`: VLAN id -> MACs its bridge learned."""
    switches = [h for h in fleet.school_hosts.get(school.id, []) if h.kind == "switch"]
    states: dict[str, dict[str, Any]] = {h.hostname: {"lldp": [], "mac": [], "up": set()} for h in switches}
    management = fleet.programme.vlans[0].vid
    edge_mac = next((mac for name, mac in sorted(edge_macs.items()) if name.endswith(f".{management}")), "")
    links = school_switch_links(fleet, school)
    downlink = {link.switch.hostname: (link.peer.hostname, link.peer_port) for link in links
                if link.peer.kind == "switch" and link.peer_port is not None}
    for link in links:
        if link.peer_port is None:
            continue
        mine = states[link.switch.hostname]
        mine["lldp"].append({"local_port": link.port, "system_name": link.peer.hostname, "port_id": link.peer_port})
        mine["up"].add(link.port)
        if edge_mac:  # the edge server is upstream of every switch's uplink
            mine["mac"].append({"mac": edge_mac, "vlan": management, "port": link.port})
        if link.peer.hostname in states:
            theirs = states[link.peer.hostname]
            theirs["lldp"].append({"local_port": link.peer_port, "system_name": link.switch.hostname,
                                   "port_id": link.port})
            theirs["up"].add(link.peer_port)
    own = set(edge_macs.values())
    for vid, macs in sorted(learned.items()):
        ports = [(h, p) for h in switches for p, v in access_ports(fleet, h).items() if v == vid]
        plugged = [m for m in macs if m not in own]
        for number, mac in enumerate(plugged):
            if not ports:
                break
            switch, port = ports[number % len(ports)]
            states[switch.hostname]["mac"].append({"mac": mac, "vlan": vid, "port": port})
            states[switch.hostname]["up"].add(port)
            if switch.hostname in downlink:
                peer, peer_port = downlink[switch.hostname]
                states[peer]["mac"].append({"mac": mac, "vlan": vid, "port": peer_port})
    return {name: {**state, "up": sorted(state["up"])} for name, state in states.items()}


def write_observed(state_dir: Path, state: dict[str, Any]) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(state_dir / OBSERVED, json.dumps(state, indent=1, sort_keys=True) + "\n", 0o644)


def learned(netns: str, bridge: str) -> list[str]:
    """The MACs a lab bridge learned from what is plugged into it (not its own ports' addresses)."""
    shown = subprocess.run(["bridge", "-n", netns, "fdb", "show", "br", bridge], capture_output=True, text=True,
                           check=False)
    macs: list[str] = []
    for line in shown.stdout.splitlines():
        parts = line.split()
        if parts and "permanent" not in parts and not parts[0].startswith("33:33") and parts[0] not in macs:
            macs.append(parts[0].lower())
    return macs
