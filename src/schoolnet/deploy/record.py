"""deploys/log.jsonl: one line per deploy, the trail auditors read."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schoolnet.outcome import HostOutcome

LOG = Path("deploys") / "log.jsonl"


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def append(root: Path, environment: str, limits: list[str], outcomes: list[HostOutcome],
           interrupted: bool = False, kind: str = "servers", skipped: dict[str, str] | None = None) -> dict[str, Any]:
    """One line for the run: every selected host with its outcome (never a silent default); `kind` says
    what acted (servers: `deploy`; switches: `switches push`); `skipped`: the hosts the limits selected
    that were left out because they are not installed yet, with their status."""
    unsettled = [o.hostname for o in outcomes if o.status not in ("changed", "unchanged", "failed")]
    if unsettled:  # a bug, not an input: refuse to record a host as anything it was not
        raise ValueError(f"no outcome for {', '.join(unsettled)}")
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "operator": os.environ.get("SUDO_USER") or getpass.getuser(),
        "commit": _git(root, "rev-parse", "HEAD") or None,
        "dirty": bool(_git(root, "status", "--porcelain", "--untracked-files=no")),
        "environment": environment,
        "kind": kind,
        "limit": limits,
        "interrupted": interrupted,
        "hosts": [o.as_dict() for o in outcomes],
    }
    if skipped:
        entry["skipped"] = [{"host": name, "status": status} for name, status in skipped.items()]
    log = root / LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return entry


def last_failed(root: Path, environment: str, kind: str = "servers") -> list[str]:
    """The hosts that failed in the last run of `kind` in `environment`, for --retry-failed (records
    written before `kind` existed are server deploys)."""
    log = root / LOG
    if not log.exists():
        return []
    for line in reversed(log.read_text(encoding="utf-8").splitlines()):
        entry = json.loads(line)
        if entry.get("environment") == environment and entry.get("kind", "servers") == kind:
            return [h["host"] for h in entry["hosts"] if h["status"] == "failed"]
    return []
