"""`schoolnet ci` when only school files changed since the last clean run: the changed schools are
validated, rendered and checked; the rest of the fleet is taken as that run left it.

It answers only when it can prove the whole answer: anything it cannot prove, it declines
(`Declined`, with the reason), and `ci` runs every stage in full, which reports the problems.
So it never reports a problem itself, and a run it takes ends as the full run would:

- validate: the shared files and the changed schools, typed, pass every rule that does not count
  or match schools; each changed school's values are unique against the index of all others; its
  facts (id, district, tablet count) are as before, so the counting rules find what they found;
- render: each changed school keeps its hosts (names, kinds, roles) and its summary (what the data
  center's hosts see of it), so no other host's inputs changed; the build is as the last run left
  it (every file's signature, every directory, the manifest); the changed schools' hosts are
  rendered again, and the manifest's other lines kept byte for byte;
- check: the programs are the ones that checked the rest; the new files are checked.
"""

from __future__ import annotations

import os
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schoolnet.cache import Cache
from schoolnet.check import check_build
from schoolnet.delta.state import (
    Build,
    CiState,
    build_intact,
    built_files,
    file_sha256,
    program_identities,
    save,
    state_name,
)
from schoolnet.inventory.tree import load_part
from schoolnet.model.build import build_fleet, gc_paused, typed_entry
from schoolnet.model.fleet import Fleet
from schoolnet.model.school import School
from schoolnet.problems import Problem, Severity
from schoolnet.render.context import ContextBuilder
from schoolnet.render.engine import MANIFEST, render_hosts_into
from schoolnet.render.intact import BuildStats
from schoolnet.render.memo import tree_digest
from schoolnet.secrets.plaintext import scan_repository
from schoolnet.secrets.store import SecretStore
from schoolnet.validate.run import scan_documents, validate_fleet
from schoolnet.validate.segments import COUNTING, facts, move, part_of, values


class Declined(Exception):
    """The change is not one the fast path can prove; the reason is shown with `ci`'s summary."""


@dataclass
class FastRun:
    problems: list[Problem]  # the warnings, as the full run would give them
    details: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)


def run_fast(inventory: Path, out: Path, templates: Path, secrets: SecretStore, cache: Cache,
             inputs: dict[str, str]) -> FastRun:
    """Validate, render and check the school files that differ from the last clean run; raises Declined."""
    with gc_paused():  # the state is hundreds of thousands of small objects, read once and kept
        return _run(inventory, out, templates, secrets, cache, inputs)


def _run(inventory: Path, out: Path, templates: Path, secrets: SecretStore, cache: Cache,
         inputs: dict[str, str]) -> FastRun:
    name = state_name(inventory, out, templates)
    state = cache.get(name)
    if not isinstance(state, CiState):
        raise Declined("no clean run of this inventory, build and templates is recorded")
    if inputs.keys() != state.inputs.keys():
        raise Declined("inventory files were added or removed")
    changed = sorted(path for path, sha in inputs.items() if state.inputs[path] != sha)
    if not all(_is_school_file(path) for path in changed):
        raise Declined("a file other than a school's changed")
    if tree_digest(templates) != state.templates:
        raise Declined("the templates changed")
    clock = _Clock()
    index = _Tables(cache, state)
    fleet, problems = _validate(inventory, changed, state, index, cache)
    clock.lap("validate")
    build = cache.get(state.build)
    if not isinstance(build, Build) or not build_intact(out, state, build):
        raise Declined("build/ is not as the last clean run left it")
    if program_identities(cache, set(state.programs)) != state.programs:
        raise Declined("a validator's program changed")
    hosts = [h for h in fleet.hosts if h.school is not None]
    rendered = render_hosts_into(fleet, hosts, out, templates, secrets) if hosts else {}
    clock.lap("render")
    checked, reused = _check(out, secrets, rendered, cache)
    clock.lap("check")
    state.inputs = inputs
    _update_build(state, build, out, rendered)
    save(cache, name, state, index.changed, build)
    counts = state.counts
    changes = f"{len(changed)} changed school file(s) held against the last clean run"
    details = {"validate": f"{counts['schools']} schools, {counts['hosts']} hosts; {changes}",
               "render": f"{counts['files']:,} files for {counts['hosts']} hosts, {len(rendered)} rendered, "
                         f"{counts['hosts'] - len(rendered)} kept unchanged",
               "check": f"{counts['files']:,} files, {counts['validators']} validators; {checked} files of the "
                        f"rendered hosts checked, {reused} verdicts reused, the rest as last checked"}
    return FastRun(problems, details, clock.seconds)


