"""A client on a school's VLAN in the lab: ask the edge server's DNS and cache proxy, as a tablet would.

The client is a network namespace of the lab's own, plugged into the VLAN's bridge with
an address from that VLAN, removed afterwards.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

from schoolnet.ipam.plan import SchoolAddressing
from schoolnet.lab import network
from schoolnet.lab.lab import LabError, LabState
from schoolnet.lab.paths import PREFIX

CLIENT_INDEX = 200  # host index of the probing client inside the VLAN

PROBE = r"""
import socket, struct, sys
gateway, name = sys.argv[1], sys.argv[2]
query = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"".join(
    bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.settimeout(5)
try:
    udp.sendto(query, (gateway, 53))
    reply = udp.recv(512)
    count = struct.unpack(">H", reply[6:8])[0]
    print("dns", ".".join(map(str, reply[-4:])) if count else "no-answer")
except OSError as exc:
    print("dns", "error:", exc)
try:
    web = socket.create_connection((gateway, 3128), timeout=10)
    web.sendall(b"GET / HTTP/1.0\r\nHost: content\r\n\r\n")
    head = web.recv(400).decode(errors="replace").split("\r\n")
    server = next((line.split(":", 1)[1].strip() for line in head if line.lower().startswith("server:")), "?")
    print("http", head[0], server)
except OSError as exc:
    print("http", "error:", exc)
"""


@dataclass
class ProbeResult:
    dns_name: str
    dns_answer: str
    http: str


def probe(plan: SchoolAddressing, edge: str, vlan_name: str, domain: str) -> ProbeResult:
    state = LabState.load()
    entry = state.hosts.get(edge)
    if entry is None:
        raise LabError(f"{edge} is not in the lab: `schoolnet lab up --limit host:{edge}`")
    subnet = next((v for v in plan.vlans if v.vlan.name == vlan_name), None)
    if subnet is None:
        raise LabError(f"no VLAN {vlan_name!r} in the plan")
    bridge = next(b for b in entry.segments if b.endswith(f"v{subnet.vlan.vid}"))
    client = f"{PREFIX}-probe"
    network.delete_netns(client)
    network.ensure_netns(client)
    try:
        network.plug(client, "eth0", bridge, f"{PREFIX}p{entry.index}"[:15],
                     f"{subnet.host(CLIENT_INDEX)}/{subnet.network.prefixlen}")
        name = f"{edge}.{plan.school.id}.{domain}"
        result = subprocess.run(["ip", "netns", "exec", client, sys.executable, "-c", PROBE, str(subnet.gateway),
                                 name], capture_output=True, text=True, timeout=60)
        lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
        return ProbeResult(name, lines.get("dns", "no-answer"), lines.get("http", "no-answer"))
    finally:
        network.delete_netns(client)
