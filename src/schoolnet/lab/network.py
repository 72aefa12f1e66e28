"""Network namespaces for lab hosts, and the lab's own namespace holding one bridge per segment.

The machine's root namespace keeps only loopback: SSH reaches a host through a
forwarder on 127.20.x.y, and addresses of the inventory exist only inside the
namespaces the lab creates.  A school is a set of segments, one per VLAN (this
kernel has no 802.1Q, so each VLAN is its own bridge; the edge server's ends carry
the VLAN interface names eno2.10, eno2.20, ... that its configuration expects).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from schoolnet.lab.paths import PREFIX

LAB_NS = f"{PREFIX}-lab"


def ip(*args: str, netns: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = ["ip", *(["-n", netns] if netns else []), *args]
    return subprocess.run(command, check=check, capture_output=True, text=True)


def netns_exists(name: str) -> bool:
    return Path(f"/run/netns/{name}").exists()


def ensure_netns(name: str) -> None:
    if not netns_exists(name):
        ip("netns", "add", name)
    ip("link", "set", "lo", "up", netns=name)
    # services bind their configured addresses even before every interface is up, as on a real host
    subprocess.run(["ip", "netns", "exec", name, "sysctl", "-q", "-w", "net.ipv4.ip_nonlocal_bind=1"], check=True)


def delete_netns(name: str) -> None:
    if netns_exists(name):
        ip("netns", "del", name, check=False)


def ensure_bridge(bridge: str) -> None:
    ensure_netns(LAB_NS)
    if ip("link", "show", bridge, netns=LAB_NS, check=False).returncode != 0:
        ip("link", "add", bridge, "type", "bridge", netns=LAB_NS)
    ip("link", "set", bridge, "up", netns=LAB_NS)


def plug(netns: str, inside: str, bridge: str, peer: str, address: str | None) -> None:
    """A veth from `netns` (named `inside`) into `bridge` of the lab namespace, with `address` inside."""
    if ip("link", "show", inside, netns=netns, check=False).returncode == 0:
        return
    ensure_bridge(bridge)
    ip("link", "add", peer, "netns", LAB_NS, "type", "veth", "peer", "name", inside, "netns", netns)
    ip("link", "set", peer, "master", bridge, "up", netns=LAB_NS)
    if address:
        ip("addr", "add", address, "dev", inside, netns=netns)
    ip("link", "set", inside, "up", netns=netns)


def ensure_address(netns: str, device: str, address: str) -> None:
    ip("addr", "replace", address, "dev", device, netns=netns)


def ensure_route(netns: str, prefix: str, via: str) -> None:
    ip("route", "replace", prefix, "via", via, netns=netns)


def ensure_router(addresses: dict[str, str]) -> None:
    """The lab's namespace routes between its segments: an address on each bridge, forwarding on."""
    for bridge, address in addresses.items():
        ensure_bridge(bridge)
        ensure_address(LAB_NS, bridge, address)
    subprocess.run(["ip", "netns", "exec", LAB_NS, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], check=True)
