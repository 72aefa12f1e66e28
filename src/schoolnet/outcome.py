"""One explicit outcome per target of anything that acts (a server deploy, a switch push): never a
silent default.  The summary table, `--format json`, `--retry-failed` and deploys/log.jsonl read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = ("changed", "unchanged", "failed")


@dataclass
class HostOutcome:
    hostname: str
    status: str = "pending"  # until the run says otherwise; never recorded as it is
    changes: list[str] = field(default_factory=list)
    reason: str = ""

    def fail(self, reason: str) -> None:
        self.status, self.reason = "failed", reason

    def as_dict(self) -> dict[str, Any]:
        return {"host": self.hostname, "status": self.status, "changes": self.changes, "reason": self.reason}
