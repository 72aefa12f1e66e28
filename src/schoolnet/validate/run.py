"""Run every registered rule and gather the problems, sorted by file and line."""

from __future__ import annotations

from pathlib import Path

from schoolnet.model import Fleet, load_fleet
from schoolnet.model.build import is_complete
from schoolnet.problems import Problem
from schoolnet.rulebook import RULES
from schoolnet.validate import rules as _rules  # noqa: F401  (registers the rules)
from schoolnet.validate.registry import STAGE, Context


def validate_fleet(fleet: Fleet) -> list[Problem]:
    context = Context(fleet)
    problems: list[Problem] = []
    for rule in RULES.values():
        if rule.stage == STAGE and rule.check is not None:
            problems.extend(rule.check(context))
    return sorted(problems, key=Problem.sort_key)


def validate_inventory(root: Path) -> tuple[Fleet | None, list[Problem]]:
    """Load, type and validate; cross-object rules run only on a fleet whose every file typed."""
    fleet, problems = load_fleet(root)
    if fleet is None or not is_complete(problems):
        return fleet, sorted(problems, key=Problem.sort_key)
    return fleet, sorted(problems + validate_fleet(fleet), key=Problem.sort_key)