def _is_school_file(path: str) -> bool:
    parts = Path(path).parts
    return len(parts) == 3 and parts[0] == "schools" and parts[2].endswith(".yaml")


def _validate(inventory: Path, changed: list[str], state: CiState, index: _Tables,
              cache: Cache) -> tuple[Fleet, list[Problem]]:
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
    shared_then = sorted(_line(p) for p in state.problems if p.location.file not in names and p.code not in COUNTING)
    if shared_now != shared_then:
        raise Declined("the rules find something else in the shared files")
    programme_sha = fleet.doc(fleet.programme).sha256
    for school in fleet.schools:
        owner = os.path.relpath(fleet.doc(school).path, inventory)
        before = cache.get(typed_entry(School, state.inputs[owner], programme_sha))
        if not isinstance(before, School):
            raise Declined(f"{owner} as last checked is no longer in the cache")
        _same_reach(fleet, before, school, owner)
        moved = move(index.table, owner, values(part_of(fleet, [before], False)),
                     values(part_of(fleet, [school], False)))
        if moved is None:
            raise Declined(f"a value of {owner} is also in another file")
        index.changed |= {code: index.table(code) for code in moved}
    kept = [p for p in state.problems if p.location.file not in names]
    fleet.validated = True  # every rule holds: the local ones ran, the cross-school ones are proven above
    return fleet, sorted(kept + [p for p in found if p.location.file in names], key=Problem.sort_key)


def _same_reach(fleet: Fleet, before: School, after: School, owner: str) -> None:
    """The counting rules, the other hosts' inputs and the manifest's order see no difference."""
    if facts(before) != facts(after):
        raise Declined(f"{owner} changed its id, district or number of tablets")
    then, now = part_of(fleet, [before], False), part_of(fleet, [after], False)
    if [(h.hostname, h.kind, h.roles) for h in then.hosts] != [(h.hostname, h.kind, h.roles) for h in now.hosts]:
        raise Declined(f"{owner} changed its hosts' names, kinds or roles")
    if ContextBuilder(then).summary(before) != ContextBuilder(now).summary(after):
        raise Declined(f"{owner} changed what the data center's hosts see of it")


def _check(out: Path, secrets: SecretStore, rendered: dict[str, Any], cache: Cache) -> tuple[int, int]:
    if not rendered:
        return 0, 0
    report = check_build(out, secrets=secrets, hosts=set(rendered), cache=cache, manifest={"hosts": rendered},
                         stats=BuildStats(out, None))
    if report.problems:
        raise Declined("a rendered file fails its check")
    return report.files, report.reused


def _update_build(state: CiState, build: Build, out: Path, rendered: dict[str, Any]) -> None:
    """The rendered hosts' files and directories are new; their signatures are taken next time."""
    top = str(out.resolve() / "hosts")
    prefixes = tuple(f"{top}/{hostname}/" for hostname in rendered)
    if prefixes:
        build.files = {p: v for p, v in build.files.items() if not p.startswith(prefixes)}
        build.directories = {p for p in build.directories if not (p + "/").startswith(prefixes)}
    new = built_files(out, rendered, BuildStats(out, None))
    build.files |= new.files
    build.directories |= new.directories
    state.counts["files"] = len(build.files)
    state.manifest = file_sha256(out / MANIFEST)


class _Tables:
    """The index tables of the last clean run, each read when first asked for."""

    def __init__(self, cache: Cache, state: CiState) -> None:
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


class _Clock:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = now - self.started
        self.started = now


def _line(p: Problem) -> str:
    return f"{p.line()} {p.related}"
