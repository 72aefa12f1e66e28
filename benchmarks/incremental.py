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
- declined: a tablet's status changed (the data center's hosts see it), so `ci` runs every stage in full,
  with the cache; floor: none;
- the reference programme: `schoolnet check --no-cache` of its build; floor: none (the validators are the
  work).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHOOLNET = str(Path(sys.executable).parent / "schoolnet")

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
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout[-2000:]}\n"
                         f"{result.stderr[-2000:]}")
    return seconds, result.stdout


def stages(output: str) -> dict[str, Any]:
    data = json.loads(output[: output.rindex("}") + 1])
    found: dict[str, Any] = {s["name"]: {"seconds": s["seconds"], "detail": s["detail"]} for s in data["stages"]}
    found["fast_path"] = data["fast_path"]
    return found


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


def national(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="schoolnet-incremental-") as tmp:
        workdir = Path(tmp)
        inventory = prepare(workdir, args)
        run_env = {**env, "SCHOOLNET_CACHE_DIR": str(workdir / "cache")}
        python = [sys.executable, "-c"]
        floor_parse, _ = timed([*python, PARSE_ALL, str(inventory)], workdir, run_env)
        validate_cold, _ = timed([SCHOOLNET, "validate", "--no-cache"], workdir, run_env)
        print(f"cold validate --no-cache {validate_cold:.2f} s (floor: C-loader parse {floor_parse:.2f} s)",
              flush=True)
        cold, out = timed([SCHOOLNET, "ci", "--format", "json"], workdir, run_env)
        cold_stages = stages(out)
        print(f"cold ci {cold:.1f} s {cold_stages}", flush=True)
        warm_runs, floors, warm_stages = [], [], []
        for run in range(args.repeat):
            school = change_school(inventory, run)
            floor, _ = timed([*python, HASH_ALL_PARSE_ONE, str(inventory), str(school)], workdir, run_env)
            seconds, out = timed([SCHOOLNET, "ci", "--format", "json"], workdir, run_env)
            warm_runs.append(seconds)
            floors.append(floor)
            warm_stages.append(stages(out))
            print(f"one-school ci {seconds:.2f} s (floor {floor:.2f} s) {warm_stages[-1]}", flush=True)
        timed([SCHOOLNET, "validate"], workdir, run_env)  # a clean validate records its state
        change_school(inventory, args.repeat)
        validate_one, _ = timed([SCHOOLNET, "validate"], workdir, run_env)
        print(f"one-school validate {validate_one:.2f} s", flush=True)
        change_status(inventory)
        declined, out = timed([SCHOOLNET, "ci", "--format", "json"], workdir, run_env)
        declined_stages = stages(out)
        print(f"declined ci {declined:.2f} s {declined_stages}", flush=True)
        best = min(range(len(warm_runs)), key=warm_runs.__getitem__)
        return {"schools": args.schools, "floor_parse_s": floor_parse, "validate_no_cache_s": validate_cold,
                "cold_ci_s": cold, "cold_stages": cold_stages, "one_school_ci_best_s": warm_runs[best],
                "one_school_ci_median_s": statistics.median(warm_runs), "one_school_floor_s": floors[best],
                "one_school_stages": warm_stages[best], "ratio_to_cold": warm_runs[best] / cold,
                "declined_ci_s": declined, "declined_stages": declined_stages, "one_school_validate_s": validate_one}


def reference(env: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="schoolnet-reference-") as tmp:
        workdir = Path(tmp)
        shutil.copytree(ROOT / "inventory", workdir / "inventory")
        shutil.copytree(ROOT / "templates", workdir / "templates")
        run_env = {**env, "SCHOOLNET_CACHE_DIR": str(workdir / "cache")}
        timed([SCHOOLNET, "render", "--no-cache"], workdir, run_env)
        seconds, _ = timed([SCHOOLNET, "check", "--no-cache"], workdir, run_env)
        print(f"reference check --no-cache {seconds:.1f} s", flush=True)
        return {"check_no_cache_s": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=5000)
    parser.add_argument("--tablets", type=int, default=100_000)
    parser.add_argument("--fleet", type=Path, help="a generated fleet (with its secrets) to copy instead")
    parser.add_argument("--repeat", type=int, default=5, help="one-school changes, each timed")
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args()
    env = {**os.environ, "SOPS_AGE_KEY_FILE": os.environ.get("SOPS_AGE_KEY_FILE", str(ROOT / "keys/demo.agekey"))}
    results = {"national": national(args, env)}
    if not args.skip_reference:
        results["reference"] = reference(env)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
