"""Run the deploy (or its dry run) through pyinfra's API and say, per host, what happened.

One unreachable or failing host never stops the others; each gets one reason line.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pyinfra.api.config import Config
from pyinfra.api.connect import connect_all, disconnect_all
from pyinfra.api.exceptions import PyinfraError
from pyinfra.api.inventory import Inventory
from pyinfra.api.operations import run_ops
from pyinfra.api.state import BaseStateCallback, State, StateStage
from pyinfra.context import ctx_config, ctx_inventory, ctx_state
from pyinfra_cli.util import load_deploy_file

from schoolnet.deploy.bridge import groups, host_data
from schoolnet.deploy.connection import connections, known_hosts
from schoolnet.model.fleet import Fleet, Host

LOCK_DIR = Path(os.environ.get("SCHOOLNET_LOCK_DIR", "/run/schoolnet/locks"))
SITE = Path(__file__).resolve().parents[3] / "deploy" / "site.py"


@dataclass
class HostOutcome:
    hostname: str
    status: str = "unchanged"  # changed | unchanged | failed
    changes: list[str] = field(default_factory=list)
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"host": self.hostname, "status": self.status, "changes": self.changes, "reason": self.reason}


class _Collector(logging.Handler):
    """pyinfra reports connection and operation errors through logging; keep them per host."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.names = sorted(names, key=len, reverse=True)
        self.messages: dict[str, list[str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        for name in self.names:
            if f"[{name}]" in text or text.startswith(name):
                self.messages.setdefault(name, []).append(" ".join(text.split()))
                return


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


@contextmanager
def host_locks(hostnames: list[str]) -> Iterator[dict[str, bool]]:
    """One lock file per host: a second deploy to the same host at once finds it held and skips that host."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    held: dict[str, bool] = {}
    with ExitStack() as stack:
        for name in hostnames:
            handle: IO[str] = stack.enter_context(open(LOCK_DIR / f"{name}.lock", "w"))
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held[name] = True
            except BlockingIOError:
                held[name] = False
        yield held


def run_deploy(fleet: Fleet, environment: str, hosts: list[Host], build: Path, dry: bool,
               parallel: int = 10, say: Callable[[str], None] = lambda _: None) -> list[HostOutcome]:
    outcomes = {h.hostname: HostOutcome(h.hostname) for h in hosts}
    with host_locks(list(outcomes)) as held, tempfile.TemporaryDirectory(prefix="schoolnet-deploy-") as tmp:
        locked = [h for h in hosts if held[h.hostname]]
        for name in (n for n, ok in held.items() if not ok):
            outcomes[name] = HostOutcome(name, "failed", reason="another deploy to this host is running (locked)")
        if not locked:
            return list(outcomes.values())
        known = Path(tmp) / "known_hosts"
        known.write_text(known_hosts(connections(fleet, environment, locked)))
        rows = host_data(fleet, environment, locked, build, known, dry=dry)
        inventory = Inventory((rows, {}), **{g: (names, {}) for g, names in groups(locked).items()})
        collector = _Collector([h.hostname for h in locked])
        logging.getLogger("pyinfra").addHandler(collector)
        state = State(check_for_changes=dry)
        ctx_state.set(state)
        ctx_inventory.set(inventory)
        config = Config(CONNECT_TIMEOUT=5, PARALLEL=parallel, FAIL_PERCENT=None)
        ctx_config.set(config)
        try:
            state.init(inventory, config)
            state.add_callback_handler(_Progress(say))
            state.set_stage(StateStage.Connect)
            say(f"connecting to {len(locked)} host(s)")
            connect_all(state)
            state.set_stage(StateStage.Prepare)
            say("reading each host's state")
            load_deploy_file(state, str(SITE))
            if not dry:
                state.set_stage(StateStage.Execute)
                say("applying")
                run_ops(state)
            state.set_stage(StateStage.Disconnect)
        except PyinfraError as exc:  # "No hosts remaining!": every host failed; each still gets its reason
            say(f"stopped: {exc}")
        finally:
            disconnect_all(state)
            logging.getLogger("pyinfra").removeHandler(collector)
        _collect(state, outcomes, collector, dry)
    return [outcomes[h.hostname] for h in hosts]


def _collect(state: State, outcomes: dict[str, HostOutcome], collector: _Collector, dry: bool) -> None:
    failed = {h.name for h in state.failed_hosts}
    for host in state.inventory:
        outcome = outcomes[host.name]
        for op_hash in state.get_op_order():
            data = state.ops[host].get(op_hash)
            if data is None:
                continue
            meta = data.operation_meta
            name = ", ".join(sorted(state.op_meta[op_hash].names))
            if dry:
                if meta.will_change:
                    outcome.changes.append(name)
                continue
            if not meta.is_complete():
                continue
            if not meta.did_succeed(_raise_if_not_complete=False):
                lines = [line for line in meta.stderr_lines + meta.stdout_lines if line.strip()]
                outcome.reason = f"{name} failed: {lines[-1].strip() if lines else 'see the deploy log'}"
                break
            if meta.did_change():
                outcome.changes.append(name)
        if host.name in failed:
            outcome.status = "failed"
            if not outcome.reason:
                messages = collector.messages.get(host.name, [])
                outcome.reason = _reason(messages)
        elif outcome.changes:
            outcome.status = "changed"


def _reason(messages: list[str]) -> str:
    text = " ".join(messages)
    if "BadHostKey" in text or "does not match" in text or "Host key" in text:
        return "host key changed: refusing to connect (the pinned key does not match what the host presents)"
    if "Unable to connect" in text or "Could not connect" in text or "banner" in text or "No existing session" in text:
        return "unreachable: " + (messages[-1][:160] if messages else "no SSH answer")
    return messages[-1][:200] if messages else "failed (no message)"
