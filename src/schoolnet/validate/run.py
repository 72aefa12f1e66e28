"""Run every registered rule and gather the problems, sorted by file and line."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from schoolnet.cache import Cache
from schoolnet.inventory.tree import InventoryFiles, load_tree
from schoolnet.model import Fleet
from schoolnet.model.build import build_fleet, gc_paused
from schoolnet.problems import InventoryError, Location, Problem, Severity
from schoolnet.rulebook import RULES, problem
from schoolnet.secrets.plaintext import scan_document, scan_repository
from schoolnet.validate import rules as _rules  # noqa: F401  (registers the rules)
from schoolnet.validate.registry import STAGE, Context
from schoolnet.validate.segments import COUNTING

SHOWN_ABSENT = 3  # files named in the SN014 note; the rest are counted


def validate_fleet(fleet: Fleet, skip: Collection[str] = ()) -> list[Problem]:
    context = Context(fleet)
    problems: list[Problem] = []
    for rule in RULES.values():
        if rule.stage == STAGE and rule.check is not None and rule.code not in skip:
            problems.extend(rule.check(context))
    return sorted(problems, key=Problem.sort_key)


def validate_inventory(root: Path, cache: Cache | None = None) -> tuple[Fleet | None, list[Problem]]:
    """Load, type and validate; one run shows every problem it can honestly find.

    A file that does not load or type is reported and left out; the cross-object rules run on the
    files that did, except those that count or match the whole fleet (segments.COUNTING: totals,
    empty districts, ledger lines without a school), which would report the missing file's absence
    as problems of their own.  SN014 says which rules did not run, and why.  Without programme.yaml,
    hardware.yaml or ipam.yaml no cross-object rule runs.

    Plain-text secrets are looked for in every file that loaded, in the templates and in
    every file git tracks beside the inventory, whatever else is wrong."""
    with gc_paused():
        files = load_tree(root, cache)
        fleet, problems = build_fleet(files)
    problems += scan_documents(files) + scan_repository(root.resolve().parent)
    if fleet is None:
        core = sorted({p.location.file for p in problems if p.severity is Severity.ERROR
                       and p.location.file.rsplit("/", 1)[-1] in _CORE}) or [" or ".join(_CORE)]
        problems.append(problem("SN014", Location(core[0]), f"{_names(core)} did not load: no cross-file rule "
                                "(SN1xx-SN6xx) was run", "fix it; the next run checks the rest"))
        return fleet, sorted(problems, key=Problem.sort_key)
    if not fleet.absent:
        return fleet, sorted(problems + validate_fleet(fleet), key=Problem.sort_key)
    note = problem("SN014", fleet.loc(fleet.programme, "expected"),
                   f"{_names(fleet.absent)} did not load: the rules that count or match the whole fleet "
                   f"({', '.join(sorted(COUNTING))}) were not run; every other rule ran on the files that loaded",
                   "fix the files named above; the next run checks the totals again")
    return fleet, sorted([*problems, *validate_fleet(fleet, skip=COUNTING), note], key=Problem.sort_key)


_CORE = ("programme.yaml", "hardware.yaml", "ipam.yaml")


def _names(files: Collection[str]) -> str:
    shown = sorted(files)[:SHOWN_ABSENT]
    more = f" and {len(files) - len(shown)} more" if len(files) > len(shown) else ""
    return ", ".join(shown) + more


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
