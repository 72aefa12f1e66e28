"""Seeded differences between a lab switch's rendered configuration and the one it first boots with.

An audit of a switch that already matches its rendered configuration finds nothing and proves
little.  So on its first start a lab switch boots from its rendered configuration changed the
way a technician on site might leave it: a VLAN deleted, an access port moved to another VLAN,
an extra local user.  Which VLAN, port and user follow from the seed (the switch's hostname),
so the same switch always drifts the same way and a test can say what an audit must find.
The changes are typed into the emulator's own command line, so the result is what the
emulator would print, and every difference is one the switch itself accepts.
"""

from __future__ import annotations

import hashlib
import random

from schoolnet.switchlab.cli import VRP, Device, Node, Session

EXTRA_USERS = ("support", "vendor", "installer", "helpdesk", "tech", "temp")


def _management_vlan(device: Device) -> int | None:
    """The VLAN of the switch's own address (never deleted: the lab reaches it there)."""
    for node in device.interfaces():
        if node.rank is not None and node.rank[0] in ("Vlanif", "Vlan") and node.rank[1]:
            return node.rank[1][0]
    return None


def _access_ports(device: Device) -> dict[str, int]:
    """Access ports and their VLAN, in the order the switch lists them."""
    vlan_line, mode_line = ("port default vlan", "port link-type") if device.vrp else \
        ("switchport access vlan", "switchport mode")
    ports = {}
    for node in device.interfaces():
        lines = {child.key: child.text for child in node.children}
        if vlan_line in lines and not lines.get(mode_line, "").endswith("trunk"):
            ports[node.text.split()[1]] = int(lines[vlan_line].split()[-1])
    return ports


def _users(device: Device) -> set[str]:
    if device.vrp:
        aaa = next((n for n in device.root.children if n.key == "aaa"), Node("", "", ""))
        return {child.text.split()[1] for child in aaa.children if child.text.startswith("local-user ")}
    return {n.text.split()[1] for n in device.root.children if n.text.startswith("username ")}


def seeded_drift(platform: str, config: str, seed: str) -> tuple[str, list[str]]:
    """`config` with a few differences chosen by `seed`, in the emulator's layout, and one sentence
    for each.  A line of `config` the emulator does not take is dropped, and said too."""
    device = Device(platform, seed, config, printing="echo")
    said = [f"{problem} (the emulator does not take it)" for problem in device.problems]
    choose = random.Random(hashlib.sha256(f"{platform}\0{seed}".encode()).digest())
    vlans = device.vlans()
    kept = {1, _management_vlan(device)}
    commands: list[str] = []

    deleted = None
    candidates = sorted(set(vlans) - kept)
    if candidates:
        deleted = choose.choice(candidates)
        commands.append(f"{device.negation} vlan {deleted}")
        said.append(f"VLAN {deleted} ({vlans[deleted]}) deleted")

    ports = _access_ports(device)
    movable = [port for port, vlan in ports.items() if vlan != deleted]
    if movable:
        port = choose.choice(movable)
        targets = sorted(set(vlans) - kept - {deleted, ports[port]})
        if targets:
            target = choose.choice(targets)
            assign = "port default vlan" if device.vrp else "switchport access vlan"
            commands += [f"interface {port}", f"{assign} {target}", "quit" if device.vrp else "exit"]
            said.append(f"{port} moved from VLAN {ports[port]} ({vlans.get(ports[port], '?')}) "
                        f"to VLAN {target} ({vlans[target]})")

    free = [name for name in EXTRA_USERS if name not in _users(device)]
    if free:
        user = choose.choice(free)
        password = "drift-" + hashlib.sha256(f"{seed}\0{user}".encode()).hexdigest()[:16]  # a lab artefact
        if device.vrp:
            commands += ["aaa", f"local-user {user} password irreversible-cipher {password}",
                         f"local-user {user} privilege level 15", f"local-user {user} service-type ssh", "quit"]
        else:
            commands.append(f"username {user} privilege 15 secret {password}")
        said.append(f"extra local user {user} with privilege 15")

    session = Session(device, interactive=False)
    for command in ["system-view" if platform == VRP else "configure terminal", *commands]:
        refused = session.command(command)
        if session.status:
            raise AssertionError(f"the emulator refused its own drift {command!r}: {' '.join(refused)}")
    session.close()
    return device.text(), said
