"""The inventory directory as files: which exist, where each kind lives, loaded in bulk."""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field
from pathlib import Path

from schoolnet.cache import Cache
from schoolnet.inventory.yamlload import Document, display_name, load_document
from schoolnet.problems import InventoryError, Location, Problem
from schoolnet.rulebook import problem

REQUIRED = ("programme.yaml", "hardware.yaml", "ipam.yaml")
PARALLEL_FROM = 400  # below this many files, starting workers costs more than it saves
MAX_WORKERS = 8


@dataclass
class InventoryFiles:
    """Every document that loaded, and the problems of those that did not."""

    root: Path
    programme: Document | None = None
    hardware: Document | None = None
    ipam: Document | None = None
    datacenters: list[Document] = field(default_factory=list)
    schools: list[Document] = field(default_factory=list)
    environments: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unloaded: list[str] = field(default_factory=list)  # files found that did not load (their problems say why)
    parsed: int = 0  # files the YAML parser read this time (the others came from the cache)
    cache: Cache | None = field(default=None, repr=False)


def load_tree(root: Path, cache: Cache | None = None) -> InventoryFiles:
    """Load every inventory file; a broken file is a problem, the rest still load.  With `cache`,
    a file whose bytes parsed before is taken from it, not parsed again."""
    if not root.is_dir():
        raise InventoryError([problem("SN012", Location(display_name(root)),
                                      "the inventory directory does not exist",
                                      "run from the repository root or pass --inventory DIR")])
    files = InventoryFiles(root, cache=cache)
    for name in REQUIRED:
        path = root / name
        if not path.is_file():
            files.problems.append(problem("SN012", Location(display_name(path)), f"{name} is missing",
                                          f"create {name}; see docs/inventory.md"))
            continue
        hits = cache.hits if cache is not None else 0
        doc = _load(path, files.problems, cache)
        setattr(files, name.removesuffix(".yaml"), doc)
        if doc is None:
            files.unloaded.append(display_name(path))
        files.parsed += 1 - (cache.hits - hits if cache is not None else 0)
    files.datacenters = _load_all(sorted((root / "datacenter").glob("*.yaml")), files)
    files.environments = _load_all(sorted((root / "environments").glob("*.yaml")), files)
    files.schools = _load_all(_school_paths(root, files.problems), files)
    return files


def load_part(root: Path, schools: list[Path], cache: Cache | None = None) -> InventoryFiles:
    """The shared files and only the `schools` named: what a change to those schools is checked with."""
    files = InventoryFiles(root, cache=cache)
    for name in REQUIRED:
        doc = _load(root / name, files.problems, cache)
        setattr(files, name.removesuffix(".yaml"), doc)
        if doc is None:
            files.unloaded.append(display_name(root / name))
    files.datacenters = _load_all(sorted((root / "datacenter").glob("*.yaml")), files)
    files.environments = _load_all(sorted((root / "environments").glob("*.yaml")), files)
    files.schools = _load_all(sorted(schools), files)
    return files


def _school_paths(root: Path, problems: list[Problem]) -> list[Path]:
    schools = root / "schools"
    paths: list[Path] = []
    if not schools.is_dir():
        return paths
    for path in sorted(schools.rglob("*")):
        if path.is_dir():
            continue
        depth = len(path.relative_to(schools).parts)
        if path.suffix == ".yaml" and depth == 2:
            paths.append(path)
        elif path.suffix in {".yaml", ".yml"}:
            problems.append(problem("SN011", Location(display_name(path)),
                                    "school files live at schools/<district>/<school-id>.yaml",
                                    "move the file there (and name it .yaml)"))
    return paths


def _load_all(paths: list[Path], files: InventoryFiles) -> list[Document]:
    """Load in this process, or split across the cores when there are enough files to pay for it."""
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    cache = files.cache
    if len(paths) < PARALLEL_FROM or workers < 2:
        docs, found, parsed, failed = _load_batch(paths, cache)
    else:
        chunks = [paths[i::workers] for i in range(workers)]
        with multiprocessing.get_context("fork").Pool(workers - 1) as pool:
            pending = [pool.apply_async(_load_batch, (chunk, cache)) for chunk in chunks[1:]]
            docs, found, parsed, failed = _load_batch(chunks[0], cache)
            for result in pending:
                more_docs, more_found, more_parsed, more_failed = result.get()
                docs += more_docs
                found += more_found
                parsed += more_parsed
                failed += more_failed
        docs.sort(key=lambda d: d.path)
    files.problems.extend(sorted(found, key=Problem.sort_key))
    files.unloaded.extend(sorted(failed))
    files.parsed += parsed
    return docs


def _load_batch(paths: list[Path], cache: Cache | None) -> tuple[list[Document], list[Problem], int, list[str]]:
    """Documents travel between processes without their text; it is re-read if a position is needed.
    Also returns the names of the files that did not load."""
    problems: list[Problem] = []
    docs = []
    failed = []
    before = cache.hits if cache is not None else 0
    for path in paths:
        doc = _load(path, problems, cache)
        if doc is not None:
            doc.drop_text()
            docs.append(doc)
        else:
            failed.append(display_name(path))
    hits = (cache.hits - before) if cache is not None else 0
    return docs, problems, len(paths) - hits, failed


def _load(path: Path, problems: list[Problem], cache: Cache | None) -> Document | None:
    try:
        return load_document(path, cache=cache)
    except InventoryError as exc:
        problems.extend(exc.problems)
        return None
