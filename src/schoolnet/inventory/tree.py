"""The inventory directory as files: which exist, where each kind lives, loaded in bulk."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from schoolnet.inventory.yamlload import Document, display_name, load_document
from schoolnet.problems import InventoryError, Location, Problem
from schoolnet.rulebook import problem

REQUIRED = ("programme.yaml", "hardware.yaml", "ipam.yaml")
KNOWN_TOP = {*REQUIRED, "secrets.sops.yaml", ".sops.yaml"}


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


def load_tree(root: Path) -> InventoryFiles:
    """Load every inventory file; a broken file is a problem, the rest still load."""
    if not root.is_dir():
        raise InventoryError([problem("SN012", Location(display_name(root)),
                                      "the inventory directory does not exist",
                                      "run from the repository root or pass --inventory DIR")])
    files = InventoryFiles(root)
    for name in REQUIRED:
        path = root / name
        if not path.is_file():
            files.problems.append(problem("SN012", Location(display_name(path)), f"{name} is missing",
                                          f"create {name}; see docs/inventory.md"))
            continue
        setattr(files, name.removesuffix(".yaml"), _load(path, files.problems))
    files.datacenters = _load_all(sorted((root / "datacenter").glob("*.yaml")), files.problems)
    files.environments = _load_all(sorted((root / "environments").glob("*.yaml")), files.problems)
    files.schools = _load_all(_school_paths(root, files.problems), files.problems)
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


def _load_all(paths: list[Path], problems: list[Problem]) -> list[Document]:
    docs = []
    for path in paths:
        doc = _load(path, problems)
        if doc is not None:
            docs.append(doc)
    return docs


def _load(path: Path, problems: list[Problem]) -> Document | None:
    try:
        return load_document(path)
    except InventoryError as exc:
        problems.extend(exc.problems)
        return None
