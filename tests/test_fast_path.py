"""`schoolnet ci` after a change: the fast path (only school files changed since the last clean run) gives
exactly what a cold `ci --no-cache` gives (problems, build bytes and modes, manifest), it is taken where it
can prove that, and declined (the full run answers) wherever it cannot."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from schoolnet import cache as cache_module
from schoolnet.cache import STAMP, _decode
from schoolnet.check import verdicts as verdicts_module
from schoolnet.delta import fast as fast_module
from schoolnet.delta.state import Build, CiState
from schoolnet.validate.segments import move
from tests.conftest import ROOT, invoke
from tests.test_incremental import CORRUPTIONS

Step = Callable[[Path], None]


@dataclass
class Run:
    ok: bool
    fast_path: str
    problems: list[dict[str, Any]]
    tree: dict[str, tuple[bytes, int]]


@contextmanager
def _inside(directory: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before)


def ci(root: Path, cache: Path, *extra: str) -> Run:
    with _inside(root):
        code, output = invoke("ci", "--format", "json", *extra, env={"SCHOOLNET_CACHE_DIR": str(cache)})
    data = json.loads(output[: output.rindex("}") + 1])
    assert code == (0 if data["ok"] else 1), output
    tree = {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o7777)
            for p in sorted((root / "build").rglob("*")) if p.is_file()} if data["ok"] else {}
    return Run(data["ok"], data["fast_path"], data["problems"], tree)


# --- scripted changes -------------------------------------------------------------------------------------

def _schools(root: Path) -> list[Path]:
    return sorted((root / "inventory" / "schools").glob("*/*.yaml"))


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def _lines(path: Path, field_name: str) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip().startswith(f"{field_name}:")]


def _pristine(root: Path) -> Path:
    return root.parent.parent / "pristine"


def new_mac(root: Path) -> None:
    school = _schools(root)[2]
    line = _lines(school, "mac")[0]
    _replace(school, line, line.split("mac:")[0] + 'mac: "02:ee:00:00:00:01"')


def more_students(root: Path) -> None:
    school = _schools(root)[3]
    line = _lines(school, "students")[0]
    _replace(school, line, f"students: {int(line.split(':')[1]) + 9}")


def a_comment(root: Path) -> None:
    school = _schools(root)[4]
    school.write_text(school.read_text() + "# reviewed\n")


def mac_of_another_school(root: Path) -> None:
    a, b = _schools(root)[:2]
    _replace(b, _lines(b, "mac")[0], _lines(a, "mac")[0])


def restore_school_b(root: Path) -> None:
    b = _schools(root)[1]
    shutil.copy(_pristine(root) / b.relative_to(root), b)


def broken_yaml(root: Path) -> None:
    _replace(_schools(root)[1], "tablets:", "tablets: [")


def mac_twice_in_one_school(root: Path) -> None:
    school = _schools(root)[2]
    first, second = _lines(school, "mac")[:2]
    _replace(school, second, first)


def serial_of_a_datacenter_device(root: Path) -> None:
    dc_serials = [line for dc in (root / "inventory" / "datacenter").glob("*.yaml") for line in _lines(dc, "serial")]
    school = _schools(root)[2]
    line = _lines(school, "serial")[-1]
    _replace(school, line, line.split("serial:")[0] + dc_serials[0].strip())


def serial_of_another_school(root: Path) -> None:
    a, b = _schools(root)[:2]
    _replace(b, _lines(b, "serial")[-1], _lines(a, "serial")[-1])


def tablet_returned_to_stock(root: Path) -> None:
    """A tablet's status is in its school's summary: the data center's hosts see it."""
    _replace(_schools(root)[5], "status: handed_over", "status: in_repair")


def switch_renamed_role(root: Path) -> None:
    school = _schools(root)[6]
    _replace(school, "kind: switch", "kind: switch\n    roles: [base]")


def switch_added(root: Path) -> None:
    school = _schools(root)[9]
    _replace(school, "devices:\n", "devices:\n  - kind: switch\n    serial: 2102999999PZZZZZZZZZ\n"
             "    asset_tag: NX-ADDED-SW9\n    uplink_port: XGigabitEthernet0/0/1\n"
             "    ssh_host_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEYyAx2L9ttbYY3kXp6wKsX0JHnD8cYvKQ0eJ6sxQ0Ji\n")


def tablet_removed(root: Path) -> None:
    school = _schools(root)[7]
    text = school.read_text()
    head, _, tablets = text.partition("tablets:\n")
    entries = tablets.split("\n  - ")
    school.write_text(head + "tablets:\n" + "\n  - ".join(entries[:-1]) + "\n")


