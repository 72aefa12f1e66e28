"""How each host of an environment is reached: address, user, key, and its pinned host key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schoolnet.ipam.plan import Addressing
from schoolnet.model.fleet import Fleet, Host


class ConnectionError_(LookupError):
    """A host cannot be reached in this environment (no address or no pinned key)."""


@dataclass(frozen=True)
class Connection:
    hostname: str
    address: str
    port: int
    user: str
    key: str | None
    host_key: str
    sudo: bool


def address_of(fleet: Fleet, environment: str, host: Host) -> tuple[str, int]:
    """Where `host` answers SSH in `environment`, pinned key or not (onboarding pins it)."""
    env = fleet.environments[environment]
    if env.addresses == "explicit":
        entry = env.hosts.get(host.hostname)
        if entry is None:
            raise ConnectionError_(f"{host.hostname} is not in environment {environment}")
        return str(entry.address), entry.port
    plan = Addressing(fleet).school(host.school) if host.school is not None else None
    management = plan.management_address(host.hostname) if plan is not None else None
    if management is None:
        raise ConnectionError_(f"{host.hostname} has no management address in environment {environment}")
    return str(management), env.ssh_port


def connections(fleet: Fleet, environment: str, hosts: list[Host]) -> dict[str, Connection]:
    if environment not in fleet.environments:
        known = ", ".join(sorted(fleet.environments)) or "none"
        raise ConnectionError_(f"no environment {environment!r} in environments/ (known: {known}); "
                               "the lab's is written by `schoolnet lab up`")
    env = fleet.environments[environment]
    addressing = Addressing(fleet)
    found: dict[str, Connection] = {}
    for host in hosts:
        if env.addresses == "explicit":
            entry = env.hosts.get(host.hostname)
            if entry is None:
                raise ConnectionError_(f"{host.hostname} is not in environment {environment} "
                                       "(for the lab: `schoolnet lab up --limit host:" + host.hostname + "`)")
            address, port, host_key = str(entry.address), entry.port, entry.host_key
        else:
            plan = addressing.school(host.school) if host.school is not None else None
            management = plan.management_address(host.hostname) if plan is not None else None
            if management is None:
                interfaces = getattr(host.device, "interfaces", [])
                management = next((i.address for i in interfaces if i.network == "mgmt"), None)
            if management is None or not host.device.ssh_host_key:
                raise ConnectionError_(f"{host.hostname} has no management address or pinned ssh_host_key")
            address, port, host_key = str(management), env.ssh_port, host.device.ssh_host_key
        key = str(Path(env.ssh_key).expanduser()) if env.ssh_key else None
        found[host.hostname] = Connection(host.hostname, address, port, env.ssh_user, key, host_key, env.sudo)
    return found


def known_hosts(connections: dict[str, Connection]) -> str:
    """An OpenSSH known_hosts text pinning every host's key; strict checking accepts nothing else."""
    lines = []
    for conn in sorted(connections.values(), key=lambda c: c.hostname):
        name = conn.address if conn.port == 22 else f"[{conn.address}]:{conn.port}"
        lines.append(f"{name} {conn.host_key}")
    return "\n".join(lines) + "\n"
