"""One observation run: the selected servers through pyinfra, then the selected switches over SSH, into a
snapshot.  Nothing is written to a host or a switch; every failure is that device's, with one reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from schoolnet.model.fleet import Fleet, Host
from schoolnet.observe.servers import observe_servers
from schoolnet.observe.snapshot import Snapshot, now, save
from schoolnet.observe.switch_reads import observe_switches
from schoolnet.secrets.store import SecretStore
from schoolnet.switches.run import switches

SERVER_KINDS = ("edge", "server")


def observed_kinds(hosts: list[Host]) -> tuple[list[Host], list[Host]]:
    """The servers (edge and data-center servers with roles) and the managed switches among `hosts`."""
    servers = [h for h in hosts if h.kind in SERVER_KINDS and h.roles]
    return servers, switches(hosts)


def observe(fleet: Fleet, environment: str, hosts: list[Host], store: SecretStore, parallel: int,
            say: Callable[[str], None], root: Path) -> tuple[Snapshot, Path]:
    fleet.require_validated("observe")
    servers, switch_hosts = observed_kinds(hosts)
    snapshot = Snapshot(environment, now())
    if servers:
        snapshot.observations.update(observe_servers(fleet, environment, servers, parallel, say))
    if switch_hosts:
        say(f"reading {len(switch_hosts)} switch(es)")
        snapshot.observations.update(observe_switches(fleet, environment, switch_hosts, store, parallel))
    return snapshot, save(root, snapshot)
