"""What the benchmarks share: their command line, the fleets they measure, timing a command, and one table.

Every figure is printed beside the floor measured in the same run, because this machine's speed varies
two- to three-fold between days: a figure alone says little, its ratio to the floor says how much the
tool adds to what any tool must pay.

    from harness import Report, arguments, timed
    report = Report("render")
    report.add("render, reference", [1.2, 1.1], floor=("plain Jinja, same templates", [0.9, 0.95]))
    report.print(args.json)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The code of this checkout, in the benchmark and in every command it runs (the `schoolnet` script of the
# virtualenv imports whatever the virtualenv's editable install points at, which may be another worktree).
SOURCE = str(ROOT / "src")
sys.path.insert(0, SOURCE)
os.environ["PYTHONPATH"] = os.pathsep.join([SOURCE, *filter(None, [os.environ.get("PYTHONPATH")])])
SCHOOLNET = str(Path(sys.executable).parent / "schoolnet")
DEMO_KEY = str(ROOT / "keys" / "demo.agekey")
os.environ.setdefault("SOPS_AGE_KEY_FILE", DEMO_KEY)


def arguments(doc: str | None, repeat: int = 1, fleet: bool = False,
              extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """--repeat and --json for every benchmark; --schools/--tablets for those that also measure a generated fleet."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if fleet:
        parser.add_argument("--schools", type=int, default=5000)
        parser.add_argument("--tablets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=repeat, help="runs per figure; the best and the median shown")
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    if extra:
        extra(parser)
    return parser.parse_args()


def timed(argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None,
          ok: tuple[int, ...] = (0,)) -> tuple[float, str]:
    """A command's wall time, end to end as a user runs it, and its standard output; another exit stops the
    benchmark with one line: the command, its exit and its last words (schoolnet says why in one line)."""
    shown = " ".join("<script>" if "\n" in str(a) else str(a) for a in argv)
    print("  running:", shown, file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = subprocess.run(list(argv), cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode not in ok:
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()
        command = " ".join([Path(argv[0]).name, *shown.split(" ")[1:]])
        raise SystemExit(f"{command}: exit {result.returncode}: {said[-1].strip() if said else 'no output'}")
    return seconds, result.stdout


def schoolnet(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
              ok: tuple[int, ...] = (0,)) -> tuple[float, str]:
    return timed([SCHOOLNET, *args], cwd, env, ok)


@contextmanager
def generated_fleet(schools: int, tablets: int) -> Iterator[Path]:
    """A generated programme of this size, with its secrets, in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="schoolnet-bench-") as tmp:
        fleet = Path(tmp) / "inventory"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_programme.py"), "--out", str(fleet),
                        "--schools", str(schools), "--tablets", str(tablets)], check=True, capture_output=True)
        subprocess.run([SCHOOLNET, "secrets", "generate", "--inventory", str(fleet)], check=True,
                       capture_output=True)
        yield fleet


def measure_both(measure: Callable[[Path, int], dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """The reference programme as committed, and a generated fleet of --schools/--tablets."""
    results = {"reference (inventory/)": measure(ROOT / "inventory", args.repeat)}
    with generated_fleet(args.schools, args.tablets) as fleet:
        results[f"generated {args.schools:,} schools"] = measure(fleet, args.repeat)
    return results


@dataclass
class Figure:
    """One measured thing, each run's seconds, and the floor measured beside it in the same run."""

    name: str
    seconds: list[float]
    floor_name: str = ""
    floor: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def ratio(self) -> float | None:
        return self.best / min(self.floor) if self.floor and min(self.floor) > 0 else None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "best_s": round(self.best, 3), "median_s": round(self.median, 3),
                "runs_s": [round(s, 3) for s in self.seconds], "floor": self.floor_name or None,
                "floor_best_s": round(min(self.floor), 3) if self.floor else None,
                "ratio": round(self.ratio, 2) if self.ratio is not None else None, "note": self.note}


@dataclass
class Report:
    """The figures of one benchmark, printed as one Markdown table (docs/performance.md takes it as it is)."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # sizes and counts worth printing with the table

    def add(self, name: str, seconds: float | Sequence[float], floor: tuple[str, float | Sequence[float]] | None = None,
            note: str = "") -> Figure:
        runs = [seconds] if isinstance(seconds, int | float) else list(seconds)
        floor_name, floor_runs = floor if floor else ("", [])
        floors = [floor_runs] if isinstance(floor_runs, int | float) else list(floor_runs)
        figure = Figure(name, runs, floor_name, floors, note)
        self.figures.append(figure)
        print(f"  {name}: {figure.best:.2f} s" + (f" (floor {min(floors):.2f} s)" if floors else ""),
              file=sys.stderr, flush=True)
        return figure

    def print(self, as_json: bool = False) -> None:
        if as_json:
            print(json.dumps({"title": self.title, "facts": self.facts,
                              "figures": [f.as_dict() for f in self.figures]}, indent=2))
            return
        print(f"\n### {self.title}\n")
        for key, value in self.facts.items():
            print(f"- {key}: {value:,}" if isinstance(value, int) else f"- {key}: {value}")
        if self.facts:
            print()
        print("| figure | s (best) | s (median) | floor, same run | floor s | × floor | |")
        print("|---|---:|---:|---|---:|---:|---|")
        for f in self.figures:
            ratio = f"{f.ratio:.2f}" if f.ratio is not None else ""
            floor = f"{min(f.floor):.2f}" if f.floor else ""
            print(f"| {f.name} | {f.best:.2f} | {f.median:.2f} | {f.floor_name} | {floor} | {ratio} | {f.note} |")
