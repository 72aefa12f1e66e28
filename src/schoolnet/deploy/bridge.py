"""From the inventory and an environment to pyinfra's inventory: hosts, groups, and what roles need.

Host data holds connection settings, the host's roles and its manifest entries (paths,
modes, hashes): never a secret value.  The files themselves are read from build/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schoolnet.deploy.connection import Connection, connections
from schoolnet.model.fleet import Fleet, Host
from schoolnet.render.engine import load_manifest

DEPLOYED_KINDS = ("edge", "server")  # switches take their configuration another way


def deployable(hosts: list[Host]) -> list[Host]:
    return [h for h in hosts if h.kind in DEPLOYED_KINDS and h.roles]


def host_data(fleet: Fleet, environment: str, hosts: list[Host], build: Path, known_hosts_file: Path,
              dry: bool = False, run: str = "run",
              manifest: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """pyinfra's host data.  `run` names this deploy's staging directory on each host, so two deploys
    never share one; `manifest` is the one the gate checked; a host missing from it is refused,
    never deployed as empty."""
    fleet.require_validated("deploy")
    manifest = manifest if manifest is not None else load_manifest(build)
    env = fleet.environments[environment]
    found = connections(fleet, environment, hosts)
    rows = []
    for host in hosts:
        conn = found[host.hostname]
        entry = manifest["hosts"].get(host.hostname)
        if entry is None:
            raise ValueError(f"{host.hostname} is not in {build}/manifest.json: render it first")
        rows.append((host.hostname, {
            **connection_data(conn, known_hosts_file), "schoolnet_roles": list(host.roles),
            "schoolnet_files": entry["files"], "schoolnet_run": run,
            "schoolnet_build": str(build.resolve()),
            "schoolnet_unavailable_services": list(env.unavailable_services),
            "schoolnet_start_services": env.start_services,
            "schoolnet_dry": dry,
        }))
    return rows


def connection_data(conn: Connection, known_hosts_file: Path) -> dict[str, Any]:
    """pyinfra's SSH settings for a host: its address, the environment's user and key, its pinned key only."""
    return {"ssh_hostname": conn.address, "ssh_port": conn.port, "ssh_user": conn.user, "ssh_key": conn.key,
            "ssh_known_hosts_file": str(known_hosts_file), "ssh_strict_host_key_checking": "yes",
            "_sudo": conn.sudo}


def groups(hosts: list[Host]) -> dict[str, list[str]]:
    """kind_edge, district_ordubad, school_nx_ord_012, role_dhcp, ... as pyinfra users expect."""
    found: dict[str, list[str]] = {}
    for host in hosts:
        names = [f"kind_{host.kind}", f"site_{host.site}", *(f"role_{r}" for r in host.roles)]
        if host.school is not None:
            names += [f"district_{host.school.district}", f"school_{host.school.id}"]
        for name in names:
            found.setdefault(name.replace("-", "_"), []).append(host.hostname)
    return found
