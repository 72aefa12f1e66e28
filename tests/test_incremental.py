"""The cache never changes an answer: after each scripted change, validate, render and check with a warm
cache give exactly what they give cold (problems, bytes and modes, manifest, verdicts); a cache from
another version, or corrupted, is ignored."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from schoolnet import cache as cache_module
from schoolnet.cache import Cache
from schoolnet.check import check_build
from schoolnet.check import verdicts as verdicts_module
from schoolnet.check.registry import VALIDATORS, Finding
from schoolnet.check.verdicts import Verdicts
from schoolnet.inventory.tree import load_tree
from schoolnet.model.select import select_hosts
from schoolnet.problems import Problem, Severity
from schoolnet.render import render_fleet
from schoolnet.render.engine import load_manifest
from schoolnet.secrets import open_store
from schoolnet.validate import validate_inventory
from tests.conftest import ROOT, invoke

Step = Callable[[Path], None]


@dataclass
class Outcome:
    problems: list[str]
    tree: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    verdicts: list[str] = field(default_factory=list)
    kept: int = 0
    reused: int = 0


def _lines(problems: list[Problem]) -> list[str]:
    return [f"{p.line()} related={[str(r) for r in p.related]}" for p in problems]


@contextmanager
def _inside(directory: Path) -> Iterator[None]:
    """Problems name files relative to the working directory: both sides run from their own root."""
    before = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before)


def pipeline(root: Path, cache: Cache) -> Outcome:
    """What `schoolnet ci` does, stage by stage, with `cache` (disabled: the cold path)."""
    with _inside(root):
        inventory = Path("inventory")
        fleet, problems = validate_inventory(inventory, cache)
        outcome = Outcome(_lines(problems))
        if fleet is None or any(p.severity is Severity.ERROR for p in problems):
            return outcome
        fleet.validated = True
        summary = render_fleet(fleet, select_hosts(fleet, []), Path("build"), Path("templates"),
                               open_store(inventory), cache=cache)
        outcome.kept = summary.kept_hosts
        outcome.manifest = load_manifest(Path("build"))
        for path in sorted(Path("build").rglob("*")):
            if path.is_file():
                outcome.tree[path.as_posix()] = (path.read_bytes(), path.stat().st_mode & 0o7777)
        report = check_build(Path("build"), secrets=open_store(inventory), cache=cache)
        outcome.verdicts = _lines(report.problems)
        outcome.reused = report.reused
    return outcome


# --- scripted changes ---------------------------------------------------------------------------------

def _schools(root: Path) -> list[Path]:
    return sorted((root / "inventory" / "schools").glob("*/*.yaml"))


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _first(path: Path, field_name: str) -> str:
    return next(line for line in path.read_text().splitlines() if line.strip().startswith(f"{field_name}:"))


def more_students(root: Path, more: int = 7) -> None:
    school = _schools(root)[0]
    line = _first(school, "students")
    _replace(school, line, f"students: {int(line.split(':')[1]) + more}")


def duplicate_mac(root: Path) -> None:
    """School B's first tablet takes school A's first tablet's MAC: the duplicate is in another file."""
    a, b = _schools(root)[:2]
    _replace(b, _first(b, "mac"), _first(a, "mac"))


def restore_school_b(root: Path) -> None:
    b = _schools(root)[1]
    shutil.copy(_pristine(root) / b.relative_to(root), b)


def break_yaml(root: Path) -> None:
    school = _schools(root)[1]
    _replace(school, "tablets:", "tablets: [")


def remove_school_b(root: Path) -> None:
    _schools(root)[1].unlink()


def put_back_school_b(root: Path) -> None:
    b = sorted((_pristine(root) / "inventory" / "schools").glob("*/*.yaml"))[1]
    target = root / b.relative_to(_pristine(root))
    shutil.copy(b, target)


def rename_programme(root: Path) -> None:
    programme = root / "inventory" / "programme.yaml"
    _replace(programme, _first(programme, "name"), "name: Renamed programme")


def edit_template(root: Path) -> None:
    template = root / "templates" / "dhcp" / "etc" / "dnsmasq.d" / "school.conf.j2"
    _replace(template, "log-dhcp", "log-dhcp\n# edited")


def break_template(root: Path) -> None:
    template = root / "templates" / "dhcp" / "etc" / "dnsmasq.d" / "school.conf.j2"
    _replace(template, "log-dhcp", "log-dhcpp")


def restore_templates(root: Path) -> None:
    shutil.rmtree(root / "templates")
    shutil.copytree(ROOT / "templates", root / "templates")


