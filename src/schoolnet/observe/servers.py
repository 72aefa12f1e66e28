"""Read servers through pyinfra, read-only: connect as deploy does (pinned host keys, the environment's
user and key), then one fact per host.  A host that cannot be reached or read is a failed observation
with pyinfra's reason in one line; the others go on."""

from __future__ import annotations

import importlib
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
from pyinfra.api.config import Config
from pyinfra.api.connect import connect_all, disconnect_all
from pyinfra.api.inventory import Inventory
from pyinfra.api.state import State
from pyinfra.context import ctx_config, ctx_host, ctx_inventory, ctx_state

from schoolnet.deploy.bridge import connection_data
from schoolnet.deploy.connection import Connection, ConnectionError_, connections, known_hosts
from schoolnet.deploy.outcome import Collector, reason
from schoolnet.model.fleet import Fleet, Host
from schoolnet.observe.server_facts import ObservedServer
from schoolnet.observe.snapshot import Observation

ROLES = Path(__file__).resolve().parents[3] / "roles"


def managed(roles: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The packages and services a host's roles install and run (each role's PACKAGES and SERVICES)."""
    if str(ROLES.parent) not in sys.path:
        sys.path.insert(0, str(ROLES.parent))
    packages: list[str] = []
    services: list[str] = []
    for role in roles:
        module = importlib.import_module(f"roles.{role.replace('-', '_')}")
        packages += [p for p in module.PACKAGES if p not in packages]
        services += [s for s in module.SERVICES if s not in services]
    return packages, services


def observe_servers(fleet: Fleet, environment: str, hosts: list[Host], parallel: int,
                    say: Callable[[str], None]) -> dict[str, Observation]:
    found: dict[str, Observation] = {}
    reachable: dict[str, Connection] = {}
    for host in hosts:
        try:
            reachable[host.hostname] = connections(fleet, environment, [host])[host.hostname]
        except ConnectionError_ as exc:
            found[host.hostname] = Observation(host.hostname, host.kind, False, str(exc))
    if not reachable:
        return found
    with tempfile.TemporaryDirectory(prefix="schoolnet-observe-") as tmp:
        known = Path(tmp) / "known_hosts"
        known.write_text(known_hosts(reachable))
        rows = [(name, connection_data(conn, known)) for name, conn in reachable.items()]
        found.update(_read([h for h in hosts if h.hostname in reachable], rows, parallel, say))
    return found


def _read(hosts: list[Host], rows: list[tuple[str, dict[str, Any]]], parallel: int,
          say: Callable[[str], None]) -> dict[str, Observation]:
    by_name = {h.hostname: h for h in hosts}
    inventory = Inventory((rows, {}))  # type: ignore[no-untyped-call]  # pyinfra's constructors are untyped
    state = State()
    config = Config(CONNECT_TIMEOUT=5, PARALLEL=parallel, FAIL_PERCENT=None)  # type: ignore[no-untyped-call]
    collector = Collector(list(by_name))
    logging.getLogger("pyinfra").addHandler(collector)
    found: dict[str, Observation] = {}
    for context, value in ((ctx_state, state), (ctx_inventory, inventory), (ctx_config, config)):
        context.set(value)  # type: ignore[no-untyped-call]
    try:
        state.init(inventory, config)
        say(f"connecting to {len(hosts)} server(s)")
        connect_all(state)
        failed = {h.name for h in state.failed_hosts}
        for name in failed:
            found[name] = Observation(name, by_name[name].kind, False,
                                      reason(collector.messages.get(name, [])))
        active = [h for h in inventory if h.name not in failed]

        def read(pyinfra_host: Any) -> Observation:
            host = by_name[pyinfra_host.name]
            started = time.monotonic()
            try:
                packages, services = managed(host.roles)
                with ctx_host.use(pyinfra_host):
                    facts = pyinfra_host.get_fact(ObservedServer, packages=packages, services=services,
                                                  leases=host.kind == "edge")
            except Exception as exc:  # one host's failure is that host's observation
                return Observation(host.hostname, host.kind, False, " ".join(str(exc).split()) or type(exc).__name__)
            if facts is None:
                return Observation(host.hostname, host.kind, False,
                                   reason(collector.messages.get(host.hostname, [])) or "the host did not answer")
            return Observation(host.hostname, host.kind, True, facts=facts.as_json(),
                               seconds=round(time.monotonic() - started, 3))

        greenlets = {state.pool.spawn(read, h): h for h in active}
        for greenlet in gevent.iwait(list(greenlets)):
            observation = greenlet.get()
            found[observation.hostname] = observation
    finally:
        disconnect_all(state)
        logging.getLogger("pyinfra").removeHandler(collector)
    return found
