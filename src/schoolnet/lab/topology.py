"""What each lab switch sees on the wire, from the school's topology: its emulator's `observed.json`.

The emulators are command lines, not data planes, so the lab says what a switch would learn, from
the same topology render and NetBox use (`schoolnet.model.topology`):
- LLDP: each uplink's neighbour is what it plugs into (the edge server's LAN port, or the first
  switch's spare port), and the first switch sees each further switch on its downlink;
- MAC table: the edge server's address on the management VLAN, learned on the first switch's uplink
  (read from the lab host's own interface, the one its bridge carries), and each further switch's
  view of it on its own uplink;
- links: those ports are up.
A test moves a cable, swaps a chassis or plugs an unknown device by editing the file; the emulator reads
it again on its next command.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from schoolnet.atomic import write_atomically
from schoolnet.model.fleet import Fleet, Host
from schoolnet.model.topology import school_switch_links

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


def observed_state(fleet: Fleet, switch: Host, edge_macs: dict[str, str]) -> dict[str, Any]:
    """The emulator state of one school switch: its neighbours, what it learned, its links."""
    assert switch.school is not None
    management = fleet.programme.vlans[0]
    edge_mac = next((mac for name, mac in sorted(edge_macs.items()) if name.endswith(f".{management.vid}")), "")
    lldp: list[dict[str, str]] = []
    macs: list[dict[str, Any]] = []
    up: list[str] = []
    for link in school_switch_links(fleet, switch.school):
        if link.peer_port is None:
            continue
        if link.switch is switch:
            lldp.append({"local_port": link.port, "system_name": link.peer.hostname, "port_id": link.peer_port})
            up.append(link.port)
            if edge_mac:  # the edge server is upstream of every switch's uplink
                macs.append({"mac": edge_mac, "vlan": management.vid, "port": link.port})
        elif link.peer is switch:
            lldp.append({"local_port": link.peer_port, "system_name": link.switch.hostname, "port_id": link.port})
            up.append(link.peer_port)
    return {"lldp": lldp, "mac": macs, "up": sorted(set(up))}


def write_observed(state_dir: Path, state: dict[str, Any]) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(state_dir / OBSERVED, json.dumps(state, indent=1, sort_keys=True) + "\n", 0o644)
