"""Run the deploy (or its dry run) through pyinfra's API and say, per host, what happened.

One unreachable or failing host never stops the others; each gets one reason line.  A
host whose deploy cannot even be worked out (a file changed in build/, an error in its
roles) fails alone.  Ctrl-C ends the run with every host's outcome still given, so the
record is written.
"""

from __future__ import annotations

import logging
import signal
import tempfile
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import gevent
from pyinfra.api.config import Config
from pyinfra.api.connect import connect_all, disconnect_all
from pyinfra.api.exceptions import PyinfraError
from pyinfra.api.inventory import Inventory
from pyinfra.api.operations import run_ops
from pyinfra.api.state import BaseStateCallback, State, StateStage
from pyinfra.context import ctx_config, ctx_host, ctx_inventory, ctx_state
from pyinfra_cli.util import exec_file

from schoolnet.deploy.bridge import groups, host_data
from schoolnet.deploy.connection import connections, known_hosts
from schoolnet.deploy.locks import host_locks, lock_dir, locked_reason
from schoolnet.deploy.outcome import Collector, DeployResult, HostOutcome, collect
from schoolnet.model.fleet import Fleet, Host

SITE = Path(__file__).resolve().parents[3] / "deploy" / "site.py"


class _Progress(BaseStateCallback):
    """One line per operation as it starts, so a long deploy says where it is.  (pyinfra declares its
    callbacks static; it calls them on the handler, so bound methods work and can keep `say`.)"""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.started = 0

    def operation_start(self, state: State, op_hash: str) -> None:  # type: ignore[override]
        self.started += 1
        hosts = sum(op_hash in state.ops[host] for host in state.inventory)
        name = ", ".join(sorted(state.op_meta[op_hash].names))
        self.say(f"  [{self.started}/{len(state.op_meta)}] {name} ({hosts} host(s))")

    def host_connect_error(self, state: State, host: Any, error: Any) -> None:  # type: ignore[override]
        self.say(f"  {host.name}: cannot connect")


def run_deploy(fleet: Fleet, environment: str, hosts: list[Host], build: Path, dry: bool,
               parallel: int = 10, say: Callable[[str], None] = lambda _: None,
               manifest: dict[str, Any] | None = None) -> DeployResult:
    """Deploy (or, `dry`, plan) `hosts`; `manifest` is the one the gate held the build to (read
    again from build/ if not given), so only bytes it vouches for are pushed."""
    fleet.require_validated("deploy")
    outcomes = {h.hostname: HostOutcome(h.hostname) for h in hosts}
    result = DeployResult([outcomes[h.hostname] for h in hosts])
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="schoolnet-deploy-"))
        held = {h.hostname: "" for h in hosts} if dry else stack.enter_context(
            host_locks(lock_dir(fleet.root.resolve().parent, environment), list(outcomes), "deploy"))
        for name, holder in held.items():
            if holder:
                outcomes[name].fail(locked_reason(holder))
        locked = [h for h in hosts if not held[h.hostname]]
        if not locked:
            return result
        known = Path(tmp) / "known_hosts"
        known.write_text(known_hosts(connections(fleet, environment, locked)))
        rows = host_data(fleet, environment, locked, build, known, dry=dry, run=uuid.uuid4().hex, manifest=manifest)
        inventory = Inventory((rows, {}), **{g: (names, {}) for g, names in groups(locked).items()})
        collector = Collector([h.hostname for h in locked])
        logging.getLogger("pyinfra").addHandler(collector)
        state = State(check_for_changes=dry)
        ctx_state.set(state)
        ctx_inventory.set(inventory)
        config = Config(CONNECT_TIMEOUT=5, PARALLEL=parallel, FAIL_PERCENT=None)
        ctx_config.set(config)
        prepared: set[str] = set()
        stopped = ""
        try:
            state.init(inventory, config)
            state.add_callback_handler(_Progress(say))
            state.set_stage(StateStage.Connect)
            say(f"connecting to {len(locked)} host(s)")
            connect_all(state)
            state.set_stage(StateStage.Prepare)
            say("reading each host's state")
            prepared = _prepare_each_host(state, outcomes)
            if not dry:
                state.set_stage(StateStage.Execute)
                say("applying")
                run_ops(state)
            state.set_stage(StateStage.Disconnect)
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cost the record
            result.interrupted = True
            say("interrupted: every host's outcome follows, then the record")
        except PyinfraError as exc:  # "No hosts remaining!": every host failed; each still gets its reason
            stopped = str(exc)
            say(f"stopped: {exc}")
        except Exception as exc:
            stopped = f"{type(exc).__name__}: {exc}"
            say(f"stopped: {stopped}")
        finally:
            disconnect_all(state)
            logging.getLogger("pyinfra").removeHandler(collector)
        collect(state, outcomes, collector, dry, prepared, stopped, result.interrupted)
    return result


def _prepare_each_host(state: State, outcomes: dict[str, HostOutcome]) -> set[str]:
    """Work out every host's operations (deploy/site.py), each on its own: an error in one host's
    deploy fails that host, with its reason, and the others go on.  Returns the hosts prepared."""
    state.current_deploy_filename = str(SITE)

    def prepare(host: Any) -> BaseException | None:
        try:
            with ctx_config.use(state.config.copy()), ctx_host.use(host):
                exec_file(str(SITE))
        except Exception as exc:
            return getattr(exc, "exception", exc)  # pyinfra wraps errors of deploy files
        return None

    running = {state.pool.spawn(prepare, host): host for host in state.inventory.get_active_hosts()}
    prepared, failed = set(), set()
    for greenlet in gevent.iwait(list(running)):
        host, error = running[greenlet], greenlet.get()
        if error is None:
            prepared.add(host.name)
        else:
            outcomes[host.name].fail(f"not applied: {error}")
            failed.add(host)
    if failed:
        state.fail_hosts(failed)
    return prepared
