"""Run every rendered file through its validator, in parallel, and report file:line problems."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schoolnet.cache import Cache
from schoolnet.check import lints as _lints  # noqa: F401  (registers the validators)
from schoolnet.check import programs as _programs  # noqa: F401
from schoolnet.check.registry import VALIDATORS, CheckItem, Finding, Validator, Workspace
from schoolnet.check.verdicts import Verdicts
from schoolnet.contained import PathEscape
from schoolnet.inventory.yamlload import display_name
from schoolnet.problems import InventoryError, Location, Problem
from schoolnet.render.engine import load_manifest
from schoolnet.render.intact import BuildStats, host_file
from schoolnet.rulebook import declare, problem
from schoolnet.secrets.store import SecretStore, mask

declare("SN818", "build-modified", "A file in build/ differs from what render wrote (its manifest sha256), or "
        "build/ is missing.", bad="(a hand edit in build/hosts/...)", good="schoolnet render", stage="check")


@dataclass
class CheckReport:
    files: int = 0
    runs: int = 0
    by_validator: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    reused: int = 0  # distinct files whose verdict came from the cache


def check_build(build: Path, jobs: int | None = None, progress: Callable[[int, int], None] | None = None,
                secrets: SecretStore | None = None, hosts: set[str] | None = None,
                cache: Cache | None = None, manifest: dict[str, Any] | None = None,
                stats: BuildStats | None = None) -> CheckReport:
    """Check every file of `build`; `secrets` masks values a program quotes back from a file holding them.
    With `cache`, a verdict on the same bytes by the same program is reused (check/verdicts.py).  A caller
    that has the manifest in hand (render just wrote it) passes it, and its `stats` to learn what was seen."""
    if manifest is None:
        try:
            manifest = load_manifest(build)
        except (OSError, ValueError):
            raise InventoryError([problem("SN818", Location(display_name(build / "manifest.json")),
                                          "no rendered build here", "run `schoolnet render` first")]) from None
    report = CheckReport()
    stats = stats if stats is not None else BuildStats(build, cache)
    root = build.resolve() / "hosts"  # absolute: validators run from scratch directories
    top = str(root)
    groups: dict[tuple[str, str, str, str], list[CheckItem]] = {}
    for host, entry in manifest["hosts"].items():
        if hosts is not None and host not in hosts:
            continue
        for spec in entry["files"]:
            try:
                name = host_file(top, host, spec["path"])
                if not stats.within(name, top):
                    raise PathEscape(f"{spec['path']!r} leads through a link or a non-directory under {root}")
            except PathEscape as exc:  # a hand-edited manifest: nothing outside build/ is read or pushed
                report.problems.append(problem("SN818", Location(display_name(build / "manifest.json")),
                                               f"{host}: {exc}", "run `schoolnet render` again"))
                continue
            item = CheckItem(Path(name), host, spec["path"], spec["role"], spec["template"],
                             tuple(spec.get("secrets", ())))
            if not _intact(item, spec["sha256"], report, stats):
                continue
            if spec["validator"] is None:
                continue
            report.files += 1
            report.by_validator[spec["validator"]] += 1
            # identical bytes under the same name are checked once: base files repeat on every host
            key = (spec["validator"], spec["sha256"], item.file.name, spec["role"])
            groups.setdefault(key, []).append(item)
    stats.save()
    runnable = _runnable(groups, report)
    report.runs = len(runnable)
    verdicts = Verdicts(cache) if cache is not None else None
    known: dict[tuple[str, str, str, str], list[Finding]] = {}
    if verdicts is not None:
        known = {key: found for key in runnable if (found := verdicts.get(key, VALIDATORS[key[0]])) is not None}
        report.reused = len(known)
    with tempfile.TemporaryDirectory(prefix="schoolnet-check-") as scratch:
        workspace = Workspace(Path(scratch))
        (workspace.root / "ifstate").mkdir()
        done = 0
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
            futures = [(key, pool.submit(_run_validator, VALIDATORS[key[0]], groups[key][0], workspace))
                       for key in runnable if key not in known]
            for key, findings in known.items():
                report.problems += _problems(VALIDATORS[key[0]].code, groups[key], findings, secrets)
            for key, future in futures:
                findings, settled = future.result()
                if verdicts is not None and settled:  # a validator that could not run is asked again next time
                    verdicts.put(key, VALIDATORS[key[0]], findings, any(item.secrets for item in groups[key]))
                report.problems += _problems(VALIDATORS[key[0]].code, groups[key], findings, secrets)
                done += 1
                if progress:
                    progress(done, len(futures))
    if verdicts is not None:
        verdicts.save()
    report.problems.sort(key=Problem.sort_key)
    return report


def _run_validator(validator: Validator, item: CheckItem, workspace: Workspace) -> tuple[list[Finding], bool]:
    """The findings, and whether they are the program's verdict.  A validator that fails (a program missing
    mid-run, a lint meeting what it cannot parse) is a failed check of that file, with the reason, never a
    traceback: the file is not passed, and the verdict is not kept."""
    try:
        return validator.check(item, workspace), True
    except Exception as exc:  # whatever a validator raises, the file did not pass
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        return [Finding(1, f"the {validator.name} check could not run on this file ({type(exc).__name__}"
                           f"{': ' + reason if reason else ''})")], False


def _intact(item: CheckItem, sha256: str, report: CheckReport, stats: BuildStats) -> bool:
    actual = stats.sha256(item.file)
    if actual == sha256:
        return True
    report.problems.append(problem("SN818", Location(display_name(item.file)),
                                   "the file differs from what render wrote" if actual != "missing"
                                   else "the file is missing", "run `schoolnet render` again"))
    return False


def _runnable(groups: dict[tuple[str, str, str, str], list[CheckItem]],
              report: CheckReport) -> list[tuple[str, str, str, str]]:
    runnable, reported = [], set()
    missing_by_name: dict[str, list[str]] = {}  # one PATH search per validator, not per distinct file
    for key, items in groups.items():
        name = key[0]
        validator = VALIDATORS.get(name)
        if validator is not None and name not in missing_by_name:
            missing_by_name[name] = validator.missing_programs()
        missing = missing_by_name.get(name, [])
        if validator is None or missing:
            if name not in reported:
                reported.add(name)
                what = (f"unknown validator {name!r} (known: {', '.join(sorted(VALIDATORS))})" if validator is None
                        else f"validator {name} needs {', '.join(missing)}, which is not installed")
                report.problems.append(problem("SN800", Location(items[0].template), what,
                                               "fix the template header" if validator is None
                                               else "run `make validators` as root"))
            continue
        runnable.append(key)
    return runnable


def _problems(code: str, items: list[CheckItem], findings: list[Finding],
              secrets: SecretStore | None) -> list[Problem]:
    return [problem(code, Location(display_name(item.file), finding.line, 1),
                    f"{_contained(finding.message, item, secrets)} (template {item.template})")
            for item in items for finding in findings]


def _contained(message: str, item: CheckItem, secrets: SecretStore | None) -> str:
    """A program may quote the line it rejects; in a file holding secrets, that line may be one."""
    if not item.secrets:
        return message
    if secrets is None:
        return "the program's message is withheld: this file holds secrets (check with SOPS_AGE_KEY_FILE set)"
    try:
        return mask(message, list(item.secrets), secrets)
    except (InventoryError, LookupError):
        return "the program's message is withheld: this file holds secrets and they cannot be decrypted here"
