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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml
from harness import ROOT, SCHOOLNET, Report, arguments

from schoolnet.lab.lab import available_memory_mib

ENV = {**os.environ, "SCHOOLNET_LAB_DIR": "/var/lib/schoolnet-lab-bench",
       "SCHOOLNET_LAB_RUN": "/run/schoolnet-lab-bench",
       "SCHOOLNET_LAB_PREFIX": "snb", "SCHOOLNET_LAB_LOOPBACK": "23", "SCHOOLNET_LAB_APT_PORT": "3145"}


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


def floor(work: Path, hosts: list[str], parallel: int) -> float:
    """What any tool must pay to learn that nothing changed: one SSH login per host (the same threads), reading
    the sha256 of every file render wrote for it."""
    environment = yaml.safe_load((work / "inventory/environments/lab.yaml").read_text())
    manifest = json.loads((work / "build/manifest.json").read_text())
    known = work / "known_hosts"
    known.write_text("".join(f"{environment['hosts'][h]['address']} {environment['hosts'][h]['host_key']}\n"
                             for h in hosts))

    def read(host: str) -> None:
        paths = [f["path"] for f in manifest["hosts"][host]["files"]]
        subprocess.run(["ssh", "-i", environment["ssh_key"], "-o", f"UserKnownHostsFile={known}", "-o",
                        "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                        f"{environment['ssh_user']}@{environment['hosts'][host]['address']}",
                        "sudo sha256sum " + " ".join(paths)], check=True, capture_output=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(read, hosts))
    return time.perf_counter() - started


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default="3,25,216", help="comma-separated host counts (at most 216)")
    parser.add_argument("--parallel", type=int, default=20)


def main() -> int:
    args = arguments(__doc__, extra=options)
    if os.geteuid() != 0:
        raise SystemExit("the lab needs root")
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
                read = floor(work, booted, args.parallel)
                results.append({"asked": size, "hosts": len(booted), "lab_up_s": round(boot, 1),
                                "first_deploy_s": round(first, 1), "redeploy_s": round(again, 1),
                                "floor_s": round(read, 1),
                                "memory_mib_per_host": round(memory_used / len(booted)), "failed": failed,
                                "changed_on_redeploy": [h["host"] for h in hosts if h["status"] != "unchanged"]})
                print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        finally:
            run(work, "lab", "down")
    report = Report("deploy to lab hosts (edge servers of the reference programme)")
    for r in results:
        report.add(f"{r['hosts']} hosts: lab up", r["lab_up_s"], note=f"{r['memory_mib_per_host']} MiB a host")
        report.add(f"{r['hosts']} hosts: first deploy", r["first_deploy_s"], note=f"{len(r['failed'])} failed")
        report.add(f"{r['hosts']} hosts: idempotent redeploy", r["redeploy_s"],
                   floor=("ssh: a login and the sha256 of every file, per host", r["floor_s"]),
                   note=f"{len(r['changed_on_redeploy'])} changed")
    report.print(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