def no_handover_record(root: Path) -> None:
    school = _schools(root)[8]
    lines = school.read_text().splitlines(keepends=True)
    first = next(i + 1 for i, line in enumerate(lines)
                 if line.strip() == "status: handed_over" and lines[i + 1].strip().startswith("handover:"))
    school.write_text("".join(lines[:first] + lines[first + 1:]))


def school_added(root: Path) -> None:
    source = _schools(root)[0]
    shutil.copy(source, source.with_name("notes.yaml.bak"))


def programme_renamed(root: Path) -> None:
    programme = root / "inventory" / "programme.yaml"
    _replace(programme, _lines(programme, "name")[0], "name: Renamed programme")


def template_edited(root: Path) -> None:
    _replace(root / "templates" / "dhcp" / "etc" / "dnsmasq.d" / "school.conf.j2", "log-dhcp", "log-dhcp\n# edited")


def hand_edit_in_build(root: Path) -> None:
    if not (root / "build").exists():  # the cold side renders from nothing
        return
    target = sorted((root / "build" / "hosts").glob("*-edge/etc/dnsmasq.d/school.conf"))[0]
    target.write_text(target.read_text() + "# by hand\n")


def link_in_build(root: Path) -> None:
    """A host's directory moved away and linked back: the files are the same, the path is not."""
    if (root / "build").exists():
        edge = sorted((root / "build" / "hosts").glob("*-edge"))[0]
        os.rename(edge / "etc", root / "elsewhere")
        (edge / "etc").symlink_to(root / "elsewhere")


def build_file_removed(root: Path) -> None:
    if (root / "build").exists():
        sorted((root / "build" / "hosts").glob("*-edge/etc/dnsmasq.d/school.conf"))[1].unlink()


def build_copied_in_place(root: Path) -> None:
    """Other inodes and times, the same bytes (a restored backup): every file is read once, and accepted."""
    if (root / "build").exists():
        shutil.copytree(root / "build", root / "build.copy", symlinks=True)
        shutil.rmtree(root / "build")
        os.rename(root / "build.copy", root / "build")


# (steps, whether each step's run takes the fast path)
CASES: dict[str, list[tuple[Step, bool]]] = {
    "a tablet's new MAC": [(new_mac, True)],
    "more students (the edge's context, not the summary)": [(more_students, True)],
    "a comment: nothing to render differently": [(a_comment, True)],
    "a MAC another school holds, then removed": [(mac_of_another_school, False), (restore_school_b, True)],
    "a serial another school holds": [(serial_of_another_school, False)],
    "broken YAML, then fixed": [(broken_yaml, False), (restore_school_b, True)],
    "a MAC twice in the changed school": [(mac_twice_in_one_school, False)],
    "a serial a data-center device holds": [(serial_of_a_datacenter_device, False)],
    "a tablet's status, which the data center sees": [(tablet_returned_to_stock, False)],
    "a switch's roles": [(switch_renamed_role, False)],
    "a switch added": [(switch_added, False)],
    "one tablet fewer (the procured total)": [(tablet_removed, False)],
    "a handed-over tablet without its record": [(no_handover_record, False)],
    "a file added to the inventory": [(school_added, False)],
    "programme.yaml": [(programme_renamed, False)],
    "a template": [(template_edited, False)],
    "a rendered file edited by hand, then a school changed": [(hand_edit_in_build, False), (new_mac, True)],
    "a link placed in build/": [(link_in_build, False)],
    "a rendered file removed": [(build_file_removed, False)],
    "build/ copied in place, then a school changed": [(build_copied_in_place, True), (new_mac, True)],
}


