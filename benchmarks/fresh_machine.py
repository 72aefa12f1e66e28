#!/usr/bin/env python3
"""Time the README's two commands on a fresh Debian 12 machine, and the whole CI run (root).

    python3 benchmarks/fresh_machine.py                  # demo (cold), demo again, test; then .ci/run
    python3 benchmarks/fresh_machine.py --no-ci          # only the fresh machine's three commands

A new user's day one, on a pristine root file system with a clean clone of HEAD
(`scripts/fresh-machine.sh demo demo test`): `make demo` from cold (Python packages, Debian tools,
NetBox's runtime built and its database migrated, the lab's base image, everything), `make demo`
a second time, then `make test`, in that order on the same machine, each timed by the machine.
Then `.ci/run` from a clean clone here, timed whole: the gate here, then `ci demo test` on a
fresh machine.  The Debian image the fresh machine starts from is cached (--cold builds it again).

Floors, measured in the same run: each make target in a clean clone on this machine where
everything is installed and cached already (NetBox's runtime and database, the lab's base image),
so what the command costs without its set-up; for .ci/run, `make ci`, `make demo` and `make test`
one after the other in such a clone.
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

from harness import ROOT, Report, arguments

CACHE = Path(os.environ.get("SCHOOLNET_FRESH_CACHE", "/var/cache/schoolnet-fresh"))


def fresh(*targets: str) -> dict[str, float]:
    """Each target's seconds on one fresh machine, as it reported them."""
    result = subprocess.run([str(ROOT / "scripts/fresh-machine.sh"), *targets], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"make {' '.join(targets)} failed on the fresh machine (exit {result.returncode}):\n"
                 f"{result.stderr[-3000:]}")
    times = re.findall(r"^fresh-machine: make (\S+) passed in ([\d.]+) s$", result.stderr, re.M)
    if len(times) != len(targets):
        sys.exit(f"the fresh machine reported {times} for {targets}:\n{result.stderr[-2000:]}")
    return {f"{target} #{n}": float(seconds) for n, (target, seconds) in enumerate(times, 1)}


def clone() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="schoolnet-bench-clone-")) / "schoolnet"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(directory)], check=True)
    return directory


def floors(targets: list[str]) -> dict[str, float]:
    """The targets in a clean clone here, after a first run of each set up and cached what it needs."""
    directory = clone()
    try:
        subprocess.run(["make", "-C", str(directory), "setup", "tools"], check=True, capture_output=True)
        seconds = {}
        for target in targets:
            started = time.perf_counter()
            result = subprocess.run(["make", "-C", str(directory), target], capture_output=True, text=True)
            seconds[target] = time.perf_counter() - started
            if result.returncode != 0:
                sys.exit(f"make {target} failed here (exit {result.returncode}):\n{result.stderr[-3000:]}")
        return seconds
    finally:  # what the demo leaves running (its lab, its NetBox) would hold the ports the next machine needs
        schoolnet = str(directory / ".venv/bin/schoolnet")
        subprocess.run([schoolnet, "lab", "down", "--inventory", str(directory / "inventory")], capture_output=True)
        subprocess.run([schoolnet, "netbox", "down"], capture_output=True)
        shutil.rmtree(directory.parent, ignore_errors=True)


def ci_run() -> float:
    directory = clone()
    try:
        started = time.perf_counter()
        result = subprocess.run([str(directory / ".ci/run")], cwd=directory, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f".ci/run failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
        return seconds
    finally:
        shutil.rmtree(directory.parent, ignore_errors=True)


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-ci", action="store_true", help="skip the whole .ci/run")
    parser.add_argument("--cold", action="store_true", help="build the fresh machine's Debian image again first")


def main() -> int:
    args = arguments(__doc__, extra=options)
    if os.geteuid() != 0:
        sys.exit("needs root (debootstrap, namespaces)")
    if args.cold and CACHE.exists():
        shutil.rmtree(CACHE)
    report = Report("the README's commands on a fresh Debian 12 machine, and CI")
    machine = fresh("demo", "demo", "test")
    here = floors(["ci", "demo", "test"])
    report.add("make demo, from cold (a new machine)", machine["demo #1"],
               floor=("make demo here, everything set up and cached", here["demo"]), note="target: under 600 s")
    report.add("make demo, a second time", machine["demo #2"],
               floor=("make demo here, everything set up and cached", here["demo"]), note="target: under 180 s")
    report.add("make test, after the demo", machine["test #3"],
               floor=("make test here, set up", here["test"]), note="target: under 720 s")
    if not args.no_ci:
        report.add(".ci/run, whole, from a clean clone", ci_run(),
                   floor=("make ci, demo and test here, set up", sum(here.values())), note="target: under 1,800 s")
    report.print(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
