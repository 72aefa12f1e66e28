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

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fleets import ROOT, arguments, measure_both

SCHOOLNET = str(Path(sys.executable).parent / "schoolnet")

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


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def measure(inventory: Path, repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "build"
        subprocess.run([SCHOOLNET, "render", "--inventory", str(inventory), "--out", str(build),
                        "--templates", str(ROOT / "templates")], check=True, capture_output=True)
        reports, floors = [], []
        site = Path(tmp) / "site"
        for _ in range(repeat):
            reports.append(_timed([SCHOOLNET, "report", "--inventory", str(inventory), "--build", str(build),
                                   "--out", str(site)]))
            copy = Path(tmp) / "floor"
            copy.mkdir()
            floors.append(_timed([sys.executable, "-c", FLOOR, str(inventory), str(site), str(copy)]))
            shutil.rmtree(copy)
        files = [p for p in site.rglob("*") if p.is_file()]
        return {"report_s": min(reports), "median_report_s": statistics.median(reports), "floor_s": min(floors),
                "pages": sum(1 for p in files if p.suffix == ".html"),
                "site_mb": sum(p.stat().st_size for p in files) / 1e6}


def main() -> int:
    args = arguments(__doc__, repeat=3)
    results = measure_both(measure, args)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'fleet':<28} {'pages':>7} {'site MB':>8} {'report s':>9} {'median s':>9} {'floor s':>8} {'×floor':>7}")
    for name, r in results.items():
        print(f"{name:<28} {r['pages']:>7,} {r['site_mb']:>8.1f} {r['report_s']:>9.2f} {r['median_report_s']:>9.2f} "
              f"{r['floor_s']:>8.2f} {r['report_s'] / r['floor_s']:>7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
