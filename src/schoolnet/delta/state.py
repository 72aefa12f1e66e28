"""What the last clean `schoolnet ci` saw and left, kept in the cache so the next one can start from it.
A `render` that takes the fast path moves it on too, naming the hosts it wrote and nobody checked yet.

The state names every input by its bytes (each inventory file's sha256, the templates' digest),
the index of the cross-school rules (validate/segments.py), and the build as that run left it:
each file's stat signature and sha256, each directory (a link in its place is not one), the manifest's sha256, and the
identity of every validator's programs.  It is written only after validate, render and check all
passed, and only for the same working directory, inventory, build and templates.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
import uuid
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schoolnet.cache import Cache, key
from schoolnet.check.registry import VALIDATORS
from schoolnet.check.verdicts import Verdicts
from schoolnet.model.build import gc_paused
from schoolnet.model.fleet import Fleet
from schoolnet.problems import Problem
from schoolnet.render.engine import MANIFEST
from schoolnet.render.intact import RACY_NS, BuildStats, Signature, host_file
from schoolnet.render.memo import file_digest, tree_digest
from schoolnet.validate.segments import Index, build_index

Files = dict[str, tuple[Signature | None, str]]  # absolute path -> stat signature (None: hash it), sha256


@dataclass
class HostFiles:
    """One host's part of build/: its files, and every directory from its own down to theirs (each must
    still be a directory, not a link)."""

    files: Files
    directories: list[str]


@dataclass
class Build:
    """build/ as a run left it, host by host; the hosts rendered since are in the state (`rendered_since`), so
    a run that renders a few hosts writes those, not the whole record again."""

    hosts: dict[str, HostFiles]
    top: list[str]  # build/ and build/hosts/

    def host(self, hostname: str, state: CiState) -> HostFiles:
        return state.rendered_since.get(hostname) or self.hosts[hostname]


@dataclass
class Validated:
    """What a clean `validate` saw.  Small, read whole every run; the index tables are entries of their
    own, named here, so a run reads only the tables its change touches and writes only those."""

    inputs: dict[str, str]  # inventory file, relative to the inventory -> sha256
    problems: list[Problem]  # its warnings
    counts: dict[str, int]  # schools, hosts, tablets (and for ci: files, validators)
    index: dict[str, str] = field(default_factory=dict)  # rule code -> the entry of its table


@dataclass
class CiState(Validated):
    """What a clean `ci` saw and left: also the templates, the build and the validators' programs."""

    templates: str = ""
    manifest: str = ""  # sha256 of build/manifest.json
    programs: dict[str, str] = field(default_factory=dict)  # validator -> identity of its programs
    build: str = ""  # the entry of the Build
    rendered_since: dict[str, HostFiles] = field(default_factory=dict)  # hosts rendered since it was written
    unchecked: dict[str, Any] = field(default_factory=dict)  # hosts `render` wrote since, not checked: manifest entries


def save(cache: Cache, name: str, state: Validated, tables: dict[str, dict[Hashable, str]],
         build: Build | None = None) -> None:
    """Each part under a new entry, then the state that names them: a reader sees the old state or the new
    one, never a mix.  Then the parts only the old state named are removed (a reader still holding it
    misses them, and runs in full)."""
    previous = cache.get(name)
    for code, table in tables.items():
        state.index[code] = key(name, "index", code, uuid.uuid4().hex)
        cache.put(state.index[code], table)
    if isinstance(state, CiState) and build is not None:
        state.build = key(name, "build", uuid.uuid4().hex)
        cache.put(state.build, build)
    cache.put(name, state)
    if isinstance(previous, Validated):
        for part in set(_parts(previous)) - set(_parts(state)):
            cache.discard(part)


def _parts(state: Validated) -> list[str]:
    return [*state.index.values(), *([state.build] if isinstance(state, CiState) and state.build else [])]


def validated_name(inventory: Path) -> str:
    return key("validate-state", os.getcwd(), str(inventory.resolve()))


def state_name(inventory: Path, out: Path, templates: Path) -> str:
    """Problems name files relative to the working directory, so it is part of the name too."""
    return key("ci-state", os.getcwd(), str(inventory.resolve()), str(out.resolve()), str(templates.resolve()))


