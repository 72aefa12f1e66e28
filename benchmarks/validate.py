#!/usr/bin/env python3
"""Time load + validate for the reference programme and a national-scale generated fleet.

    .venv/bin/python benchmarks/validate.py                 # reference + 5,000 schools
    .venv/bin/python benchmarks/validate.py --schools 1000 --tablets 20000

Each measurement runs in a fresh interpreter (imports excluded from the phase
timings, included in the wall time) so peak memory (max RSS) is its own.
Results go to stdout as a table and, with --json, as JSON.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from fleets import arguments, measure_both

PROBE = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from schoolnet.model import load_fleet
from schoolnet.validate import validate_fleet
t1 = time.perf_counter()
fleet, problems = load_fleet(Path(sys.argv[1]))
t2 = time.perf_counter()
problems += validate_fleet(fleet)
t3 = time.perf_counter()
print(json.dumps({
    "import_s": t1 - t0, "load_s": t2 - t1, "validate_s": t3 - t2, "total_s": t3 - t1,
    "schools": len(fleet.schools), "tablets": sum(len(s.tablets) for s in fleet.schools),
    "problems": len(problems), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def measure(inventory: Path, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", PROBE, str(inventory)], check=True, capture_output=True,
                             text=True).stdout
        runs.append(json.loads(out))
    best = dict(min(runs, key=lambda r: r["total_s"]))
    best["median_total_s"] = statistics.median(r["total_s"] for r in runs)
    return best


def main() -> int:
    args = arguments(__doc__, repeat=5)
    results = measure_both(measure, args)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'fleet':<28} {'schools':>8} {'tablets':>9} {'load s':>7} {'rules s':>8} {'total s':>8} "
          f"{'median s':>8} {'peak MB':>8} {'worker MB':>9}")
    for name, r in results.items():
        print(f"{name:<28} {r['schools']:>8,} {r['tablets']:>9,} {r['load_s']:>7.2f} {r['validate_s']:>8.2f} "
              f"{r['total_s']:>8.2f} {r['median_total_s']:>8.2f} {r['peak_rss_mb']:>8.0f} "
              f"{r['worker_peak_rss_mb']:>9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