def hand_edit_build(root: Path) -> None:
    if (root / "build").exists():
        target = sorted((root / "build" / "hosts").glob("*-edge/etc/dnsmasq.d/school.conf"))[0]
        target.write_text(target.read_text() + "# by hand\n")


def link_in_build(root: Path) -> None:
    """A directory of a rendered host replaced by a link to a copy with the same bytes: never followed."""
    if (root / "build").exists():
        edge = sorted((root / "build" / "hosts").glob("*-edge"))[0]
        shutil.copytree(edge / "etc", root / "elsewhere")
        shutil.rmtree(edge / "etc")
        (edge / "etc").symlink_to(root / "elsewhere")


def nothing(root: Path) -> None:
    return None


CASES: dict[str, list[Step]] = {
    "nothing changed": [nothing],
    "one school's data changes": [more_students],
    "a duplicate MAC in another school's file, then removed": [duplicate_mac, restore_school_b],
    "broken YAML, fixed, broken again (a bad file is never cached as good)": [break_yaml, restore_school_b,
                                                                             break_yaml],
    "a school file removed, then put back": [remove_school_b, put_back_school_b],
    "programme.yaml changes every host": [rename_programme],
    "a template changes, then breaks its validator, then is restored": [edit_template, break_template,
                                                                       restore_templates],
    "a rendered file edited by hand": [hand_edit_build],
    "a link placed in build/": [link_in_build],
}


def _pristine(root: Path) -> Path:
    return root.parent.parent / "pristine"


