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
- check: the programs are the ones that checked the rest; the new files are checked, and so are those
  of hosts a fast `render` wrote since (`CiState.unchecked`).

`schoolnet render` takes the same path without the check: what it renders is recorded as not checked
yet, so the next `ci` checks it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schoolnet.cache import Cache
from schoolnet.check import check_build
from schoolnet.delta.held import Declined, hold
from schoolnet.delta.state import (
    Build,
    CiState,
    build_intact,
    built_files,
    program_identities,
    save,
    state_name,
)
from schoolnet.model.build import gc_paused
from schoolnet.problems import Problem
from schoolnet.render.engine import MANIFEST, render_hosts_into
from schoolnet.render.intact import BuildStats
from schoolnet.render.memo import file_digest, tree_digest
from schoolnet.secrets.store import SecretStore

NO_STATE = "no clean run of this inventory, build and templates is recorded"
FOLD_AT = 500  # hosts rendered since the build's record was written: beyond, it is written again


@dataclass
class FastRun:
    problems: list[Problem]  # the warnings, as the full run would give them
    details: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)
    rendered: int = 0  # hosts rendered
    counts: dict[str, int] = field(default_factory=dict)  # the fleet's schools, hosts, files, ...


def run_fast(inventory: Path, out: Path, templates: Path, secrets: SecretStore, cache: Cache,
             inputs: dict[str, str]) -> FastRun:
    """Validate, render and check the school files that differ from the last clean run; raises Declined."""
    with gc_paused():  # the state is hundreds of thousands of small objects, read once and kept
        return _run(inventory, out, templates, secrets, cache, inputs, check=True)


def render_fast(inventory: Path, out: Path, templates: Path, secrets: SecretStore, cache: Cache,
                inputs: dict[str, str]) -> FastRun:
    """`render` after a change to school files only: validate and render them as ci's fast path does, leaving
    the check of the hosts it wrote to the next `ci`; raises Declined."""
    with gc_paused():
        return _run(inventory, out, templates, secrets, cache, inputs, check=False)


def _run(inventory: Path, out: Path, templates: Path, secrets: SecretStore, cache: Cache,
         inputs: dict[str, str], check: bool) -> FastRun:
    name = state_name(inventory, out, templates)
    state = cache.get(name)
    if not isinstance(state, CiState):
        raise Declined(NO_STATE)
    if tree_digest(templates) != state.templates:
        raise Declined("the templates changed")
    clock = _Clock()
    held = hold(inventory, state, cache, inputs)
    clock.lap("validate")
    build = cache.get(state.build)
    if not isinstance(build, Build):
        raise Declined("the build's record is no longer in the cache")
    hashed = build_intact(out, state, build)
    if hashed is None:
        raise Declined("build/ is not as the last clean run left it")
    if check and program_identities(cache, set(state.programs)) != state.programs:
        raise Declined("a validator's program changed")
    hosts = [h for h in held.fleet.hosts if h.school is not None]
    rendered = render_hosts_into(held.fleet, hosts, out, templates, secrets) if hosts else {}
    clock.lap("render")
    if check:
        checked, reused = _check(out, secrets, {**state.unchecked, **rendered}, cache)
        state.unchecked = {}
        clock.lap("check")
    else:
        state.unchecked.update(rendered)
    state.inputs = inputs
    _update_build(state, build, out, rendered)
    if hashed or len(state.rendered_since) > FOLD_AT:  # the record changed, or the hosts since grew many
        build = Build({hostname: build.host(hostname, state) for hostname in build.hosts}, build.top)
        state.rendered_since = {}
        save(cache, name, state, held.tables.changed, build)
    else:
        save(cache, name, state, held.tables.changed)
    counts = state.counts
    changes = f"{len(held.changed)} changed school file(s) held against the last clean run"
    details = {"validate": f"{counts['schools']} schools, {counts['hosts']} hosts; {changes}",
               "render": f"{counts['files']:,} files for {counts['hosts']} hosts, {len(rendered)} rendered, "
                         f"{counts['hosts'] - len(rendered)} kept unchanged"}
    if check:
        details["check"] = (f"{counts['files']:,} files, {counts['validators']} validators; {checked} files of the "
                            f"rendered hosts checked, {reused} verdicts reused, the rest as last checked")
    return FastRun(held.problems, details, clock.seconds, len(rendered), dict(counts))


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
    for hostname, part in built_files(out, rendered, BuildStats(out, None)).hosts.items():
        state.counts["files"] += len(part.files) - len(build.host(hostname, state).files)
        state.rendered_since[hostname] = part
    state.manifest = file_digest(out / MANIFEST)


class _Clock:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = now - self.started
        self.started = now
