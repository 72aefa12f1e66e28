"""Append to the address ledger without renumbering anyone.

The ledger is a reviewed file: allocation appends one line to it (keeping
comments and order) and writes it atomically, so a diff shows exactly one new
prefix and an interrupted run leaves the old ledger intact.
"""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

from pydantic import ValidationError

from schoolnet.atomic import locked, write_atomically
from schoolnet.inventory.yamlload import load_document
from schoolnet.model.fleet import Fleet
from schoolnet.model.ledger import Ledger
from schoolnet.problems import InventoryError


class LedgerError(Exception):
    """Allocation cannot go ahead; the message says why and what to do."""


def next_free_prefix(fleet: Fleet, ledger: Ledger | None = None) -> IPv4Network:
    ledger = ledger or fleet.ledger
    supernet_name = ledger.supernet
    supernet = getattr(fleet.programme.supernets, supernet_name, None)
    if not isinstance(supernet, IPv4Network):
        raise LedgerError(f"ipam.yaml names supernet '{supernet_name}', which programme.yaml does not define")
    taken = sorted(ledger.allocations.values(), key=lambda n: int(n.network_address))
    for candidate in supernet.subnets(new_prefix=fleet.programme.school_prefix_length):
        if not any(candidate.overlaps(existing) for existing in taken):
            return candidate
    raise LedgerError(f"supernet {supernet} has no free /{fleet.programme.school_prefix_length} left; "
                      "widen supernets.schools in programme.yaml")


def _current(path: Path) -> Ledger:
    """The ledger as the file holds it now: another allocation may have appended since the fleet was read."""
    try:
        return Ledger.model_validate(load_document(path).data)
    except (InventoryError, ValidationError):
        raise LedgerError(f"{path} does not read as a ledger now: run `schoolnet validate`") from None


def allocate(fleet: Fleet, school_id: str) -> IPv4Network:
    """Give `school_id` the next free prefix and append it to ipam.yaml.  One allocation at a time
    (a lock on the inventory directory), each deciding on the ledger as the file holds it then."""
    if school_id not in fleet.schools_by_id:
        raise LedgerError(f"no school {school_id} in the inventory; add its file under schools/<district>/ first")
    path = fleet.doc(fleet.ledger).path
    with locked(path.parent):
        ledger = _current(path)
        if school_id in ledger.allocations:
            raise LedgerError(f"{school_id} already holds {ledger.allocations[school_id]}; "
                              "a school is never renumbered")
        prefix = next_free_prefix(fleet, ledger)
        text = path.read_text(encoding="utf-8")
        if not text.endswith("\n"):
            text += "\n"
        lines = text.splitlines()
        if "allocations:" not in lines:
            if ledger.allocations:
                raise LedgerError(f"{path}: write 'allocations:' as a block mapping, one school per line")
            text += "allocations:\n"
        else:
            after = lines[lines.index("allocations:") + 1:]
            if any(line and not line.startswith((" ", "#")) for line in after):
                raise LedgerError(f"{path}: 'allocations:' must be the last block of the file to append to it")
        write_atomically(path, text + f"  {school_id}: {prefix}\n")
    return prefix


def release(fleet: Fleet, school_id: str) -> IPv4Network:
    """Take a closed school's line out of ipam.yaml.  Its prefix is free again for the next school
    `allocate` gives one to; refused while the school still has a file, whose addresses it holds."""
    if school_id in fleet.schools_by_id:
        raise LedgerError(f"{school_id} still has a school file ({fleet.doc(fleet.schools_by_id[school_id]).name}); "
                          "close the school first (docs/howto/close-a-school.md)")
    path = fleet.doc(fleet.ledger).path
    with locked(path.parent):
        ledger = _current(path)
        if school_id not in ledger.allocations:
            raise LedgerError(f"{school_id} holds no prefix in {path.name}")
        prefix = ledger.allocations[school_id]
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if line.split("#", 1)[0].strip().split(":", 1)[0].strip() != school_id]
        if len(kept) != len(lines) - 1:
            raise LedgerError(f"{path}: write {school_id} as one line '  {school_id}: {prefix}' to release it")
        write_atomically(path, "".join(kept))
    return prefix
