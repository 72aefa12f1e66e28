"""A change to school files held against the last clean validation: the changed schools are validated
alone, and what the rules compare across schools is checked against the recorded index and facts.

It answers only when it can prove the whole answer; anything else raises `Declined`, with the reason,
and the caller runs the full validation, which reports the problems.  The rules that are local (what
they find in a school depends on it and the shared files only) run on the shared files and the changed
schools; the cross-school ones (validate/segments.py) are proven from the index and the facts.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

from schoolnet.cache import Cache
from schoolnet.delta.state import CiState, Validated, save, validated_name
from schoolnet.inventory.tree import load_part
from schoolnet.model.build import build_fleet, gc_paused, typed_entry
from schoolnet.model.fleet import Fleet
from schoolnet.model.school import School
from schoolnet.problems import Problem, Severity
from schoolnet.render.context import ContextBuilder
from schoolnet.secrets.plaintext import scan_repository
from schoolnet.validate.run import scan_documents, validate_fleet
from schoolnet.validate.segments import COUNTING, facts, move, part_of, values


class Declined(Exception):
    """The change is not one the fast path can prove; the reason is shown with `ci`'s summary."""


def validate_fast(inventory: Path, cache: Cache, inputs: dict[str, str]) -> tuple[Validated, int]:
    """`validate` of the school files that differ from the last clean validate; raises Declined.  The state
    returned holds the problems (warnings) and counts the full validate would give; the number is of the
    changed files."""
    with gc_paused():
        name = validated_name(inventory)
        state = cache.get(name)
        if not isinstance(state, Validated) or isinstance(state, CiState):
            raise Declined("no clean validate of this inventory is recorded")
        held = hold(inventory, state, cache, inputs, for_render=False)
        state.inputs, state.problems = inputs, held.problems
        state.counts["hosts"] += held.more_hosts
        save(cache, name, state, held.tables.changed)
        return state, len(held.changed)


@dataclass
class Held:
    fleet: Fleet  # the shared files and the changed schools, validated
    problems: list[Problem]
    changed: list[str]
    tables: Tables
    more_hosts: int = 0  # hosts the changed schools gained (validate takes a device added or removed)


def hold(inventory: Path, state: Validated, cache: Cache, inputs: dict[str, str], for_render: bool = True) -> Held:
    """The change validated; `for_render` also holds each changed school's hosts and summary as they were
    (a handover changes the summary: validate takes it, ci's render declines it)."""
    if inputs.keys() != state.inputs.keys():
        raise Declined("inventory files were added or removed")
    changed = sorted(path for path, sha in inputs.items() if state.inputs[path] != sha)
    if not all(_is_school_file(path) for path in changed):
        raise Declined("a file other than a school's changed")
    tables = Tables(cache, state)
    fleet, problems, more_hosts = _validate(inventory, changed, state, tables, cache, for_render)
    return Held(fleet, problems, changed, tables, more_hosts)


def _is_school_file(path: str) -> bool:
    parts = Path(path).parts
    return len(parts) == 3 and parts[0] == "schools" and parts[2].endswith(".yaml")


def _validate(inventory: Path, changed: list[str], state: Validated, index: Tables, cache: Cache,
              for_render: bool) -> tuple[Fleet, list[Problem], int]:
    with gc_paused():
        files = load_part(inventory, [inventory / path for path in changed], cache)
        fleet, problems = build_fleet(files)
    if fleet is None or problems or len(fleet.schools) != len(changed):
        raise Declined("a changed school file does not load and type cleanly")
    if scan_documents(files) or scan_repository(inventory.resolve().parent):
        raise Declined("a value looks like a plain-text secret")
    names = {fleet.doc(school).name for school in fleet.schools}
    found = [p for p in validate_fleet(fleet) if p.code not in COUNTING]
    if any(p.location.file in names and p.severity is Severity.ERROR for p in found):
        raise Declined("a rule finds an error in a changed school")
    shared_now = sorted(_line(p) for p in found if p.location.file not in names)
    # what the last run found in the files this part holds besides the changed schools (not in other schools'
    # files: a warning there, SN612 say, is kept as it was and no rule here can see it)
    shared = {document.name for document in fleet.documents.values()} - names
    shared_then = sorted(_line(p) for p in state.problems if p.location.file in shared and p.code not in COUNTING)
    if shared_now != shared_then:
        raise Declined("the rules find something else in the shared files")
    programme_sha = fleet.doc(fleet.programme).sha256
    more_hosts = 0
    for school in fleet.schools:
        owner = os.path.relpath(fleet.doc(school).path, inventory)
        before = cache.get(typed_entry(School, state.inputs[owner], programme_sha))
        if not isinstance(before, School):
            raise Declined(f"{owner} as last checked is no longer in the cache")
        if facts(before) != facts(school):
            raise Declined(f"{owner} changed its id, district or number of tablets")
        if for_render:
            _same_reach(fleet, before, school, owner)
        more_hosts += len(part_of(fleet, [school], False).hosts) - len(part_of(fleet, [before], False).hosts)
        moved = move(index.table, owner, values(part_of(fleet, [before], False)),
                     values(part_of(fleet, [school], False)))
        if moved is None:
            raise Declined(f"a value of {owner} is also in another file")
        index.changed |= {code: index.table(code) for code in moved}
    kept = [p for p in state.problems if p.location.file not in names]
    fleet.validated = True  # every rule holds: the local ones ran, the cross-school ones are proven above
    return fleet, sorted(kept + [p for p in found if p.location.file in names], key=Problem.sort_key), more_hosts


def _same_reach(fleet: Fleet, before: School, after: School, owner: str) -> None:
    """The other hosts' inputs and the manifest's order see no difference."""
    then, now = part_of(fleet, [before], False), part_of(fleet, [after], False)
    if [(h.hostname, h.kind, h.roles) for h in then.hosts] != [(h.hostname, h.kind, h.roles) for h in now.hosts]:
        raise Declined(f"{owner} changed its hosts' names, kinds or roles")
    if ContextBuilder(then).summary(before) != ContextBuilder(now).summary(after):
        raise Declined(f"{owner} changed what the data center's hosts see of it")


class Tables:
    """The index tables of the last clean run, each read when first asked for."""

    def __init__(self, cache: Cache, state: Validated) -> None:
        self.cache = cache
        self.state = state
        self.loaded: dict[str, dict[Hashable, str]] = {}
        self.changed: dict[str, dict[Hashable, str]] = {}

    def table(self, code: str) -> dict[Hashable, str]:
        if code not in self.loaded:
            found = self.cache.get(self.state.index.get(code, ""))
            if not isinstance(found, dict):
                raise Declined("the index of the last clean run is no longer in the cache")
            self.loaded[code] = found
        return self.loaded[code]


def _line(p: Problem) -> str:
    return f"{p.line()} {p.related}"
