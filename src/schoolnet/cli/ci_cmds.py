"""ci: validate, render and check in one go, with one summary, in the formats CI systems read."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import click

from schoolnet.cache import open_cache
from schoolnet.check import check_build
from schoolnet.cli import output
from schoolnet.cli.common import EXIT_PROBLEMS, inventory_option, no_cache_option
from schoolnet.cli.progress import counter
from schoolnet.delta.fast import run_fast
from schoolnet.delta.held import Declined
from schoolnet.delta.state import hash_inventory, record, state_name
from schoolnet.model import Fleet
from schoolnet.model.select import select_hosts
from schoolnet.problems import InventoryError, Problem, Severity
from schoolnet.render import render_fleet
from schoolnet.render.intact import BuildStats
from schoolnet.rulebook import RULES
from schoolnet.secrets import open_store
from schoolnet.secrets.manage import problems as secret_problems
from schoolnet.validate import validate_inventory

STAGES = {"validate": ("load", "validate"), "render": ("render", "secrets"), "check": ("check",)}


@dataclass
class StageResult:
    name: str
    status: str = "skipped"
    seconds: float = 0.0
    detail: str = ""
    problems: list[Problem] = field(default_factory=list)


@click.command()
@inventory_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("build"), show_default=True)
@click.option("--templates", "templates_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("templates"), show_default=True)
@click.option("--format", "fmt", type=click.Choice(output.FORMATS), default="text", show_default=True)
@no_cache_option
def ci(inventory: Path, out: Path, templates_dir: Path, fmt: str, no_cache: bool) -> None:
    """validate → render → check, one summary; exit 1 on any error.

    After a clean run, when only school files changed, those schools alone are validated,
    rendered and checked against what that run recorded (the fast path); anything it cannot
    prove runs every stage. The summary says which, and why (docs/cache.md).

    \b
    Example (GitLab CI, GitHub Actions):
      schoolnet ci --format junit > schoolnet.xml
      schoolnet ci --format github
    """
    results = [StageResult(name) for name in STAGES]
    fleet: Fleet | None = None
    cache = open_cache(inventory, not no_cache)  # parsed files, kept hosts, verdicts: what one change leaves valid
    started = time.perf_counter()
    inputs = hash_inventory(inventory) if cache.enabled and inventory.is_dir() else {}
    hashed = time.perf_counter() - started
    fast_path = "off (--no-cache)" if not cache.enabled else ""
    secrets = open_store(inventory, cache)  # decrypted once per secrets file, kept sealed (secrets/sealed.py)
    if inputs:
        try:
            fast = run_fast(inventory, out, templates_dir, secrets, cache, inputs)
        except (Declined, InventoryError) as exc:  # the full run decides, and reports what it finds
            why = str(exc) if isinstance(exc, Declined) else f"{exc.problems[0].code} while rendering"
            fast_path = f"not taken: {why}"
        else:
            for result in results:
                result.status, result.seconds = "passed", fast.seconds[result.name]
                result.detail = fast.details[result.name]
            results[0].seconds += hashed
            results[0].problems = fast.problems
            _summarise(results, fmt, "taken")
            return
    written: dict[str, Any] = {}
    stats = BuildStats(out, cache)
    unused: list[Problem] = []  # SN904: reported with render's problems once check has run too

    def run(stage: StageResult, work: Callable[[], str]) -> bool:
        started = time.perf_counter()
        try:
            stage.detail = work()
        except InventoryError as exc:
            stage.problems = exc.problems
        stage.seconds = time.perf_counter() - started
        failed = any(p.severity is Severity.ERROR for p in stage.problems)
        stage.status = "failed" if failed else "passed"
        return not failed

    def validate() -> str:
        nonlocal fleet
        fleet, problems = validate_inventory(inventory, cache)
        if fleet is None or any(p.severity is Severity.ERROR for p in problems):
            raise InventoryError(problems)
        results[0].problems = problems  # warnings
        fleet.validated = True  # every rule ran and passed just now, as load_for_action would
        return f"{len(fleet.schools)} schools, {len(fleet.hosts)} hosts"

    def render() -> str:
        assert fleet is not None
        summary = render_fleet(fleet, select_hosts(fleet, []), out, templates_dir, secrets,
                               progress=counter("rendered (hosts)"), cache=cache)
        written.update(summary.manifest)
        unused.extend(p for p in secret_problems(fleet, secrets) if p.code == "SN904")
        return f"{summary.files:,} files for {summary.hosts} hosts, {summary.kept_hosts} kept unchanged"

    def check() -> str:
        report = check_build(out, progress=counter("checked (distinct files)"), secrets=secrets, cache=cache,
                             manifest=written or None, stats=stats)
        if report.problems:
            raise InventoryError(report.problems)
        return f"{report.files:,} files, {len(report.by_validator)} validators, {report.reused:,} verdicts reused"

    for stage, work in zip(results, (validate, render, check), strict=True):
        if not run(stage, work):
            break
    if unused:  # secrets nothing uses: the file is not clean, though every rendered file is
        results[1].problems += unused
        results[1].status = "failed"
    if inputs and fleet is not None and all(r.status == "passed" for r in results):
        recorded = record(cache, state_name(inventory, out, templates_dir), inputs=inputs, templates=templates_dir,
                          fleet=fleet, problems=results[0].problems, manifest=written, out=out, stats=stats)
        fast_path = fast_path if recorded else f"{fast_path}; this run could not be recorded"
    _summarise(results, fmt, fast_path)


def _summarise(results: list[StageResult], fmt: str, fast_path: str) -> None:
    problems = sorted((p for r in results for p in r.problems), key=Problem.sort_key)
    ok = all(r.status == "passed" for r in results)
    if fmt == "json":
        click.echo(json.dumps({"ok": ok, "fast_path": fast_path,
                               "stages": [{"name": r.name, "status": r.status, "seconds": round(r.seconds, 2),
                                           "detail": r.detail, "problems": len(r.problems)} for r in results],
                               "problems": [output.problem_dict(p) for p in problems]}, indent=2))
    elif fmt == "junit":
        click.echo(_junit(results))
    elif problems:
        click.echo(output.as_github(problems) if fmt == "github" else output.as_text(problems))
    for r in results:
        mark = {"passed": "✓", "failed": "✗", "skipped": "·"}[r.status]
        click.echo(f"{mark} {r.name:<9} {r.status:<8} {r.seconds:6.1f} s  "
                   f"{r.detail or (str(len(r.problems)) + ' problem(s)' if r.problems else '')}", err=True)
    if fast_path:
        click.echo(f"  fast path {fast_path}", err=True)
    if not ok:
        sys.exit(EXIT_PROBLEMS)


def _junit(results: list[StageResult]) -> str:
    """One test suite per stage, one test case per rule of the stage; a skipped stage's cases are skipped."""
    root = ET.Element("testsuites", name="schoolnet.ci")
    for result in results:
        rules = [r for r in RULES.values() if r.stage in STAGES[result.name]]
        by_code: dict[str, list[Problem]] = {}
        for p in result.problems:
            by_code.setdefault(p.code, []).append(p)
        failures = sum(1 for r in rules if any(p.severity is Severity.ERROR for p in by_code.get(r.code, [])))
        suite = ET.SubElement(root, "testsuite", name=f"schoolnet.{result.name}", tests=str(len(rules)),
                              failures=str(failures), errors="0",
                              skipped=str(len(rules) if result.status == "skipped" else 0),
                              time=f"{result.seconds:.2f}")
        for rule in rules:
            case = ET.SubElement(suite, "testcase", classname=f"schoolnet.{result.name}",
                                 name=f"{rule.code} {rule.name}")
            if result.status == "skipped":
                ET.SubElement(case, "skipped", message="an earlier stage failed")
            elif rule.code in by_code:
                found = by_code[rule.code]
                failure = ET.SubElement(case, "failure", message=f"{len(found)} problem(s)", type=rule.code)
                failure.text = output.as_text(found)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
