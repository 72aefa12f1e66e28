#!/usr/bin/env python3
"""Time `schoolnet ci` cold, then after a one-school change with a warm cache, as commands.

    .venv/bin/python benchmarks/incremental.py                       # 5,000 schools, 100,000 tablets
    .venv/bin/python benchmarks/incremental.py --fleet /tmp/fleet    # reuse a generated fleet (copied)

Every figure is a command a user types, run as a subprocess and timed end to end (interpreter
start, imports, every stage), with a floor measured in the same run:
- cold: `schoolnet ci` with an empty cache (it fills the cache) and `schoolnet validate --no-cache`;
  floor: a fresh interpreter parsing every inventory file with PyYAML's C loader;
- one school: a tablet's MAC changed in one school file (another school each run), then `schoolnet ci`, which
  takes its fast path (src/schoolnet/delta/); floor: a fresh interpreter that reads and hashes every inventory
  file and parses the changed one with the C loader (what any tool pays to learn what changed);
- one school, `schoolnet validate` (after a clean validate); floor: the same as for ci;
- one school, `schoolnet render` after a clean ci (it takes ci's fast path, leaving the check to the next
  ci); floor: the same as for ci;
- declined: a tablet's status changed (the data center's hosts see it), so `ci` runs every stage in full,
  with the cache; floor: none;
- the reference programme: `schoolnet check --no-cache` of its build; floor: none (the validators are the
  work).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness import ROOT, SCHOOLNET, Report, arguments
from harness import timed as run_timed

PARSE_ALL = r"""
import sys, yaml
from pathlib import Path
for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
    if path.name != "secrets.sops.yaml":
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
"""

HASH_ALL_PARSE_ONE = r"""
import hashlib, sys, yaml
from pathlib import Path
for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
    hashlib.sha256(path.read_bytes()).hexdigest()
yaml.load(Path(sys.argv[2]).read_bytes(), Loader=yaml.CSafeLoader)
"""


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    return run_timed(argv, cwd, env)


def stages(output: str) -> dict[str, Any]:
    data = json.loads(output[: output.rindex("}") + 1])
    found: dict[str, Any] = {s["name"]: {"seconds": s["seconds"], "detail": s["detail"]} for s in data["stages"]}
    found["fast_path"] = data["fast_path"]
    return found


def in_words(found: dict[str, Any]) -> str:
    """Each stage's seconds, and why the fast path was not taken when it was not."""
    parts = [f"{name} {found[name]['seconds']:.2f} s" for name in ("validate", "render", "check") if name in found]
    return ", ".join(parts) + ("" if found["fast_path"] == "taken" else f"; fast path {found['fast_path']}")


def prepare(workdir: Path, args: argparse.Namespace) -> Path:
    """A repository-shaped directory: inventory/ and templates/ side by side."""
    inventory = workdir / "inventory"
    if args.fleet:
        shutil.copytree(args.fleet, inventory)
    else:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_programme.py"), "--out", str(inventory),
                        "--schools", str(args.schools), "--tablets", str(args.tablets)], check=True,
                       capture_output=True)
        subprocess.run([SCHOOLNET, "secrets", "generate", "--inventory", str(inventory)], check=True,
                       capture_output=True)
    shutil.copytree(ROOT / "templates", workdir / "templates")
    return inventory


