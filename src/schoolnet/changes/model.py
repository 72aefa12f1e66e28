"""A change as `changes` reports it, and the error of a revision that cannot be compared."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from schoolnet.changes.revisions import Snapshot
from schoolnet.problems import Location, Problem


@dataclass(frozen=True)
class Change:
    """One change, said in one sentence, with where it is written and the hosts it accounts for."""

    kind: str
    action: str
    subject: str
    area: str
    sentence: str
    details: dict[str, list[Any]] = field(default_factory=dict)
    source: str | None = None
    hosts: tuple[str, ...] = ()
    # Whose hosts it accounts for, (school, ID), (site, SITE), (fleet, ""), (template, PATH) or (secret, NAME):
    # none for what renders nothing, two for a tablet that moved between schools.
    scopes: tuple[tuple[str, str], ...] = ()
    files: frozenset[str] = frozenset()  # the inventory files it is written in, on either side
    rendered: dict[str, tuple[str, ...]] = field(default_factory=dict)  # host -> the changed files credited to it
    notes: tuple[str, ...] = ()  # what follows from it that no rendered file says: a step to take, a trail

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "action": self.action, "subject": self.subject, "area": self.area,
                "sentence": self.sentence, "details": self.details, "source": self.source, "hosts": list(self.hosts),
                "rendered": {h: list(p) for h, p in sorted(self.rendered.items())}, "notes": list(self.notes)}


class SideError(Exception):
    """One revision does not load or validate: its problems, named as the repository names its files."""

    def __init__(self, snapshot: Snapshot, problems: list[Problem]) -> None:
        super().__init__(snapshot.label)
        self.snapshot = snapshot
        self.problems = problems


def relabelled(found: Problem, snapshot: Snapshot) -> Problem:
    """The problem with the private copy's paths replaced by the repository's own."""
    where = found.location
    return replace(found, location=Location(snapshot.relabel(where.file), where.line, where.column),
                   message=snapshot.relabel(found.message), hint=snapshot.relabel(found.hint),
                   related=tuple(Location(snapshot.relabel(r.file), r.line, r.column) for r in found.related))
