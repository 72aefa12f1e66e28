"""Registering cross-object rules: a function, a code, a name, a one-line doc."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from schoolnet.ipam.plan import Addressing
from schoolnet.model.datacenter import StockTablet
from schoolnet.model.fleet import Fleet, Host
from schoolnet.model.school import Tablet
from schoolnet.problems import Problem, Severity
from schoolnet.rulebook import declare, problem

STAGE = "validate"


@dataclass
class Context:
    """What a rule sees: the typed fleet and its derived addresses."""

    fleet: Fleet

    @cached_property
    def addressing(self) -> Addressing:
        return Addressing(self.fleet)

    @cached_property
    def _tablet_starts(self) -> list[int]:
        starts, total = [], 0
        for school in self.fleet.schools:
            starts.append(total)
            total += len(school.tablets)
        return starts

    def tablet_column(self, value: Callable[[Tablet], Hashable | None], *field: str) -> Column:
        """One value per tablet of the fleet, in school order."""
        schools = self.fleet.schools
        starts = self._tablet_starts

        def place(i: int) -> Place:
            n = bisect_right(starts, i) - 1
            return schools[n], ("tablets", i - starts[n], *field)

        return Column([value(t) for s in schools for t in s.tablets], place)

    def stock_column(self, value: Callable[[StockTablet], Hashable | None], *field: str) -> Column:
        """One value per tablet in the data centers' stores: their serials and MACs are as unique as any."""
        return Column.of((value(t), site, ("stock", i, *field))
                         for site in self.fleet.datacenters for i, t in enumerate(site.stock))

    def host_column(self, value: Callable[[Host], Hashable | None], *field: str) -> Column:
        hosts = self.fleet.hosts
        return Column([value(h) for h in hosts], lambda i: (hosts[i].owner, (*hosts[i].path, *field)))


Check = Callable[[Context], Iterator[Problem]]


def rule(code: str, name: str, doc: str, *, bad: str, good: str,
         severity: Severity = Severity.ERROR) -> Callable[[Check], Check]:
    """Register `check` under `code`; its problems are built with `report(code, ...)`."""

    def register(check: Check) -> Check:
        declare(code, name, doc, bad=bad, good=good, stage=STAGE, severity=severity, check=check)
        return check

    return register


Place = tuple[Any, tuple[Any, ...]]  # a file-level object and a path inside it


@dataclass
class Column:
    """Values for a uniqueness check and the way back to where each is written.

    Values are gathered with plain comprehensions and checked with a set; positions are
    looked up only for repeats, so a clean fleet of 100,000 tablets never pays for them."""

    values: list[Hashable | None]
    place: Callable[[int], Place]

    @staticmethod
    def of(items: Iterable[tuple[Hashable | None, Any, tuple[Any, ...]]]) -> Column:
        rows = list(items)
        return Column([r[0] for r in rows], lambda i: (rows[i][1], rows[i][2]))

    def __add__(self, other: Column) -> Column:
        split = len(self.values)
        return Column(self.values + other.values,
                      lambda i: self.place(i) if i < split else other.place(i - split))


def duplicates(fleet: Fleet, code: str, what: str, column: Column, scope: str = "fleet-wide",
               show: Callable[[Any], str] = str) -> Iterator[Problem]:
    """One problem per repeated value (None is ignored), naming where it was first seen."""
    present = [v for v in column.values if v is not None]
    if len(set(present)) == len(present):
        return
    first: dict[Hashable, int] = {}
    for index, value in enumerate(column.values):
        if value is None:
            continue
        seen = first.setdefault(value, index)
        if seen != index:
            earlier = fleet.loc(*_flat(column.place(seen)))
            yield problem(code, fleet.loc(*_flat(column.place(index))), f"{what} {show(value)} is also at {earlier}",
                          f"each {what} must be unique {scope}", related=(earlier,))


def _flat(place: Place) -> tuple[Any, ...]:
    return (place[0], *place[1])
