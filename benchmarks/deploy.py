#!/usr/bin/env python3
"""Time a first deploy and an idempotent redeploy of N lab hosts (root; boots a lab of its own).

    .venv/bin/python benchmarks/deploy.py --sizes 3,25,216    # school edge servers of the reference programme

For each N: boot N edge servers in a benchmark lab (names, loopback range and apt port apart
from a user's lab), render, then time `schoolnet deploy --env lab` twice: the first run installs
packages (through the lab's apt cache, which stays warm between sizes) and pushes every file;
the second should change nothing.  When the machine holds fewer than N hosts (`lab up` stops
at its memory reserve), the figures are for the hosts that booted.  The lab is taken down at
the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from schoolnet.lab.lab import available_memory_mib

ROOT = Path(__file__).resolve().parent.parent
SCHOOLNET = str(Path(sys.executable).parent / "schoolnet")
ENV = {**os.environ, "SCHOOLNET_LAB_DIR": "/var/lib/schoolnet-lab-bench",
       "SCHOOLNET_LAB_RUN": "/run/schoolnet-lab-bench",
       "SCHOOLNET_LAB_PREFIX": "snb", "SCHOOLNET_LAB_LOOPBACK": "23", "SCHOOLNET_LAB_APT_PORT": "3145",
       "SCHOOLNET_LOCK_DIR": "/run/schoolnet-bench/locks",
       "SOPS_AGE_KEY_FILE": os.environ.get("SOPS_AGE_KEY_FILE", str(ROOT / "keys" / "demo.agekey"))}


def outcomes(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """Each host's result; a deploy that printed none stops the benchmark with its own words."""
    try:
        hosts: list[dict[str, Any]] = json.loads(result.stdout)["hosts"]
    except ValueError:
        sys.exit(f"deploy printed no result (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return hosts


def run(work: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    result = subprocess.run([SCHOOLNET, *args], cwd=work, env=ENV, capture_output=True, text=True)
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="3,25,216", help="comma-separated host counts (at most 216)")
    parser.add_argument("--parallel", type=int, default=20)
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("the lab needs root")
    sizes = sorted(int(n) for n in args.sizes.split(","))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "inventory", work / "inventory", ignore=shutil.ignore_patterns("lab.yaml"))
        shutil.copytree(ROOT / "templates", work / "templates")
        edges = sorted(p.stem for p in (work / "inventory/schools").glob("*/*.yaml"))
        try:
            for size in sizes:
                limits = [arg for school in edges[:size] for arg in ("--limit", f"host:{school}-edge")]
                # fresh hosts for every size: a lab keeps each host's disk across down/up, as real hosts would
                _, purged = run(work, "lab", "down", "--purge")
                assert purged.returncode == 0, purged.stderr
                memory_before = available_memory_mib()
                boot, result = run(work, "lab", "up", *limits)
                assert result.returncode == 0 or "stopped booting" in result.stderr, result.stderr
                booted = sorted(yaml.safe_load((work / "inventory/environments/lab.yaml").read_text())["hosts"])
                limits = [arg for host in booted for arg in ("--limit", f"host:{host}")]
                assert run(work, "render")[1].returncode == 0
                first, result = run(work, "deploy", "--env", "lab", "--yes", "--parallel", str(args.parallel),
                                    "--format", "json", *limits)
                print(f"{len(booted)} hosts: first deploy {first:.1f} s", file=sys.stderr, flush=True)
                failed = [h["host"] for h in outcomes(result) if h["status"] == "failed"]
                memory_used = memory_before - available_memory_mib()
                again, result = run(work, "deploy", "--env", "lab", "--yes", "--parallel", str(args.parallel),
                                    "--format", "json", *limits)
                hosts = outcomes(result)
                results.append({"asked": size, "hosts": len(booted), "lab_up_s": round(boot, 1),
                                "first_deploy_s": round(first, 1), "redeploy_s": round(again, 1),
                                "memory_mib_per_host": round(memory_used / len(booted)), "failed": failed,
                                "changed_on_redeploy": [h["host"] for h in hosts if h["status"] != "unchanged"]})
                print(json.dumps(results[-1]), flush=True)
        finally:
            run(work, "lab", "down")
    print(f"{'hosts':>6} {'lab up s':>9} {'first deploy s':>15} {'redeploy s':>11} {'changed on redeploy':>20} "
          f"{'failed':>7} {'MiB/host':>9}")
    for r in results:
        print(f"{r['hosts']:>6} {r['lab_up_s']:>9} {r['first_deploy_s']:>15} {r['redeploy_s']:>11} "
              f"{len(r['changed_on_redeploy']):>20} {len(r['failed']):>7} {r['memory_mib_per_host']:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
