"""Run every registered rule and gather the problems, sorted by file and line."""

from __future__ import annotations

from pathlib import Path

from schoolnet.cache import Cache
from schoolnet.inventory.tree import InventoryFiles, load_tree
from schoolnet.model import Fleet
from schoolnet.model.build import build_fleet, gc_paused, is_complete
from schoolnet.problems import InventoryError, Problem, Severity
from schoolnet.rulebook import RULES
from schoolnet.secrets.plaintext import scan_document, scan_repository
from schoolnet.validate import rules as _rules  # noqa: F401  (registers the rules)
from schoolnet.validate.registry import STAGE, Context


def validate_fleet(fleet: Fleet) -> list[Problem]:
    context = Context(fleet)
    problems: list[Problem] = []
    for rule in RULES.values():
        if rule.stage == STAGE and rule.check is not None:
            problems.extend(rule.check(context))
    return sorted(problems, key=Problem.sort_key)


def validate_inventory(root: Path, cache: Cache | None = None) -> tuple[Fleet | None, list[Problem]]:
    """Load, type and validate; cross-object rules run only on a fleet whose every file typed.

    Plain-text secrets are looked for in every file that loaded, in the templates and in
    every file git tracks beside the inventory, whatever else is wrong."""
    with gc_paused():
        files = load_tree(root, cache)
        fleet, problems = build_fleet(files)
    problems += scan_documents(files) + scan_repository(root.resolve().parent)
    if fleet is None or not is_complete(problems):
        return fleet, sorted(problems, key=Problem.sort_key)
    return fleet, sorted(problems + validate_fleet(fleet), key=Problem.sort_key)


def scan_documents(files: InventoryFiles) -> list[Problem]:
    """A document found clean before (same bytes, same code) is not scanned again; one with a finding is."""
    docs = [files.programme, files.hardware, files.ipam, *files.datacenters, *files.schools, *files.environments]
    cache = files.cache
    found: list[Problem] = []
    for doc in docs:
        if doc is None:
            continue
        entry = f"clean-{doc.sha256}"
        if cache is not None and doc.sha256 and cache.get(entry) is True:
            continue
        hits = scan_document(doc)
        found += hits
        if cache is not None and doc.sha256 and not hits:
            cache.put(entry, True)
    return found


def load_for_action(root: Path, cache: Cache | None = None) -> Fleet:
    """The fleet a command may act with (render, the lab, plan, deploy, plain pyinfra): loaded, typed
    and held to every rule, names (SN5xx) included.  Any error raises InventoryError with all the
    problems, before anything is written, started or touched."""
    fleet, problems = validate_inventory(root, cache)
    if fleet is None or any(p.severity is Severity.ERROR for p in problems):
        raise InventoryError(problems)
    fleet.validated = True
    return fleet
