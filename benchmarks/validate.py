#!/usr/bin/env python3
"""Time `schoolnet validate --no-cache` for the reference programme and a national-scale generated fleet.

    .venv/bin/python benchmarks/validate.py                 # reference + 5,000 schools
    .venv/bin/python benchmarks/validate.py --schools 1000 --tablets 20000

Each run is the command a user types (a fresh process: imports, loading, typing, every rule), cold
(`--no-cache`).  Beside it, the floor measured in the same run: a fresh interpreter parsing every
inventory file with PyYAML's C loader, no typing and no rules.  The phases and peak memory come from
one more run in a fresh interpreter that calls the stages directly (imports excluded from the phases).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from harness import Report, arguments, measure_both, schoolnet, timed

PARSE_ALL = r"""
import sys, yaml
from pathlib import Path
for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
    if path.name != "secrets.sops.yaml":
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
"""

PHASES = r"""
import json, resource, sys, time
from pathlib import Path
from schoolnet.model import load_fleet
from schoolnet.validate import validate_fleet
t1 = time.perf_counter()
fleet, problems = load_fleet(Path(sys.argv[1]))
t2 = time.perf_counter()
problems += validate_fleet(fleet)
t3 = time.perf_counter()
print(json.dumps({
    "load_s": t2 - t1, "rules_s": t3 - t2, "schools": len(fleet.schools),
    "tablets": sum(len(s.tablets) for s in fleet.schools), "problems": len(problems),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def measure(inventory: Path, repeat: int) -> dict[str, Any]:
    commands, floors = [], []
    for _ in range(repeat):
        commands.append(schoolnet("validate", "--no-cache", "--inventory", str(inventory))[0])
        floors.append(timed([sys.executable, "-c", PARSE_ALL, str(inventory)])[0])
    phases = json.loads(timed([sys.executable, "-c", PHASES, str(inventory)])[1])
    return {"command": commands, "floor": floors, **phases}


def main() -> int:
    args = arguments(__doc__, repeat=5, fleet=True)
    report = Report("validate --no-cache, a fresh process each run")
    for name, r in measure_both(measure, args).items():
        report.add(f"{name}: {r['schools']:,} schools, {r['tablets']:,} tablets", r["command"],
                   floor=("C loader parses every file", r["floor"]),
                   note=f"load {r['load_s']:.2f} s + rules {r['rules_s']:.2f} s; peak "
                        f"{r['peak_rss_mb']:.0f} + {r['worker_peak_rss_mb']:.0f} MB")
    report.print(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
