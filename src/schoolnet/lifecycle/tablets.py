"""Move tablets between schools and the data center's stock, as edits a reviewer reads line by line.

A school file is a reviewed document with comments; it is never re-dumped.  A moved tablet's entry is
cut from its old list and a fresh entry written into its new one: at a school it takes the next free slot
(its address derives from the slot) and arrives `in_stock`, its old handover record left to git history
(a handover belongs to the school that signed it); in the stock it keeps where it came from and when.
Every file is rewritten whole or not at all, and only after every new text parsed.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from schoolnet.atomic import locked, write_atomically
from schoolnet.inventory.yamlload import Document, parse_text
from schoolnet.model.datacenter import Datacenter, StockTablet
from schoolnet.model.fleet import Fleet
from schoolnet.model.school import School, Tablet
from schoolnet.problems import InventoryError

STOCK = "stock"
UNMOVABLE_TO_SCHOOL = ("lost", "retired")


class MoveRefused(Exception):
    """The move cannot be made as asked; the message says why and what to do."""


@dataclass
class Moved:
    serial: str
    source: str  # a school id, or "stock"
    target: str
    slot: int | None  # at the target school


@dataclass
class _Edit:
    """A file's lines, with entries cut out and new ones put in; applied only once all are planned."""

    document: Document
    lines: list[str]
    cut: set[int] = field(default_factory=set)  # 0-based line numbers removed
    inserted: dict[int, list[str]] = field(default_factory=dict)  # after 0-based line n (-1: at the end)

    def text(self) -> str:
        out: list[str] = []
        for number, line in enumerate(self.lines):
            if number not in self.cut:
                out.append(line)
            out.extend(self.inserted.get(number, []))
        out.extend(self.inserted.get(-1, []))
        return "".join(out)


def move_tablets(fleet: Fleet, serials: Sequence[str], target: str, on: date) -> list[Moved]:
    """Move each tablet named by serial to the school `target`, or to the data center's stock."""
    if not serials:
        raise MoveRefused("name at least one tablet serial")
    dc = _store(fleet) if target == STOCK else None
    school = fleet.schools_by_id.get(target) if target != STOCK else None
    if target != STOCK and school is None:
        close = difflib.get_close_matches(target, list(fleet.schools_by_id), n=1)
        hint = f"; did you mean {close[0]}?" if close else " (a school id, or 'stock')"
        raise MoveRefused(f"no school {target}{hint}")
    places = _places(fleet)
    edits: dict[Path, _Edit] = {}
    moved: list[Moved] = []
    next_slot = max((t.slot for t in school.tablets), default=0) + 1 if school is not None else 0
    for serial in dict.fromkeys(s.upper() for s in serials):
        if serial not in places:
            close = difflib.get_close_matches(serial, list(places), n=1)
            raise MoveRefused(f"no tablet with serial {serial}" + (f"; did you mean {close[0]}?" if close else ""))
        owner, index, tablet = places[serial]
        source = owner.id if isinstance(owner, School) else STOCK
        if source == target:
            raise MoveRefused(f"tablet {serial} is already at {target}")
        if school is not None and tablet.status in UNMOVABLE_TO_SCHOOL:
            raise MoveRefused(f"tablet {serial} is {tablet.status}: a school receives only tablets that exist "
                              "and work; leave it in the stock")
        _cut(_edit_of(fleet, owner, edits), fleet, owner, "tablets" if isinstance(owner, School) else STOCK, index)
        if school is not None:
            _put(_edit_of(fleet, school, edits), fleet, school, "tablets", _school_entry(fleet, tablet, next_slot))
            moved.append(Moved(tablet.serial, source, target, next_slot))
            next_slot += 1
        else:
            assert dc is not None
            _put(_edit_of(fleet, dc, edits), fleet, dc, STOCK, _stock_entry(tablet, source, on))
            moved.append(Moved(tablet.serial, source, STOCK, None))
    _write(fleet.root, edits)
    return moved


def _store(fleet: Fleet) -> Datacenter:
    if len(fleet.datacenters) != 1:
        raise MoveRefused(f"the stock is kept in the data center's file; this programme has "
                          f"{len(fleet.datacenters)} data centers, so move tablets to a school instead")
    return fleet.datacenters[0]


def _places(fleet: Fleet) -> dict[str, tuple[School | Datacenter, int, Tablet | StockTablet]]:
    places: dict[str, tuple[School | Datacenter, int, Tablet | StockTablet]] = {}
    for school in fleet.schools:
        for index, tablet in enumerate(school.tablets):
            places[tablet.serial.upper()] = (school, index, tablet)
    for dc in fleet.datacenters:
        for index, stocked in enumerate(dc.stock):
            places[stocked.serial.upper()] = (dc, index, stocked)
    return places