def change_school(inventory: Path, run: int) -> Path:
    """A tablet of one school gets a new MAC (a prefix the generator never uses, so it stays unique): its
    DHCP reservations change, so the school's files are rendered and checked again."""
    schools = sorted((inventory / "schools").glob("*/*.yaml"))
    school = schools[(len(schools) // 3 + 97 * run) % len(schools)]
    lines = school.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("mac:"))
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines[index] = f'{indent}mac: "02:ee:00:00:{run // 256:02x}:{run % 256:02x}"\n'
    school.write_text("".join(lines))
    return school


def change_status(inventory: Path) -> Path:
    """A handed-over tablet goes to repair: its status is in the school's summary, which the data center's
    hosts see, so the fast path declines and every stage runs in full (with the cache)."""
    schools = sorted((inventory / "schools").glob("*/*.yaml"))
    school = schools[len(schools) // 2]
    school.write_text(school.read_text().replace("status: handed_over", "status: in_repair", 1))
    return school


def national(args: argparse.Namespace, report: Report) -> None:
    with tempfile.TemporaryDirectory(prefix="schoolnet-incremental-") as tmp:
        workdir = Path(tmp)
        inventory = prepare(workdir, args)
        env = {"SCHOOLNET_CACHE_DIR": str(workdir / "cache")}
        python = [sys.executable, "-c"]
        floor_parse, _ = timed([*python, PARSE_ALL, str(inventory)], workdir, env)
        validate_cold, _ = timed([SCHOOLNET, "validate", "--no-cache"], workdir, env)
        report.add("cold validate --no-cache", validate_cold, floor=("C loader parses every file", floor_parse))
        cold, out = timed([SCHOOLNET, "ci", "--format", "json"], workdir, env)
        report.add("cold ci (fills the cache)", cold, note=in_words(stages(out)))
        runs, floors = [], []
        for run in range(args.repeat):
            school = change_school(inventory, run)
            floors.append(timed([*python, HASH_ALL_PARSE_ONE, str(inventory), str(school)], workdir, env)[0])
            seconds, out = timed([SCHOOLNET, "ci", "--format", "json"], workdir, env)
            if stages(out)["fast_path"] != "taken":
                raise SystemExit(f"the fast path was not taken: {stages(out)['fast_path']}")
            runs.append(seconds)
        hash_parse = "hash every file, the C loader parses the changed one"
        report.add("one school changed, ci (fast path)", runs, floor=(hash_parse, floors))
        renders, render_floors = [], []
        for run in range(args.repeat):
            school = change_school(inventory, args.repeat + run)
            render_floors.append(timed([*python, HASH_ALL_PARSE_ONE, str(inventory), str(school)], workdir, env)[0])
            seconds, _ = timed([SCHOOLNET, "render"], workdir, env)
            renders.append(seconds)
        report.add("one school changed, render after a clean ci (fast path)", renders,
                   floor=(hash_parse, render_floors))
        timed([SCHOOLNET, "ci"], workdir, env)  # checks what render wrote, and records the state
        timed([SCHOOLNET, "validate"], workdir, env)  # a clean validate records its state
        school = change_school(inventory, 2 * args.repeat)
        floor, _ = timed([*python, HASH_ALL_PARSE_ONE, str(inventory), str(school)], workdir, env)
        validate_one, _ = timed([SCHOOLNET, "validate"], workdir, env)
        report.add("one school changed, validate", validate_one, floor=(hash_parse, floor))
        change_status(inventory)
        declined, out = timed([SCHOOLNET, "ci", "--format", "json"], workdir, env)
        report.add("a change the fast path declines (a tablet's status), ci", declined, note=in_words(stages(out)))
        report.facts["schools"] = args.schools


def reference(report: Report) -> None:
    with tempfile.TemporaryDirectory(prefix="schoolnet-reference-") as tmp:
        workdir = Path(tmp)
        shutil.copytree(ROOT / "inventory", workdir / "inventory")
        shutil.copytree(ROOT / "templates", workdir / "templates")
        env = {"SCHOOLNET_CACHE_DIR": str(workdir / "cache")}
        timed([SCHOOLNET, "render", "--no-cache"], workdir, env)
        seconds, _ = timed([SCHOOLNET, "check", "--no-cache"], workdir, env)
        report.add("reference programme: check --no-cache", seconds, note="the validators are the work: no floor")


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fleet", type=Path, help="a generated fleet (with its secrets) to copy instead")
    parser.add_argument("--skip-reference", action="store_true")


def main() -> None:
    args = arguments(__doc__, repeat=5, fleet=True, extra=options)
    report = Report("one school changed: ci, render and validate as commands")
    national(args, report)
    if not args.skip_reference:
        reference(report)
    report.print(args.json)


if __name__ == "__main__":
    main()