@pytest.fixture(scope="module")
def base(small_programme: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The programme after one clean `ci`, and the cache that run filled (copied per case: the state in it
    names this build)."""
    top = tmp_path_factory.mktemp("fast")
    pristine = top / "pristine"
    shutil.copytree(small_programme, pristine / "inventory")
    shutil.copytree(ROOT / "templates", pristine / "templates")
    first = ci(pristine, top / "cache")
    assert first.ok and first.fast_path.startswith("not taken"), first
    again = ci(pristine, top / "cache")
    assert again.ok and again.fast_path == "taken" and again.tree == first.tree
    return pristine, top / "cache"


def _warm_copy(base: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """The clean programme and its cache copied, and a clean `ci` run there: the state names this copy's build."""
    pristine, warm_cache = base
    root, cache = tmp_path / "warm", tmp_path / "cache"
    shutil.copytree(pristine, root, symlinks=True)
    shutil.copytree(warm_cache, cache)
    assert ci(root, cache).ok
    return root, cache


@pytest.mark.parametrize("steps", CASES.values(), ids=CASES.keys())
def test_ci_after_a_change_gives_exactly_the_cold_result(steps: list[tuple[Step, bool]], base: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    pristine, warm_cache = base
    case = tmp_path / "case"
    case.mkdir()
    os.symlink(pristine, tmp_path / "pristine")
    warm, cold = case / "warm", case / "cold"
    shutil.copytree(pristine, warm, symlinks=True)
    shutil.copytree(pristine, cold, ignore=shutil.ignore_patterns("build"))
    cache = tmp_path / "cache"
    shutil.copytree(warm_cache, cache)
    # the state names the build by its absolute path: point it at this copy by running there once
    assert ci(warm, cache).ok
    for step, fast in steps:
        step(warm)
        step(cold)
        warm_run = ci(warm, cache)
        cold_run = ci(cold, tmp_path / "unused", "--no-cache")
        assert warm_run.fast_path.startswith("taken" if fast else "not taken"), (step.__name__, warm_run.fast_path)
        assert warm_run.ok == cold_run.ok, step.__name__
        assert warm_run.problems == cold_run.problems, step.__name__
        assert warm_run.tree == cold_run.tree, step.__name__
        shutil.rmtree(cold / "build", ignore_errors=True)


def test_a_validator_upgrade_declines_the_fast_path(base: tuple[Path, Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _warm_copy(base, tmp_path)
    database = tmp_path / "status"
    database.write_bytes(verdicts_module.PACKAGE_DATABASE.read_bytes() + b"\nPackage: dnsmasq-base\nVersion: 99\n")
    monkeypatch.setattr(verdicts_module, "PACKAGE_DATABASE", database)
    new_mac(root)
    run = ci(root, cache)
    assert run.ok and run.fast_path == "not taken: a validator's program changed"


def test_no_cache_never_takes_the_fast_path(base: tuple[Path, Path], tmp_path: Path) -> None:
    pristine, warm_cache = base
    root = tmp_path / "warm"
    shutil.copytree(pristine, root, symlinks=True)
    assert ci(root, warm_cache, "--no-cache").fast_path == "off (--no-cache)"


# --- the index, as data ------------------------------------------------------------------------------------

INDEX = {"SN104": {"m1": "a.yaml", "m2": "a.yaml", "m3": "b.yaml"}, "SN102": {"s1": "a.yaml", "s2": "b.yaml"}}

# (old values of a.yaml, new values of a.yaml, codes whose table changes or None, the index after)
MOVES: dict[str, tuple[dict[str, list[str]], dict[str, list[str]], list[str] | None, dict[str, dict[str, str]]]] = {
    "nothing changed": ({"SN104": ["m1", "m2"], "SN102": ["s1"]}, {"SN104": ["m2", "m1"], "SN102": ["s1"]}, [],
                        INDEX),
    "a MAC replaced": ({"SN104": ["m1", "m2"], "SN102": ["s1"]}, {"SN104": ["m1", "m9"], "SN102": ["s1"]}, ["SN104"],
                       {**INDEX, "SN104": {"m1": "a.yaml", "m9": "a.yaml", "m3": "b.yaml"}}),
    "a MAC b.yaml holds": ({"SN104": ["m1", "m2"], "SN102": ["s1"]}, {"SN104": ["m1", "m3"], "SN102": ["s1"]}, None,
                           INDEX),
    "a MAC twice": ({"SN104": ["m1", "m2"], "SN102": ["s1"]}, {"SN104": ["m1", "m1"], "SN102": ["s1"]}, None, INDEX),
    "a serial b.yaml holds, with a new MAC": ({"SN104": ["m1", "m2"], "SN102": ["s1"]},
                                              {"SN104": ["m1", "m7"], "SN102": ["s2"]}, None, INDEX),
}


@pytest.mark.parametrize("old, new, changed, after", MOVES.values(), ids=MOVES.keys())
def test_the_index_takes_a_school_s_new_values_only_when_no_other_file_holds_them(
        old: dict[str, list[str]], new: dict[str, list[str]], changed: list[str] | None,
        after: dict[str, dict[str, str]]) -> None:
    index: dict[str, dict[Any, str]] = {code: dict(table) for code, table in INDEX.items()}
    asked: list[str] = []

    def table(code: str) -> dict[Any, str]:
        asked.append(code)
        return index[code]

    assert move(table, "a.yaml", dict(old), dict(new)) == changed
    assert index == after  # a refused move leaves every table as it was
    assert set(asked) <= {code for code in new if set(new[code]) != set(old[code])}  # untouched tables unread


@pytest.mark.parametrize("how", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_corrupted_state_is_a_full_run_not_a_verdict(how: Callable[[bytes], bytes], base: tuple[Path, Path],
                                                       tmp_path: Path) -> None:
    """Every entry of the cache damaged: the state, the index, the build's record, the typed schools."""
    root, cache = _warm_copy(base, tmp_path)
    assert ci(root, cache).fast_path == "taken"
    for entry in (p for p in cache.rglob("*") if p.is_file() and p.name != STAMP):  # the stamp is no entry
        entry.write_bytes(how(entry.read_bytes()))
    mac_of_another_school(root)
    run = ci(root, cache)
    assert run.fast_path.startswith("not taken: no clean run")
    cold = tmp_path / "cold"
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns("build"))
    assert run.problems == ci(cold, tmp_path / "unused", "--no-cache").problems
    assert any(p["code"] == "SN104" for p in run.problems)


def test_a_state_written_by_another_version_is_never_read(base: tuple[Path, Path], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _warm_copy(base, tmp_path)
    assert ci(root, cache).fast_path == "taken"
    monkeypatch.setattr(cache_module, "code_version", lambda: "0.0.0-another-build")
    new_mac(root)
    assert ci(root, cache).fast_path.startswith("not taken: no clean run")


# --- validate alone -------------------------------------------------------------------------------------------

HELD = re.compile(r"; \d+ changed school file\(s\) held against the last clean run")

# (step, whether validate holds it against the last clean validate)
VALIDATE_CASES: dict[str, list[tuple[Step, bool]]] = {
    "a tablet's new MAC": [(new_mac, True)],
    "a comment": [(a_comment, True)],
    "a MAC another school holds, then removed": [(mac_of_another_school, False), (restore_school_b, True)],
    "a serial a data-center device holds": [(serial_of_a_datacenter_device, False)],
    "a MAC twice in the changed school": [(mac_twice_in_one_school, False)],
    "one tablet fewer (the procured total)": [(tablet_removed, False)],
    "a handed-over tablet without its record": [(no_handover_record, False)],
    "a tablet's status (the data center sees it: only ci declines)": [(tablet_returned_to_stock, True)],
    "a switch's roles (only ci declines)": [(switch_renamed_role, True)],
    "a switch added (one host more)": [(switch_added, True)],
    "a file added to the inventory": [(school_added, False)],
    "programme.yaml": [(programme_renamed, False)],
}


def validate(root: Path, cache: Path, *extra: str) -> tuple[int, str]:
    with _inside(root):
        return invoke("validate", *extra, env={"SCHOOLNET_CACHE_DIR": str(cache)})


@pytest.mark.parametrize("steps", VALIDATE_CASES.values(), ids=VALIDATE_CASES.keys())
def test_validate_after_a_change_says_exactly_what_a_cold_validate_says(steps: list[tuple[Step, bool]],
                                                                        base: tuple[Path, Path],
                                                                        tmp_path: Path) -> None:
    pristine, _ = base
    case = tmp_path / "case"
    case.mkdir()
    os.symlink(pristine, tmp_path / "pristine")
    warm, cold = case / "warm", case / "cold"
    for side in (warm, cold):
        shutil.copytree(pristine / "inventory", side / "inventory")
    cache = tmp_path / "cache"
    assert validate(warm, cache) == validate(cold, tmp_path / "unused", "--no-cache")  # records the state
    for step, held in steps:
        step(warm)
        step(cold)
        warm_code, warm_out = validate(warm, cache)
        cold_code, cold_out = validate(cold, tmp_path / "unused", "--no-cache")
        assert bool(HELD.search(warm_out)) == held, (step.__name__, warm_out[-300:])
        assert (warm_code, HELD.sub("", warm_out)) == (cold_code, cold_out), step.__name__
        for fmt in ("json", "github"):
            assert validate(warm, cache, "--format", fmt) == validate(cold, tmp_path / "unused", "--no-cache",
                                                                      "--format", fmt), (step.__name__, fmt)


@pytest.mark.parametrize("fold_at", [500, 0], ids=["hosts rendered since kept in the state",
                                                  "the build's record written again every run"])
def test_superseded_state_parts_leave_the_cache(fold_at: int, base: tuple[Path, Path], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A run writes the index tables it changed and, now and then, the build's record anew; the old ones
    are removed, so the cache does not grow by a build's record per pull request."""
    monkeypatch.setattr(fast_module, "FOLD_AT", fold_at)
    root, cache = _warm_copy(base, tmp_path)
    school = _schools(root)[2]
    for run in range(3):
        line = _lines(school, "mac")[0]
        _replace(school, line, line.split("mac:")[0] + f'mac: "02:ee:00:00:01:{run:02x}"')
        assert ci(root, cache).fast_path == "taken"
    decoded = [_decode(entry.read_bytes()) for entry in cache.rglob("*") if entry.is_file()]
    assert sum(isinstance(value, Build) for value in decoded) == 2  # this copy's, and the pristine build's
    assert sum(isinstance(value, CiState) for value in decoded) == 2


# --- render takes ci's fast path, and leaves the check to the next ci ---------------------------------------

def render(root: Path, cache: Path, *extra: str) -> tuple[int, str, dict[str, tuple[bytes, int]]]:
    with _inside(root):
        code, output = invoke("render", *extra, env={"SCHOOLNET_CACHE_DIR": str(cache)})
    tree = {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o7777)
            for p in sorted((root / "build").rglob("*")) if p.is_file()}
    return code, output, tree


RENDER_CASES: dict[str, list[tuple[Step, bool]]] = {
    "a tablet's new MAC": [(new_mac, True)],
    "more students, then a comment": [(more_students, True), (a_comment, True)],
    "a MAC another school holds, then removed": [(mac_of_another_school, False), (restore_school_b, True)],
    "a tablet's status, which the data center sees": [(tablet_returned_to_stock, False)],
    "a template": [(template_edited, False)],
    "a rendered file edited by hand, then a school changed": [(hand_edit_in_build, False), (new_mac, True)],
}


@pytest.mark.parametrize("steps", RENDER_CASES.values(), ids=RENDER_CASES.keys())
def test_render_after_a_change_writes_exactly_what_a_cold_render_writes(steps: list[tuple[Step, bool]],
                                                                        base: tuple[Path, Path],
                                                                        tmp_path: Path) -> None:
    """After a clean ci, render takes its fast path where ci would.  A full render records nothing, but when
    it puts build/ back as ci left it (a hand edit undone), the next render takes the fast path again."""
    pristine, warm_cache = base
    os.symlink(pristine, tmp_path / "pristine")
    root, cold, cache = tmp_path / "case" / "warm", tmp_path / "case" / "cold", tmp_path / "cache"
    shutil.copytree(pristine, root, symlinks=True)
    shutil.copytree(pristine, cold, ignore=shutil.ignore_patterns("build"))
    shutil.copytree(warm_cache, cache)
    assert ci(root, cache).ok  # the state names the build by its absolute path: this copy's
    for step, fast in steps:
        step(root)
        step(cold)
        code, out, tree = render(root, cache)
        cold_code, cold_out, cold_tree = render(cold, tmp_path / "unused", "--no-cache")
        assert ("fast path: only school files changed" in out) == fast, (step.__name__, out[-400:])
        assert code == cold_code, (step.__name__, out[-400:], cold_out[-400:])
        assert code != 0 or tree == cold_tree, step.__name__  # a refused render leaves the build as it was
        shutil.rmtree(cold / "build", ignore_errors=True)


def test_ci_after_a_fast_render_checks_what_render_wrote(base: tuple[Path, Path], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _warm_copy(base, tmp_path)
    new_mac(root)
    code, out, _ = render(root, cache)
    assert code == 0 and "fast path" in out, out
    with _inside(root):
        code, output = invoke("ci", "--format", "json", env={"SCHOOLNET_CACHE_DIR": str(cache)})
    data = json.loads(output[: output.rindex("}") + 1])
    details = {stage["name"]: stage["detail"] for stage in data["stages"]}
    assert data["fast_path"] == "taken" and ", 0 rendered," in details["render"], details
    checked = int(re.search(r"; (\d+) files of the rendered hosts checked", details["check"]).group(1))  # type: ignore[union-attr]
    assert checked > 0, details  # the school's hosts, written by render, checked by this ci
    # and checked for real: a validator that now refuses the file fails this ci, as a full one would
    school = _schools(root)[2]  # another new MAC: a dnsmasq file no verdict is kept for
    _replace(school, 'mac: "02:ee:00:00:00:01"', 'mac: "02:ee:00:00:00:02"')
    assert "fast path" in render(root, cache)[1]
    from schoolnet.check.registry import VALIDATORS, Finding

    refusing = dataclasses.replace(VALIDATORS["dnsmasq"], check=lambda item, workspace: [
        Finding(1, "refused (this test's dnsmasq)")])
    monkeypatch.setitem(VALIDATORS, "dnsmasq", refusing)
    with _inside(root):
        code, output = invoke("ci", "--format", "json", env={"SCHOOLNET_CACHE_DIR": str(cache)})
    assert code == 1 and "refused (this test's dnsmasq)" in output
