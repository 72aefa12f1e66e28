"""What observations add to the report: when each device and tablet was last seen, and each school's
differences between what was observed and what the inventory declares (`schoolnet reconcile`'s).

Observations are local state (never in git): the report shows them only when asked (`--observed ENV`),
and says which run they come from, so two sites built from the same commit can be told apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from schoolnet.model.fleet import Fleet
from schoolnet.model.school import tablet_name
from schoolnet.observe.reconcile import evidence_for, reconcile
from schoolnet.observe.sightings import device_last_seen, normalise_mac
from schoolnet.observe.snapshot import history


@dataclass(frozen=True)
class Difference:
    code: str
    name: str
    message: str
    path: str
    line: int


@dataclass
class ObservedView:
    environment: str
    latest: str  # the newest snapshot's time, "2026-12-08 03:26 UTC"
    runs: int
    seen: dict[str, str] = field(default_factory=dict)  # device or tablet name -> when, UTC
    where: dict[str, str] = field(default_factory=dict)  # tablet name -> where it was seen
    differences: dict[str, list[Difference]] = field(default_factory=dict)  # site -> its differences
    unobservable: dict[str, str] = field(default_factory=dict)
    sites: set[str] = field(default_factory=set)  # the schools and data centers the latest run observed


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def observed_view(fleet: Fleet, repository: Path, environment: str) -> ObservedView | None:
    """None when the environment has no observation yet."""
    snapshots = list(history(repository, environment))
    if not snapshots:
        return None
    latest = snapshots[0]
    evidence = evidence_for(fleet, environment, snapshots)
    problems = reconcile(evidence)
    view = ObservedView(environment, _when(latest.taken_at), len(snapshots), unobservable=evidence.unobservable)
    hosts = {h.hostname: h.site for h in fleet.hosts}
    view.sites = {hosts[name] for name, o in latest.observations.items() if o.ok and name in hosts}
    by_mac = evidence.last_seen  # computed once, for reconcile's rules and for this
    view.seen = {name: _when(at) for name, at in device_last_seen(fleet, snapshots, by_mac).items()}
    for school in fleet.schools:
        for tablet in school.tablets:
            sighting = by_mac.get(normalise_mac(tablet.mac))
            if sighting is not None:
                view.where[tablet_name(school.id, tablet.slot)] = sighting.where()
    files = {fleet.loc(s, "id").file: s.id for s in fleet.schools}
    files.update({fleet.loc(d, "site").file: d.site for d in fleet.datacenters})
    for p in problems:
        site = files.get(p.location.file, "")
        view.differences.setdefault(site, []).append(
            Difference(p.code, p.name, p.message, p.location.file, p.location.line))
    return view
