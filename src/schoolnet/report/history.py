"""The deploy trail (deploys/log.jsonl) as the report reads it: every run, and each host's last one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schoolnet.report.facts import LastDeploy


@dataclass(frozen=True)
class HostResult:
    host: str
    status: str
    reason: str
    changes: int


@dataclass(frozen=True)
class DeployRun:
    time: str
    operator: str
    commit: str
    dirty: bool
    environment: str
    kind: str  # servers (`deploy`) or switches (`switches push`)
    limit: tuple[str, ...]
    interrupted: bool
    hosts: tuple[HostResult, ...]
    line: int  # of the log, for "says who"

    def count(self, status: str) -> int:
        return sum(1 for h in self.hosts if h.status == status)


class LogError(ValueError):
    """A line of the log that is not a deploy record; the message names the line."""


def read_log(path: Path, name: str) -> list[DeployRun]:
    """Every run, newest first. The log is append-only and written by deploy; a line that does not parse
    is reported with its number rather than skipped, since a gap in an audit trail must be seen."""
    if not path.is_file():
        return []
    runs = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            entry: dict[str, Any] = json.loads(text)
            runs.append(DeployRun(
                str(entry["time"]), str(entry.get("operator", "")), str(entry.get("commit") or ""),
                bool(entry.get("dirty")), str(entry["environment"]),
                str(entry.get("kind", "servers")), tuple(entry.get("limit") or ()),
                bool(entry.get("interrupted")),
                tuple(HostResult(str(h["host"]), str(h["status"]), str(h.get("reason", "")),
                                 len(h.get("changes") or ())) for h in entry["hosts"]),
                number))
        except (ValueError, KeyError, TypeError) as exc:
            raise LogError(f"{name}:{number}: not a deploy record ({exc}); the log is written by "
                           "`schoolnet deploy` only: restore the line from git") from None
    runs.sort(key=lambda r: (r.time, r.line), reverse=True)
    return runs


def last_deploys(runs: list[DeployRun]) -> dict[str, LastDeploy]:
    """Each host's most recent run, whatever its environment (the environment is shown beside it)."""
    last: dict[str, LastDeploy] = {}
    for run in runs:  # newest first: the first seen wins
        for host in run.hosts:
            last.setdefault(host.host, LastDeploy(run.time, run.environment, host.status, run.commit, host.reason))
    return last
