"""Registering cross-object rules: a function, a code, a name, a one-line doc."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

from schoolnet.ipam.plan import Addressing
from schoolnet.model.fleet import Fleet
from schoolnet.problems import Location, Problem, Severity
from schoolnet.rulebook import declare, problem

STAGE = "validate"


@dataclass
class Context:
    """What a rule sees: the typed fleet and its derived addresses."""

    fleet: Fleet

    @cached_property
    def addressing(self) -> Addressing:
        return Addressing(self.fleet)


Check = Callable[[Context], Iterator[Problem]]


def rule(code: str, name: str, doc: str, *, bad: str, good: str,
         severity: Severity = Severity.ERROR) -> Callable[[Check], Check]:
    """Register `check` under `code`; its problems are built with `report(code, ...)`."""

    def register(check: Check) -> Check:
        declare(code, name, doc, bad=bad, good=good, stage=STAGE, severity=severity, check=check)
        return check

    return register


def duplicates(code: str, what: str,
               items: Iterator[tuple[str, Location]]) -> Iterator[Problem]:
    """One problem per repeated value, naming where it was first seen."""
    first: dict[str, Location] = {}
    for value, where in items:
        seen = first.setdefault(value, where)
        if seen is not where:
            yield problem(code, where, f"{what} {value} is also at {seen}",
                          f"each {what} must be unique fleet-wide", related=(seen,))
