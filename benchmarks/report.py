#!/usr/bin/env python3
"""Time `schoolnet report` as a user types it, for the reference programme and a generated national fleet.

    .venv/bin/python benchmarks/report.py                       # reference + 5,000 schools
    .venv/bin/python benchmarks/report.py --schools 1000 --tablets 20000 --repeat 1

For each fleet, each a fresh process, end to end (imports, loading, every rule, the build manifest and
deploy log when present, every page, the atomic swap):
- report: `schoolnet report --out DIR` (the reference with its build/ rendered beforehand, not timed);
- floor: a plain Python process that parses the same YAML files with PyYAML's C loader and writes the
  same number of bytes into as many files: what any tool reading this inventory and writing this
  site must pay.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness import ROOT, Report, arguments, measure_both, schoolnet, timed

FLOOR = r"""
import sys
from pathlib import Path
import yaml
inventory, site, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
for path in sorted(inventory.rglob("*.yaml")):
    yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
for index, path in enumerate(sorted(p for p in site.rglob("*") if p.is_file())):
    (out / f"{index}.html").write_bytes(path.read_bytes())
"""


def measure(inventory: Path, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "build"
        schoolnet("render", "--inventory", str(inventory), "--out", str(build), "--templates", str(ROOT / "templates"))
        reports, floors = [], []
        site = Path(tmp) / "site"
        for _ in range(repeat):
            reports.append(schoolnet("report", "--inventory", str(inventory), "--build", str(build), "--out",
                                     str(site))[0])
            copy = Path(tmp) / "floor"
            copy.mkdir()
            floors.append(timed([sys.executable, "-c", FLOOR, str(inventory), str(site), str(copy)])[0])
            shutil.rmtree(copy)
        files = [p for p in site.rglob("*") if p.is_file()]
        return {"report": reports, "floor": floors, "pages": sum(1 for p in files if p.suffix == ".html"),
                "site_mb": sum(p.stat().st_size for p in files) / 1e6}


def main() -> int:
    args = arguments(__doc__, repeat=3, fleet=True)
    report = Report("report, a fresh process each run")
    for name, r in measure_both(measure, args).items():
        report.add(f"{name}: {r['pages']:,} pages, {r['site_mb']:.1f} MB", r["report"],
                   floor=("C loader parses the inventory, the same bytes written", r["floor"]))
    report.print(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