def hash_inventory(root: Path) -> dict[str, str]:
    """Every file under the inventory, whatever its name: any file added, removed or changed is seen."""
    found: dict[str, str] = {}
    for directory, subdirectories, names in os.walk(root):
        subdirectories.sort()
        for name in names:
            path = os.path.join(directory, name)
            try:
                with open(path, "rb") as handle:
                    found[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
            except OSError:
                found[os.path.relpath(path, root)] = "unreadable"
    return found


def program_identities(cache: Cache, names: set[str]) -> dict[str, str]:
    verdicts = Verdicts(cache)
    return {name: verdicts.program_identity(VALIDATORS[name]) for name in sorted(names) if name in VALIDATORS}


def built_files(out: Path, entries: dict[str, Any], stats: BuildStats) -> Build:
    """Each listed file with the signature `stats` saw it under when its sha256 was confirmed (None if it
    was too fresh to trust a signature), and every directory on the way to it."""
    top = str(out.resolve() / "hosts")
    hosts = {}
    for hostname, entry in entries.items():
        files: Files = {}
        directories: set[str] = set()
        for spec in entry["files"]:
            path = host_file(top, hostname, str(spec["path"]))
            known = stats.known.get(path)
            files[path] = (known[0] if known is not None and known[1] == spec["sha256"] else None, spec["sha256"])
            directory = path[: path.rfind("/")]
            while directory not in directories and len(directory) > len(top):
                directories.add(directory)
                directory = directory[: directory.rfind("/")]
        hosts[hostname] = HostFiles(files, sorted(directories))
    return Build(hosts, [str(out.resolve()), top])


def build_intact(out: Path, state: CiState, build: Build) -> int | None:
    """Every directory and file of the build as the state recorded it: a hand edit, a removed file or a
    directory swapped for a link is seen (None).  A file whose signature differs (any write changes it; a
    copy of the build has other inodes) or was recorded without one is read and hashed: the number of
    such files of the written record that held their bytes is returned (their new signatures are in
    `build`: write it again to keep them)."""
    if file_digest(out / MANIFEST) != state.manifest:
        return None
    lstat, is_directory = os.lstat, stat.S_ISDIR
    hashed = 0
    try:
        for directory in build.top:
            if not is_directory(lstat(directory).st_mode):
                return None
        for hostname in build.hosts:
            part = build.host(hostname, state)
            in_base = hostname not in state.rendered_since
            for directory in part.directories:
                if not is_directory(lstat(directory).st_mode):
                    return None
            for path, (signature, sha256) in part.files.items():
                info = lstat(path)
                now = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
                if now != signature:
                    if not stat.S_ISREG(info.st_mode) or file_digest(Path(path)) != sha256:
                        return None
                    settled = time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > RACY_NS
                    part.files[path] = (now if settled else None, sha256)  # same bytes: next time, a look suffices
                    hashed += in_base
    except OSError:
        return None
    return hashed


def record(cache: Cache, name: str, *, inputs: dict[str, str], templates: Path, fleet: Fleet,
           problems: list[Problem], manifest: dict[str, Any], out: Path, stats: BuildStats) -> CiState | None:
    """Keep the state of a `ci` that passed; None (nothing kept) when the fleet cannot be indexed."""
    with gc_paused():
        index = _index(fleet)
        if index is None:
            return None
        entries = manifest["hosts"]
        build = built_files(out, entries, stats)
        validators = {str(spec["validator"]) for entry in entries.values() for spec in entry["files"]
                      if spec["validator"]}
        counts = _counts(fleet) | {"files": sum(len(part.files) for part in build.hosts.values()),
                                   "validators": len(validators)}
        state = CiState(inputs, problems, counts, templates=tree_digest(templates),
                        manifest=file_digest(out / MANIFEST), programs=program_identities(cache, validators))
        save(cache, name, state, dict(index), build)
        return state


def record_validated(cache: Cache, name: str, inputs: dict[str, str], fleet: Fleet,
                     problems: list[Problem]) -> Validated | None:
    """Keep the state of a `validate` without errors; None when the fleet cannot be indexed."""
    with gc_paused():
        index = _index(fleet)
        if index is None:
            return None
        state = Validated(inputs, problems, _counts(fleet))
        save(cache, name, state, dict(index))
        return state


def _index(fleet: Fleet) -> Index | None:
    owners = {id(school): os.path.relpath(fleet.doc(school).path, fleet.root) for school in fleet.schools}
    return build_index(fleet, owners)


def _counts(fleet: Fleet) -> dict[str, int]:
    return {"schools": len(fleet.schools), "hosts": len(fleet.hosts),
            "tablets": sum(len(school.tablets) for school in fleet.schools)}