@pytest.fixture(scope="module")
def base(small_programme: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The unchanged programme rendered once, and a cache warmed by that run (shared: it is content-addressed)."""
    top = tmp_path_factory.mktemp("incremental")
    pristine = top / "pristine"
    shutil.copytree(small_programme, pristine / "inventory")
    shutil.copytree(ROOT / "templates", pristine / "templates")
    warm_cache = top / "cache"
    outcome = pipeline(pristine, Cache(warm_cache))
    assert outcome.tree and not outcome.verdicts, outcome.problems
    return pristine, warm_cache


@pytest.mark.parametrize("steps", CASES.values(), ids=CASES.keys())
def test_warm_cache_gives_exactly_the_cold_results(steps: list[Step], base: tuple[Path, Path],
                                                    tmp_path: Path) -> None:
    pristine, warm_cache = base
    case = tmp_path / "case"  # _pristine(): case/<side>/../../pristine
    case.mkdir()
    os.symlink(pristine, tmp_path / "pristine")
    warm, cold = case / "warm", case / "cold"
    shutil.copytree(pristine, warm, symlinks=True)  # with the build the warm cache describes
    shutil.copytree(pristine, cold, ignore=shutil.ignore_patterns("build"))
    for step in steps:
        step(warm)
        step(cold)
        warm_outcome = pipeline(warm, Cache(warm_cache))
        cold_outcome = pipeline(cold, Cache(tmp_path / "unused", enabled=False))
        assert warm_outcome.problems == cold_outcome.problems, step.__name__
        assert warm_outcome.manifest == cold_outcome.manifest, step.__name__
        assert warm_outcome.tree.keys() == cold_outcome.tree.keys(), step.__name__
        assert warm_outcome.tree == cold_outcome.tree, step.__name__
        assert warm_outcome.verdicts == cold_outcome.verdicts, step.__name__
        assert cold_outcome.kept == 0 and cold_outcome.reused == 0
        shutil.rmtree(cold / "build", ignore_errors=True)  # the cold side always renders from nothing


def test_a_one_school_change_reparses_one_file_and_rerenders_only_its_hosts(base: tuple[Path, Path],
                                                                             tmp_path: Path) -> None:
    pristine, warm_cache = base
    root = tmp_path / "warm"
    shutil.copytree(pristine, root)
    more_students(root, 13)  # bytes no other test wrote: the shared cache has never seen them
    cache = Cache(warm_cache)
    with _inside(root):
        files = load_tree(Path("inventory"), cache)
    assert files.parsed == 1
    outcome = pipeline(root, cache)
    school = _schools(root)[0].stem
    hosts_of_school = {name for name in outcome.manifest["hosts"] if name.startswith(f"{school}-")}
    assert hosts_of_school
    assert outcome.kept == len(outcome.manifest["hosts"]) - len(hosts_of_school)
    assert outcome.reused > 0


def _corrupt_every_entry(directory: Path, how: Callable[[bytes], bytes]) -> int:
    count = 0
    for path in directory.rglob("*"):
        if path.is_file():
            path.write_bytes(how(path.read_bytes()))
            count += 1
    return count


CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda blob: blob[: len(blob) // 2],
    "a flipped byte": lambda blob: blob[:-1] + bytes([blob[-1] ^ 0xFF]),
    "garbage": lambda blob: b"not a cache entry",
    "empty": lambda blob: b"",
}


@pytest.mark.parametrize("how", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_corrupted_cache_is_ignored_not_trusted(how: Callable[[bytes], bytes], base: tuple[Path, Path],
                                                  tmp_path: Path) -> None:
    pristine, warm_cache = base
    broken = tmp_path / "cache"
    shutil.copytree(warm_cache, broken)
    assert _corrupt_every_entry(broken, how) > 0
    root = tmp_path / "warm"
    shutil.copytree(pristine, root)
    duplicate_mac(root)  # a bad input: a corrupt cache must not turn it into a pass either
    cache = Cache(broken)
    outcome = pipeline(root, cache)
    assert cache.hits == 0
    assert any("SN104 duplicate-mac" in line for line in outcome.problems)
    cold = pipeline(root, Cache(tmp_path / "none", enabled=False))
    assert outcome.problems == cold.problems


def test_a_cache_written_by_another_version_is_never_read(base: tuple[Path, Path], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    pristine, warm_cache = base
    root = tmp_path / "warm"
    shutil.copytree(pristine, root)
    monkeypatch.setattr(cache_module, "code_version", lambda: "0.0.0-another-build")
    cache = Cache(warm_cache)
    with _inside(root):
        files = load_tree(Path("inventory"), cache)
    documents = [files.programme, files.hardware, files.ipam, *files.datacenters, *files.schools]
    assert files.parsed == len(documents) + len(files.environments) and cache.hits == 0
    outcome = pipeline(root, cache)
    assert outcome.reused == 0 and not outcome.verdicts  # hosts may be kept: the build, not the cache, vouches
    assert (warm_cache / "0.0.0-another-build").is_dir()  # it wrote its own namespace beside the other


def test_check_no_cache_runs_every_program_again(inventory: Path, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("SCHOOLNET_CACHE_DIR", str(tmp_path / "cache"))
    templates = str(ROOT / "templates")
    assert invoke("ci", "--templates", templates)[0] == 0
    code, out = invoke("check")
    assert code == 0 and "verdicts reused" in out
    code, out = invoke("check", "--no-cache")
    assert code == 0 and "verdicts reused" not in out
    code, out = invoke("render", "--templates", templates)
    assert code == 0 and "kept" in out
    code, out = invoke("render", "--templates", templates, "--no-cache")
    assert code == 0 and "kept" not in out
    assert any((tmp_path / "cache").iterdir())
    assert not (inventory.parent / ".schoolnet-cache").exists()  # the variable moved it


def test_a_program_upgrade_is_a_new_verdict_key(base: tuple[Path, Path], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Any package installed or upgraded changes the package database, and with it every verdict's key."""
    pristine, warm_cache = base
    root = tmp_path / "warm"
    shutil.copytree(pristine, root)
    assert pipeline(root, Cache(warm_cache)).reused > 0
    database = tmp_path / "status"
    database.write_bytes(verdicts_module.PACKAGE_DATABASE.read_bytes() + b"\nPackage: dnsmasq-base\nVersion: 99\n"
                         if verdicts_module.PACKAGE_DATABASE.is_file() else b"Package: dnsmasq-base\n")
    monkeypatch.setattr(verdicts_module, "PACKAGE_DATABASE", database)
    assert pipeline(root, Cache(warm_cache)).reused == 0


def test_a_failing_verdict_on_a_file_holding_secrets_is_not_stored(tmp_path: Path) -> None:
    """A program may quote the line it rejects; in a file holding secrets that line may be one."""
    validator = VALIDATORS["wireguard"]
    group = ("wireguard", "0" * 64, "wg0.conf", "vpn")
    found = [Finding(3, "Line unrecognized: `PrivateKey=...`")]
    verdicts = Verdicts(Cache(tmp_path))
    verdicts.put(group, validator, found, holds_secrets=True)
    verdicts.put(("wireguard", "1" * 64, "wg0.conf", "vpn"), validator, [], holds_secrets=True)
    verdicts.save()
    again = Verdicts(Cache(tmp_path))
    assert again.get(group, validator) is None
    assert again.get(("wireguard", "1" * 64, "wg0.conf", "vpn"), validator) == []  # a pass holds no text
    assert not any(b"PrivateKey" in path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
