"""How each host of an environment is reached: address, user, key, and its pinned host key.

`usable_environment` decides, before any connection, whether an environment can be used at all:
it must exist, and the deploy key it names must be a private key this user can read.  Each
command that reaches hosts asks it first, so a missing environment or key is one line (exit 2),
never a connection attempt or a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import paramiko

from schoolnet.inventory.yamlload import display_name
from schoolnet.ipam.plan import Addressing
from schoolnet.model.environment import Environment
from schoolnet.model.fleet import Fleet, Host


class ConnectionError_(LookupError):
    """A host cannot be reached in this environment (no address or no pinned key)."""


class UnusableEnvironment(ConnectionError_):
    """The environment cannot be used at all (it does not exist, or its deploy key cannot be read):
    nothing was tried, on any host."""


def usable_environment(fleet: Fleet, name: str, key: bool = True) -> Environment:
    """`name`'s environment, or UnusableEnvironment with one line saying why and what to do; `key`: its
    ssh_key, when it names one, must be a private key this user can read (servers log in with it;
    switches log in with a password from the secrets, so their commands pass False)."""
    env = fleet.environments.get(name)
    if env is None:
        known = ", ".join(sorted(fleet.environments)) or "none"
        raise UnusableEnvironment(f"no environment {name!r} in {display_name(fleet.root / 'environments')}/ "
                                  f"(known: {known}); the lab's is written by `schoolnet lab up`")
    if key and env.ssh_key:
        path = Path(env.ssh_key).expanduser()
        why = key_problem(path)
        if why:
            shown = env.ssh_key if str(path) == env.ssh_key else f"{env.ssh_key} ({path})"
            raise UnusableEnvironment(f"environment {name}: ssh_key {shown} {why} (set at "
                                      f"{fleet.loc(env, 'ssh_key')}): create the deploy key there, or point "
                                      "ssh_key at it; no host was contacted")
    return env


def key_problem(path: Path) -> str:
    """Why `path` cannot serve as the deploy's private key, or "" when it can (a key protected by a
    passphrase can: pyinfra asks for it)."""
    if not path.exists():
        return "does not exist"
    if not path.is_file():
        return "is not a file"
    if not os.access(path, os.R_OK):
        return "cannot be read by this user"
    try:
        paramiko.PKey.from_path(path)
    except TypeError as exc:  # cryptography: "Key is password-protected, but password was not provided."
        if "password" in str(exc):
            return ""
        return "is not an SSH private key"
    except (ValueError, paramiko.SSHException, UnicodeError):
        return "is not an SSH private key"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return ""


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
    env = usable_environment(fleet, environment, key=False)
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


def connections(fleet: Fleet, environment: str, hosts: list[Host],
                need_key: bool = True) -> dict[str, Connection]:
    env = usable_environment(fleet, environment, need_key)
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
