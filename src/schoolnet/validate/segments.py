"""One school's share of the rules that look across schools, so a change to one school can be held
against the rest of a clean fleet without loading the rest.

Every other rule is local: what it finds in a school's file depends on that school and the shared
files (programme, hardware, ledger, data centers) only, so running it on a fleet made of the shared
files and the changed school finds exactly what it finds there in the whole fleet.  The rules in
`CROSS_SCHOOL` are not: uniqueness across schools is held against an index of every value and the
file that holds it; counts and ids against each school's `facts`, which must stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import replace

from schoolnet.model.fleet import Fleet
from schoolnet.model.school import School
from schoolnet.validate.registry import Context
from schoolnet.validate.rules.uniqueness import FLEET_COLUMNS

# Rules that count or match schools: on a part of the fleet they find what the whole does not.  Their
# outcome is unchanged while every school's facts are.
COUNTING = frozenset({"SN305", "SN601", "SN604", "SN607"})
# Rules whose finding about one school can depend on another school's file.
CROSS_SCHOOL = frozenset({*FLEET_COLUMNS, "SN106", *COUNTING})
DATACENTERS = ""  # the owner of the data centers' values in an index: never a school file

Index = dict[str, dict[Hashable, str]]  # rule code -> value -> the inventory file that holds it
Facts = tuple[str, str, int]  # what the counting rules read of a school: id, district, tablets


def facts(school: School) -> Facts:
    return (school.id, school.district, len(school.tablets))


def part_of(fleet: Fleet, schools: list[School], datacenters: bool) -> Fleet:
    """The shared files with only `schools` (and the data centers, or none)."""
    return replace(fleet, schools=schools, datacenters=fleet.datacenters if datacenters else [])


def values(fleet: Fleet) -> dict[str, list[Hashable]]:
    """Every value `fleet` holds for each cross-school uniqueness rule (None is not a value)."""
    context = Context(fleet)
    return {code: [v for v in column(context).values if v is not None] for code, column in FLEET_COLUMNS.items()}


def build_index(fleet: Fleet, owners: dict[int, str]) -> Index | None:
    """The index of a whole fleet, each school's values under `owners[id(school)]`; None when a value
    repeats (such a fleet is not clean, and the full rules report it)."""
    index: Index = {code: {} for code in FLEET_COLUMNS}
    parts = [(DATACENTERS, part_of(fleet, [], True))]
    parts += [(owners[id(school)], part_of(fleet, [school], False)) for school in fleet.schools]
    for owner, part in parts:
        for code, found in values(part).items():
            table = index[code]
            for value in found:
                if table.setdefault(value, owner) != owner:
                    return None
    return index


def move(table: Callable[[str], dict[Hashable, str]], owner: str, old: dict[str, list[Hashable]],
         new: dict[str, list[Hashable]]) -> list[str] | None:
    """Replace `owner`'s values `old` by `new` in the index, whose table of each rule `table(code)` gives
    (only the rules whose values changed are asked for: a MAC changed reads the MAC table alone).
    Returns the codes whose table changed, or None (nothing changed) if a new value repeats, or is held
    by another file: a duplicate the full rules must report."""
    changes = []
    for code, found in new.items():
        before, after = set(old[code]), set(found)
        if len(after) != len(found):
            return None
        if before != after:
            changes.append((code, table(code), before - after, after - before))
    for _, values_of, _, added in changes:
        if any(values_of.get(value, owner) != owner for value in added):
            return None
    for _, values_of, removed, added in changes:
        for value in removed:
            if values_of.get(value) == owner:
                del values_of[value]
        values_of.update(dict.fromkeys(added, owner))
    return [code for code, *_ in changes]
