"""What happened on each host: one explicit outcome per selected host, never a silent default.

The summary table, `--format json`, `--retry-failed` and deploys/log.jsonl all read these.
A host ends `changed`, `unchanged` or `failed` with a reason; nothing that did not run to
the end is ever counted as `unchanged`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyinfra.api.state import State

from schoolnet.outcome import STATUSES, HostOutcome

__all__ = ["STATUSES", "Collector", "DeployResult", "HostOutcome", "collect"]


@dataclass
class DeployResult:
    outcomes: list[HostOutcome]
    interrupted: bool = False  # Ctrl-C: what ran on each host finished or was put back; the rest did not run


class Collector(logging.Handler):
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


def collect(state: State, outcomes: dict[str, HostOutcome], collector: Collector, dry: bool,
            prepared: set[str], stopped: str = "", interrupted: bool = False) -> None:
    """Give every host of the run its outcome from pyinfra's record of each operation.  `prepared`:
    the hosts whose operations were all worked out; `stopped`: why the run ended early, if it did."""
    failed = {h.name for h in state.failed_hosts}
    for host in state.inventory:
        outcome = outcomes[host.name]
        if outcome.status == "failed":  # refused before its operations ran: locked, build changed, ...
            continue
        if host.name not in prepared and host.name not in failed:
            outcome.fail("interrupted (Ctrl-C) before anything was changed" if interrupted else
                         f"not applied: the deploy stopped before this host's changes were worked out ({stopped})")
            continue
        pending = ""
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
                pending = pending or name
                continue
            if not meta.did_succeed(_raise_if_not_complete=False):
                lines = [line for line in meta.stderr_lines + meta.stdout_lines if line.strip()]
                said = lines[-1].strip() if lines else _callback_error(collector.messages.get(host.name, []))
                outcome.fail(f"{name} failed: {said}")
                break
            if meta.did_change():
                outcome.changes.append(name)
        if outcome.status == "failed":
            continue
        if host.name in failed:
            outcome.fail(reason(collector.messages.get(host.name, [])))
        elif pending and interrupted:
            outcome.fail(f"interrupted (Ctrl-C) before {pending}: the change running on the host finished or was "
                         "put back; run the deploy again")
        elif pending:
            outcome.fail(f"not applied: the deploy stopped before {pending}" + (f" ({stopped})" if stopped else ""))
        else:
            outcome.status = "changed" if outcome.changes else "unchanged"


def _callback_error(messages: list[str]) -> str:
    """What a Python step of the deploy (the new-login check) raised, as pyinfra logged it."""
    marker = "Unexpected error in Python callback: "
    found = [m.split(marker, 1)[1] for m in messages if marker in m]
    return found[-1] if found else "see the deploy log"


def reason(messages: list[str]) -> str:
    text = " ".join(messages)
    if "BadHostKey" in text or "does not match" in text or "Host key" in text:
        return "host key changed: refusing to connect (the pinned key does not match what the host presents)"
    if "Unable to connect" in text or "Could not connect" in text or "banner" in text or "No existing session" in text:
        return "unreachable: " + (messages[-1][:160] if messages else "no SSH answer")
    return messages[-1][:200] if messages else "failed (no message from pyinfra)"