def _edit_of(fleet: Fleet, owner: School | Datacenter, edits: dict[Path, _Edit]) -> _Edit:
    document = fleet.doc(owner)
    if document.path not in edits:
        edits[document.path] = _Edit(document, document.text.splitlines(keepends=True))
    return edits[document.path]


def _entry_span(edit: _Edit, key: str, index: int, count: int) -> tuple[int, int]:
    """The 0-based lines [start, end) of item `index` of the block list `key` (comments after it stay)."""
    start = edit.document.location((key, index)).line - 1
    if not edit.lines[start].lstrip().startswith("-"):
        raise MoveRefused(f"{edit.document.name}:{start + 1}: write {key} as a block list ('- ' items, one "
                          "per line) to move tablets in or out of it")
    if index + 1 < count:
        end = edit.document.location((key, index + 1)).line - 1
    else:
        dash = _indent(edit.lines[start])
        end = start + 1
        while end < len(edit.lines) and (_indent(edit.lines[end]) > dash or not edit.lines[end].strip()):
            end += 1
    while end > start + 1 and not edit.lines[end - 1].strip():  # blank lines before the next block stay
        end -= 1
    return start, end


def _cut(edit: _Edit, fleet: Fleet, owner: School | Datacenter, key: str, index: int) -> None:
    items = owner.tablets if isinstance(owner, School) else owner.stock
    start, end = _entry_span(edit, key, index, len(items))
    edit.cut.update(range(start, end))
    remaining = [i for i in range(len(items)) if edit.document.location((key, i)).line - 1 not in edit.cut]
    if not remaining:  # an emptied list stays a list
        header = edit.document.location((key,)).line - 1
        edit.lines[header] = edit.lines[header].split(":", 1)[0] + ": []\n"


def _put(edit: _Edit, fleet: Fleet, owner: School | Datacenter, key: str, entry: list[str]) -> None:
    items = owner.tablets if isinstance(owner, School) else owner.stock
    if items:
        start, end = _entry_span(edit, key, len(items) - 1, len(items))
        indent = " " * _indent(edit.lines[start])
        edit.inserted.setdefault(end - 1, []).extend(indent + line for line in entry)
        return
    if key in edit.document.data:  # `stock: []` written, or an empty list
        header = edit.document.location((key,)).line - 1
        edit.lines[header] = edit.lines[header].split(":", 1)[0] + ":\n"
        edit.inserted.setdefault(header, []).extend("  " + line for line in entry)
        return
    if edit.lines and not edit.lines[-1].endswith("\n"):
        edit.lines[-1] += "\n"
    block = edit.inserted.setdefault(-1, [])
    if not block:
        block.extend(["\n", f"{key}:\n"])
    block.extend("  " + line for line in entry)


def _school_entry(fleet: Fleet, tablet: Tablet | StockTablet, slot: int) -> list[str]:
    default = fleet.programme.defaults.get("tablet")
    lines = [f"- slot: {slot}\n", f"  serial: {tablet.serial}\n"]
    if default is None or default.model != tablet.model:
        lines.append(f"  model: {tablet.model}\n")
    lines.append(f"  mac: {json.dumps(tablet.mac)}\n")
    if tablet.asset_tag:
        lines.append(f"  asset_tag: {tablet.asset_tag}\n")
    lines.append(f"  status: {'in_repair' if tablet.status == 'in_repair' else 'in_stock'}\n")
    return lines


def _stock_entry(tablet: Tablet | StockTablet, source: str, on: date) -> list[str]:
    lines = [f"- serial: {tablet.serial}\n", f"  model: {tablet.model}\n", f"  mac: {json.dumps(tablet.mac)}\n"]
    if tablet.asset_tag:
        lines.append(f"  asset_tag: {tablet.asset_tag}\n")
    status = tablet.status if tablet.status in ("in_repair", "lost", "retired") else "in_stock"
    lines.append(f"  status: {status}\n")
    if source != STOCK:
        lines += [f"  returned_from: {source}\n", f"  returned_on: {on.isoformat()}\n"]
    return lines


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _write(root: Path, edits: dict[Path, _Edit]) -> None:
    texts = {path: edit.text() for path, edit in edits.items()}
    for path, text in texts.items():
        try:
            parse_text(text, edits[path].document.name, path)
        except InventoryError as exc:  # a layout this editor does not understand: nothing is written
            raise MoveRefused(f"the edit of {edits[path].document.name} would not parse "
                              f"({exc.problems[0].message}); move the entry by hand") from None
    with locked(root):
        for path, text in texts.items():
            write_atomically(path, text)
