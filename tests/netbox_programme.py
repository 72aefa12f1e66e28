"""The NetBox tests' programme: the reference programme cut down to seven schools and the data center.

Small enough that publishing it takes a NetBox on 2 cores under a minute, and still every object
type and every shape NetBox sees: Huawei schools of one to four switches (Sadarak), Cisco schools
(Kangarli, also a second district for --limit), a second, decommissioned uplink and one being
provisioned, and a tablet of each status (handed over, in stock, in repair, lost, retired).  The
files are the reference programme's own, so a test reads the values a user would see.  The whole
programme's publication is measured by benchmarks/netbox.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.conftest import ROOT

SCHOOLS = {"sadarak": ("nx-sad-001", "nx-sad-003", "nx-sad-005", "nx-sad-011", "nx-sad-012"),
           "kangarli": ("nx-kan-002", "nx-kan-008")}
KEPT = {school for schools in SCHOOLS.values() for school in schools}


def small_programme(target: Path) -> Path:
    """Write the cut-down inventory at `target` (a directory that does not exist yet)."""
    shutil.copytree(ROOT / "inventory", target, ignore=shutil.ignore_patterns("lab.yaml"))
    tablets = 0
    for school in sorted((target / "schools").glob("*/*.yaml")):
        if school.stem in KEPT:
            tablets += school.read_text().count("\n  - slot: ")
        else:
            school.unlink()
    for district in (target / "schools").iterdir():
        if not any(district.iterdir()):
            district.rmdir()
    ledger = target / "ipam.yaml"
    ledger.write_text("".join(line for line in ledger.read_text().splitlines(keepends=True)
                              if not re.match(r"  nx-[a-z]+-\d+:", line) or line.split(":")[0].strip() in KEPT))
    programme = target / "programme.yaml"
    head, sep, tail = programme.read_text().partition("\nexpected:\n")
    assert sep, "programme.yaml has no expected: block"
    lines, in_districts = [], False
    for line in head.splitlines(keepends=True):
        in_districts = line.startswith("districts:") or (in_districts and line.startswith("  "))
        if not in_districts or not line.startswith("  - {id: ") or line.split(",")[0].split()[-1] in SCHOOLS:
            lines.append(line)
    head = "".join(lines)
    for name, value in (("schools", len(KEPT)), ("districts", len(SCHOOLS)), ("tablets", tablets)):
        tail, count = re.subn(rf"^(  {name}: )\d+", rf"\g<1>{value}", tail, count=1, flags=re.M)
        assert count == 1, f"programme.yaml has no expected.{name}"
    programme.write_text(head + sep + tail)
    return target
