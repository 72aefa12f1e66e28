"""A client on a school's VLAN in the lab: ask the edge server's DNS and cache proxy, as a tablet would.

The client is a network namespace of the lab's own, plugged into the VLAN's bridge with
an address from that VLAN, removed afterwards.  Each answer is held to what the
inventory says it must be, so a probe that prints a failure also fails:

- DNS: the edge server's own name resolves to its management address;
- the cache: a page asked for through the school's cache proxy comes from one of the data
  center's content servers (200, its name in `X-Served-By`) and is a cache MISS; the same
  page asked again is a HIT, served by the school without crossing the uplink.

The page's address carries a query nobody asked before, so the first request is a MISS
on every run, also on a lab host whose cache survived from an earlier rehearsal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from schoolnet.ipam.plan import SchoolAddressing
from schoolnet.lab import network
from schoolnet.lab.lab import LabError, LabState
from schoolnet.lab.paths import PREFIX

CLIENT_INDEX = 200  # host index of the probing client inside the VLAN
CACHE_PORT = 3128

# Runs inside the client's namespace: one JSON object per line, nothing but the standard library.
PROBE = r"""
import json, socket, struct, sys
gateway, name, host, path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
query = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"".join(
    bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.settimeout(5)
try:
    udp.sendto(query, (gateway, 53))
    reply = udp.recv(512)
    count = struct.unpack(">H", reply[6:8])[0]
    print(json.dumps({"dns": ".".join(map(str, reply[-4:])) if count else ""}))
except OSError as exc:
    print(json.dumps({"dns": "", "error": str(exc)}))
for attempt in (1, 2):
    try:
        with socket.create_connection((gateway, 3128), timeout=20) as web:
            web.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            data = b""
            while chunk := web.recv(65536):
                data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace").split("\r\n")
        fields = dict((k.strip().lower(), v.strip()) for k, _, v in (h.partition(":") for h in head[1:]))
        print(json.dumps({"status": head[0], "cache": fields.get("x-cache-status", ""),
                          "served_by": fields.get("x-served-by", "")}))
    except OSError as exc:
        print(json.dumps({"status": "", "error": str(exc)}))
"""


@dataclass
class Check:
    what: str
    answer: str
    ok: bool


@dataclass
class ProbeResult:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def probe(plan: SchoolAddressing, edge: str, vlan_name: str, domain: str, content_servers: list[str]) -> ProbeResult:
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
    name = f"{edge}.{plan.school.id}.{domain}"
    path = f"/?probe={os.urandom(6).hex()}"
    try:
        network.plug(client, "eth0", bridge, f"{PREFIX}p{entry.index}"[:15],
                     f"{subnet.host(CLIENT_INDEX)}/{subnet.network.prefixlen}")
        result = subprocess.run(["ip", "netns", "exec", client, sys.executable, "-c", PROBE, str(subnet.gateway),
                                 name, f"content.{plan.school.id}.{domain}", path],
                                capture_output=True, text=True, timeout=120)
    finally:
        network.delete_netns(client)
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    answers += [{}] * (3 - len(answers))
    return ProbeResult(_judge(answers, name, str(plan.vlans[0].gateway), f"{subnet.gateway}:{CACHE_PORT}{path}",
                              content_servers))


def _judge(answers: list[dict[str, str]], name: str, management: str, url: str,
           content_servers: list[str]) -> list[Check]:
    dns, first, second = answers[:3]

    def http(answer: dict[str, str]) -> str:
        if not answer.get("status"):
            return f"no answer ({answer.get('error', 'nothing came back')})"
        served = f", from {answer['served_by']}" if answer.get("served_by") else ""
        return f"{answer['status'].partition(' ')[2]}, X-Cache-Status {answer.get('cache') or '-'}{served}"

    def status(answer: dict[str, str]) -> str:
        return answer.get("status", "").partition(" ")[2].split(" ")[0]

    return [
        Check(f"dns  {name}", dns.get("dns") or f"no answer ({dns.get('error', 'NXDOMAIN or empty')})",
              dns.get("dns") == management),
        Check(f"http GET {url}", http(first),
              status(first) == "200" and first.get("cache") == "MISS" and first.get("served_by") in content_servers),
        Check("http the same again", http(second), status(second) == "200" and second.get("cache") == "HIT"),
    ]
