#!/usr/bin/env python3
"""Time the README's commands and the CI gate on a fresh Debian 12 machine (root).

    python3 benchmarks/fresh_machine.py                    # make ci: cold image, then cached image
    python3 benchmarks/fresh_machine.py --targets ci,demo,test --no-cold

Each target runs through `scripts/fresh-machine.sh` on a pristine root file system with a
clean clone of HEAD: the whole command a new user types, set-up included (Python, the
validators and the lab's tools from Debian, the project from PyPI).  "cold" first deletes
the cached Debian image, so debootstrap runs too.  The floor, measured in the same run, is
the same `make` target in a clean clone on this machine where everything is already
installed: what the command costs without its set-up.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("SCHOOLNET_FRESH_CACHE", "/var/cache/schoolnet-fresh"))


def fresh(target: str) -> tuple[float, float, str]:
    """(seconds for the command, seconds for the machine before it, the script's verdict)."""
    started = time.perf_counter()
    result = subprocess.run([str(ROOT / "scripts/fresh-machine.sh"), target], capture_output=True, text=True)
    total = time.perf_counter() - started
    verdict = next((line for line in result.stderr.splitlines()[::-1] if line.startswith("fresh-machine: ")), "")
    if result.returncode != 0:
        sys.exit(f"{target} failed on the fresh machine (exit {result.returncode}):\n{result.stderr[-3000:]}")
    ran = re.search(r"in ([\d.]+) s \(total", verdict)
    command = float(ran.group(1)) if ran else total
    return command, total - command, verdict


def floor(target: str) -> float:
    """The same target in a clean clone here, after a first run set it up: the command without set-up."""
    with tempfile.TemporaryDirectory(prefix="schoolnet-floor-") as tmp:
        clone = Path(tmp) / "schoolnet"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        subprocess.run(["make", "-C", str(clone), "setup"], check=True, capture_output=True)
        if target == "demo":  # fresh lab hosts, as on the fresh machine
            subprocess.run([str(clone / ".venv/bin/schoolnet"), "lab", "down", "--purge", "--inventory",
                            str(clone / "inventory")], capture_output=True)
        started = time.perf_counter()
        result = subprocess.run(["make", "-C", str(clone), target], capture_output=True, text=True)
        took = time.perf_counter() - started
        if target == "demo":
            subprocess.run([str(clone / ".venv/bin/schoolnet"), "lab", "down", "--inventory",
                            str(clone / "inventory")], capture_output=True)
        if result.returncode != 0:
            sys.exit(f"{target} failed here (exit {result.returncode}):\n{result.stderr[-3000:]}")
        return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="ci", help="comma-separated make targets: ci, demo, test")
    parser.add_argument("--no-cold", action="store_true", help="keep the cached Debian image")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (debootstrap, namespaces)")
    rows = []
    for number, target in enumerate(args.targets.split(",")):
        if number == 0 and not args.no_cold and CACHE.exists():
            shutil.rmtree(CACHE)
        command, machine, _ = fresh(target)
        here = floor(target)
        rows.append((target, "cold" if number == 0 and not args.no_cold else "cached", machine, command, here))
        if number == 0 and not args.no_cold:
            command, machine, _ = fresh(target)
            rows.append((target, "cached", machine, command, here))
    print("| make target | Debian image | machine ready s | command on the fresh machine s | floor: "
          "same command, set up, here s |")
    print("|---|---|---:|---:|---:|")
    for target, image, machine, command, here in rows:
        print(f"| {target} | {image} | {machine:.1f} | {command:.1f} | {here:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
