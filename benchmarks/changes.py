#!/usr/bin/env python3
"""Time `schoolnet changes BASE HEAD --format json` end to end, beside a floor measured in the same run.

    .venv/bin/python benchmarks/changes.py                       # reference + 5,000 schools
    .venv/bin/python benchmarks/changes.py --schools 1000 --tablets 20000

For each fleet, a fresh git repository holds its inventory, the templates and the role deploys
in one commit, and a second commit hands over one tablet at one school (what a pull request
does). Then:
- command: `schoolnet changes BASE HEAD --format json` as a user types it, a fresh process each
  run: both revisions read from git, loaded and validated, compared, the hosts that may differ
  rendered on both sides;
- floor: what any tool reading both revisions must pay: `git ls-tree` and one `git cat-file
  --batch` of the inventory of each revision, and PyYAML's C loader parsing every YAML file
  of both (no typing, no rules, no rendering).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fleets import ROOT, arguments, measure_both

os.environ.setdefault("SOPS_AGE_KEY_FILE", str(ROOT / "keys" / "demo.agekey"))

FLOOR = r"""
import subprocess, sys, time, yaml
repo, revisions = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
files = 0
for revision in revisions:
    listed = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "-z", revision, "--", "inventory"],
                            capture_output=True, check=True).stdout.decode().split("\0")
    blobs = [e.split("\t")[0].split(" ")[2] for e in listed if e.endswith(".yaml")]
    out = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], input="".join(b + "\n" for b in blobs).encode(),
                         capture_output=True, check=True).stdout
    offset = 0
    for _ in blobs:
        end = out.index(b"\n", offset)
        size = int(out[offset:end].split(b" ")[2])
        yaml.load(out[end + 1:end + 1 + size], Loader=yaml.CSafeLoader)
        offset = end + 2 + size
        files += 1
print(time.perf_counter() - started, files)
"""


def command() -> list[str]:
    """`schoolnet changes` once the command is registered, its module until then."""
    from schoolnet.cli.main import cli

    if "changes" in cli.commands:
        return [str(Path(sys.executable).parent / "schoolnet"), "changes"]
    return [sys.executable, "-m", "schoolnet.cli.changes_cmd"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def programme_repository(inventory: Path, into: Path) -> tuple[str, str]:
    """A repository with the inventory, templates and roles; BASE, then HEAD with one tablet handed over."""
    shutil.copytree(inventory, into / "inventory", ignore=shutil.ignore_patterns("lab.yaml"))
    shutil.copytree(ROOT / "templates", into / "templates")
    shutil.copytree(ROOT / "roles", into / "roles", ignore=shutil.ignore_patterns("__pycache__"))
    git(into, "init", "-q", "-b", "main")
    git(into, "config", "user.email", "bench@example.invalid")
    git(into, "config", "user.name", "benchmark")
    git(into, "add", "-A")
    git(into, "commit", "-qm", "base")
    base = git(into, "rev-parse", "HEAD")
    for school in sorted((into / "inventory" / "schools").glob("*/*.yaml")):
        text = school.read_text()
        match = re.search(r"\n(    mac: \S+\n)    status: in_stock\n", text)
        if match:
            school.write_text(text.replace(match.group(0), f"\n{match.group(1)}    status: handed_over\n    handover: "
                                           "{certificate: NX-HO-BENCH-0001, date: 2026-11-30, "
                                           "received_by: class-teacher}\n", 1))
            break
    git(into, "commit", "-qam", "hand over one tablet")
    return base, git(into, "rev-parse", "HEAD")


def measure(inventory: Path, repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "programme"
        base, head = programme_repository(inventory, repo)
        runs, floors, summary, files = [], [], {}, 0.0
        for _ in range(repeat):
            started = time.perf_counter()
            result = subprocess.run([*command(), base, head, "--format", "json"], cwd=repo, capture_output=True,
                                    text=True, check=False)
            runs.append(time.perf_counter() - started)
            if result.returncode != 0:
                raise SystemExit(f"changes failed ({result.returncode}): {result.stderr}")
            summary = json.loads(result.stdout)["summary"]
            floor = subprocess.run([sys.executable, "-c", FLOOR, str(repo), base, head], check=True,
                                   capture_output=True, text=True).stdout.split()
            floors.append(float(floor[0]))
            files = float(floor[1])
    return {"yaml_files": files, "changes": summary["changes"], "hosts": summary["hosts"],
            "command_s": min(runs), "command_median_s": statistics.median(runs), "floor_s": min(floors)}


def main() -> int:
    args = arguments(__doc__, repeat=3)
    results = measure_both(measure, args)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'fleet':<26} {'YAML files (2 sides)':>20} {'changes':>8} {'hosts':>6} {'command s':>10} "
          f"{'median s':>9} {'floor s':>8} {'ratio':>6}")
    for name, r in results.items():
        print(f"{name:<26} {r['yaml_files']:>20,.0f} {r['changes']:>8.0f} {r['hosts']:>6.0f} {r['command_s']:>10.2f} "
              f"{r['command_median_s']:>9.2f} {r['floor_s']:>8.2f} {r['command_s'] / r['floor_s']:>6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
