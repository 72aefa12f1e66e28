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
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness import ROOT, Report, arguments, measure_both, schoolnet, timed

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


def measure(inventory: Path, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "programme"
        base, head = programme_repository(inventory, repo)
        runs, floors, summary, files = [], [], {}, 0
        for _ in range(repeat):
            seconds, out = schoolnet("changes", base, head, "--format", "json", cwd=repo)
            runs.append(seconds)
            summary = json.loads(out)["summary"]
            floor = timed([sys.executable, "-c", FLOOR, str(repo), base, head])[1].split()
            floors.append(float(floor[0]))
            files = int(floor[1])
    return {"yaml_files": files, "changes": summary["changes"], "hosts": summary["hosts"], "command": runs,
            "floor": floors}


def main() -> int:
    args = arguments(__doc__, repeat=3, fleet=True)
    report = Report("changes BASE HEAD --format json, a fresh process each run")
    for name, r in measure_both(measure, args).items():
        report.add(f"{name}: {r['yaml_files']:,} YAML files on both sides, {r['changes']} change(s), "
                   f"{r['hosts']} host(s)", r["command"],
                   floor=("git reads both revisions, the C loader parses them", r["floor"]))
    report.print(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
