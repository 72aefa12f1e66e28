"""Read switches over SSH, read-only, as `switches audit` logs in (pinned host key, the environment's user,
the login password the store and the ledger say the switch holds): version, serial, LLDP neighbours, MAC
table and links, each parsed by `switch_facts`.  One switch's failure is its own observation."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from schoolnet.deploy.connection import ConnectionError_
from schoolnet.model.fleet import Fleet, Host
from schoolnet.observe.snapshot import Observation
from schoolnet.observe.switch_facts import SwitchFacts, collect, parse
from schoolnet.secrets.store import SecretError, SecretStore
from schoolnet.switches.ledger import Ledger
from schoolnet.switches.platforms import dialect
from schoolnet.switches.run import login_target
from schoolnet.switches.session import Session

TIMEOUT = 30.0


def facts_json(facts: SwitchFacts) -> dict[str, Any]:
    return {"os": facts.os, "serial": facts.serial, "model": facts.model, "version": facts.version,
            "lldp": [vars(n) for n in facts.neighbours], "mac_table": [vars(m) for m in facts.macs],
            "interfaces": [vars(i) for i in facts.interfaces]}


def observe_switches(fleet: Fleet, environment: str, hosts: list[Host], store: SecretStore,
                     parallel: int) -> dict[str, Observation]:
    user = fleet.environments[environment].switch_user
    ledger = Ledger(fleet.root.resolve().parent)

    def read(host: Host) -> Observation:
        started = time.monotonic()
        try:
            target = login_target(fleet, environment, user, host, store, ledger)
            os = fleet.catalog[host.model].os
            with Session(target, dialect(os), TIMEOUT) as session:
                facts = parse(os, collect(session.run, os))
        except (ConnectionError_, SecretError) as exc:
            return Observation(host.hostname, host.kind, False, str(exc))
        except Exception as exc:  # whatever one switch does is that switch's observation
            first = (str(exc).strip().splitlines() or [""])[0]
            return Observation(host.hostname, host.kind, False, f"{type(exc).__name__}: {first}" if first
                               else type(exc).__name__)
        return Observation(host.hostname, host.kind, True, facts=facts_json(facts),
                           seconds=round(time.monotonic() - started, 3))

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(hosts)))) as pool:
        return {o.hostname: o for o in pool.map(read, hosts)}
