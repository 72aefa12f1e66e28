"""The cache stays bounded: what goes by age, by code version and by size, and 100 one-school edits in a row."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from schoolnet.cache import Cache, code_version
from tests.conftest import ROOT, invoke

DAY = 86400.0
KIB = 1024


@dataclass(frozen=True)
class Entry:
    name: str
    version: str  # "this" or another code version's namespace
    age: float  # seconds since its last use
    size: int = KIB
    used_now: bool = False  # read or written by the running command


@dataclass(frozen=True)
class Case:
    entries: list[Entry]
    limit_kib: float
    gone: set[str]


CASES = {
    "unused for longer than the age limit": Case(
        [Entry("old", "this", 31 * DAY), Entry("recent", "this", 29 * DAY)], 1024, {"old"}),
    "another version's namespace a day after its last use": Case(
        [Entry("a", "v-old", 2 * DAY), Entry("b", "v-old", 3 * DAY), Entry("c", "v-hour", 3600)], 1024, {"a", "b"}),
    "past the size limit: other versions first, then the least recently used": Case(
        [Entry("other", "v-hour", 60), Entry("lru", "this", 600), Entry("mru", "this", 10), Entry("mid", "this", 300)],
        3.5, {"other", "lru"}),
    "what the running command used stays, whatever its age or the size": Case(
        [Entry("used", "this", 60 * DAY, used_now=True), Entry("older", "this", 700), Entry("newer", "this", 5)],
        2.6, {"older"}),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_pruning_removes_by_age_version_and_size(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHOOLNET_CACHE_MAX_MB", str(case.limit_kib / 1024))
    cache = Cache(tmp_path)
    now = time.time()
    paths = {}
    for entry in case.entries:
        if entry.version == "this":
            cache.put(entry.name, b"x" * (entry.size - 60))  # pickled with the header: about `size` bytes
            path = cache._path(entry.name)
        else:
            path = tmp_path / entry.version / "ab" / entry.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x" * entry.size)
        os.utime(path, (now - entry.age, now - entry.age))
        paths[entry.name] = path
    cache.used = {str(paths[e.name]) for e in case.entries if e.used_now}
    pruned = cache.prune(now)
    assert {name for name, path in paths.items() if not path.exists()} == case.gone
    assert pruned.entries == len(case.gone)
    assert not any(p.exists() and not any(p.iterdir()) for p in tmp_path.glob("v-*")), "an emptied namespace goes"


def test_a_write_in_progress_is_not_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHOOLNET_CACHE_MAX_MB", "0.0001")
    cache = Cache(tmp_path)
    temp = cache.directory / "ab" / ".entry-partial"
    temp.parent.mkdir(parents=True)
    temp.write_bytes(b"x" * 4096)
    cache.prune()
    assert temp.exists()


def _cache_files(cache: Path) -> set[str]:
    return {str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file() and p.name != ".pruned"}


def test_the_cache_stays_bounded_over_100_one_school_edits(small_programme: Path, tmp_path: Path) -> None:
    """`ci` after each of 100 one-school edits (a tablet's MAC), each command pruning as it ends: the cache
    never holds more than its limit, entries are really removed, and the fast path stays taken."""
    repo = tmp_path / "repo"
    shutil.copytree(small_programme, repo / "inventory")
    shutil.copytree(ROOT / "templates", repo / "templates")
    cache = tmp_path / "cache"
    stale = cache / "0.1.0-an-older-version" / "ab" / "entry"  # an older version's namespace, two days unused
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"x" * 100_000)
    os.utime(stale, (time.time() - 2 * DAY,) * 2)
    env = {"SCHOOLNET_CACHE_DIR": str(cache), "SCHOOLNET_CACHE_PRUNE_EVERY": "0"}
    before = Path.cwd()
    os.chdir(repo)
    try:
        assert invoke("ci", env=env)[0] == 0
        assert invoke("ci", env=env)[0] == 0  # fast path, and its state
        assert not stale.exists(), "another version's namespace, unused for two days, was pruned"
        base = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
        limit = int(base * 1.5)
        env["SCHOOLNET_CACHE_MAX_MB"] = str(limit / 2**20)
        school = sorted((repo / "inventory" / "schools").glob("*/*.yaml"))[5]
        seen: set[str] = set()
        taken = []
        for edit in range(100):
            text = school.read_text()
            line = next(x for x in text.splitlines() if x.strip().startswith("mac:"))
            school.write_text(text.replace(line, f'{line.split("mac:")[0]}mac: "02:ee:00:01:{edit // 256:02x}:'
                                                 f'{edit % 256:02x}"', 1))
            code, out = invoke("ci", env=env)
            assert code == 0, out
            taken.append("fast path taken" in out)
            size = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
            assert size <= limit, f"edit {edit}: the cache holds {size} bytes, its limit is {limit}"
            seen |= _cache_files(cache)
        assert len(seen) > len(_cache_files(cache)) + 100, "entries were written and pruned, not merely kept"
        assert all(taken[-10:]), "pruning keeps what the next run needs: the fast path is still taken"
    finally:
        os.chdir(before)
    assert (cache / code_version()).is_dir()
