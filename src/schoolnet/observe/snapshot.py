"""Observations kept as snapshots: one JSON file per run, under `observations/<environment>/`, ignored by git.

Observations are not inventory: they never enter git, `changes` never sees them.  Each run is a file
named by its UTC time, so the history is the folder's listing; `reconcile` reads the latest, and
`locate` and "last seen" read them all, newest first.  A file is written whole (temp file, then
rename): a run killed half way leaves no snapshot, not a broken one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schoolnet.atomic import write_atomically
from schoolnet.contained import child

FOLDER = "observations"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
STAMP = "%Y%m%dT%H%M%SZ"


@dataclass
class Observation:
    """One host or switch, as one run saw it: `facts` when reached, else `reason` (one line).

    What a device says is the device's text, not ours (an LLDP neighbour's name, a DHCP client's host
    name): control characters are replaced on the way in, so no printout can drive a terminal."""

    hostname: str
    kind: str
    ok: bool
    reason: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.reason = printable(self.reason)
        self.facts = printable(self.facts)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(value: Any) -> Any:
    """`value` with every control character of every string in it replaced by '?'."""
    if isinstance(value, str):
        return _CONTROL.sub("?", value) if _CONTROL.search(value) else value
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value


@dataclass
class Snapshot:
    environment: str
    taken_at: datetime
    observations: dict[str, Observation] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.taken_at.strftime(STAMP)

    def as_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "taken_at": self.taken_at.isoformat(),
                "observations": {name: vars(o) for name, o in sorted(self.observations.items())}}

    @staticmethod
    def from_json(data: Any) -> Snapshot:
        """A snapshot as `as_json` wrote it; ValueError for anything else (a file edited by hand)."""
        if not isinstance(data, dict) or not isinstance(data.get("observations", {}), dict):
            raise ValueError("not a snapshot")
        taken = datetime.fromisoformat(str(data["taken_at"]))
        taken = taken if taken.tzinfo is not None else taken.replace(tzinfo=UTC)
        found: dict[str, Observation] = {}
        for name, entry in data.get("observations", {}).items():
            observation = Observation(**entry)
            if not isinstance(observation.facts, dict) or not isinstance(observation.ok, bool):
                raise ValueError(f"{name}: not an observation")
            found[str(name)] = observation
        return Snapshot(str(data["environment"]), taken.astimezone(UTC), found)


def folder(root: Path, environment: str) -> Path:
    """observations/<environment>; PathEscape (a ValueError) for a name that is not one plain component."""
    return child(root / FOLDER, environment)


def plain_environment(name: str) -> bool:
    """Whether `name` can name an environment's observations (it becomes a folder's name)."""
    return bool(_NAME.fullmatch(name))


def save(root: Path, snapshot: Snapshot) -> Path:
    target = folder(root, snapshot.environment)
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{snapshot.name}.json"
    write_atomically(path, json.dumps(snapshot.as_json(), indent=1, sort_keys=True) + "\n", 0o644)
    return path


def history(root: Path, environment: str) -> Iterator[Snapshot]:
    """Every snapshot of the environment, newest first."""
    base = folder(root, environment)
    for path in sorted(base.glob("*.json"), reverse=True) if base.is_dir() else []:
        try:
            yield Snapshot.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a file someone edited by hand is not history


def latest(root: Path, environment: str) -> Snapshot | None:
    return next(history(root, environment), None)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
