"""A content-addressed store of what is expensive to compute again: parsed documents, typed
objects, validator verdicts.

An entry is found by a key that names everything its value depends on (the sha256 of a
file's bytes, a validator's program, ...), inside a namespace named by the code that wrote
it (schoolnet's version and the digest of its own source, Python's, pydantic's and
PyYAML's versions).  Another version never reads this one's entries.  An entry is written
whole (temporary file, then rename) and stores the digest of its payload: a torn, truncated
or edited entry, or one that does not unpickle, is a miss, never a value.  Nothing that
describes a problem is cached by the loaders, so a bad input is always read again.

Where it lives: `$SCHOOLNET_CACHE_DIR` if set, else `.schoolnet-cache/` beside the inventory
directory (the repository root; ignored by git).  Clear it with `rm -rf .schoolnet-cache`.

It stays bounded (`prune`): an entry's modification time is its last use (refreshed on a read at
most once an hour); entries unused for SCHOOLNET_CACHE_MAX_AGE_DAYS (30) go, the namespaces of other
code versions go a day after their last use, and past SCHOOLNET_CACHE_MAX_MB (1024) the least recently
used go first, other versions before this one's, until a fifth is free.  What the running command read
or wrote is never pruned by it.  A command prunes when it ends, at most once per
SCHOOLNET_CACHE_PRUNE_EVERY seconds (3600) for one cache directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DIRECTORY = ".schoolnet-cache"
ENVIRONMENT = "SCHOOLNET_CACHE_DIR"
_MAGIC = b"schoolnet-cache-1\n"
TOUCH_AFTER = 3600.0  # seconds: a read refreshes an entry's time when it is older than this
OTHER_VERSION_AGE = 86400.0  # seconds since its last use after which another code version's namespace goes
STAMP = ".pruned"  # in the cache directory: when it was last pruned
_opened: list[Cache] = []  # the caches this process opened, pruned when its command ends (settle)


def _setting(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        return float(value) if value and float(value) >= 0 else default
    except ValueError:
        return default


# The stages whose code computes what is cached (load, model, addresses, rules, secrets' names,
# contexts and digests, validators, the last clean run's state) and the modules they import; a stage
# never imports a later one or the CLI, so editing deploy, the lab or the report does not empty the cache.
STAGES = ("inventory", "model", "ipam", "validate", "secrets", "render", "check", "delta")
SHARED = ("__init__.py", "cache.py", "problems.py", "rulebook.py", "contained.py", "atomic.py")


@cache
def code_version() -> str:
    """What decides the cached values: the source of every stage that computes them and the versions
    of Python and of the libraries that build the cached objects.  Editing one of those files starts a
    new namespace."""
    import jinja2
    import pydantic
    import yaml

    import schoolnet

    digest = hashlib.sha256()
    for part in (schoolnet.__version__, sys.version, pydantic.VERSION, yaml.__version__, jinja2.__version__):
        digest.update(part.encode() + b"\0")
    package = Path(schoolnet.__file__).parent
    sources = [package / name for name in SHARED]
    for stage in STAGES:
        sources += sorted((package / stage).rglob("*.py"))
    for path in sources:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{schoolnet.__version__}-{digest.hexdigest()[:16]}"


def key(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part.encode() if isinstance(part, str) else part) + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Pruned:
    entries: int
    freed: int  # bytes
    left: int  # bytes the cache directory holds afterwards


class Cache:
    """The entries this code version wrote under the cache directory; `enabled=False` is `--no-cache`."""

    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.enabled = enabled
        self.root = root
        self.directory = root / code_version()
        self.hits = 0
        self.misses = 0
        self.used: set[str] = set()  # entry paths this process read or wrote: pruning leaves them

    def _path(self, name: str) -> Path:
        hashed = hashlib.sha256(name.encode()).hexdigest()  # spread over 256 directories, whatever the name
        return self.directory / hashed[:2] / hashed

    def get(self, name: str) -> Any | None:
        """The value stored under `name`, or None (absent, corrupt, unreadable: all the same)."""
        if not self.enabled:
            return None
        path = self._path(name)
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except OSError:
            self.misses += 1
            return None
        try:
            with os.fdopen(descriptor, "rb") as handle:
                blob = handle.read()
                if time.time() - os.fstat(handle.fileno()).st_mtime > TOUCH_AFTER:
                    os.utime(handle.fileno())  # its time is its last use, to within the hour
        except OSError:
            self.misses += 1
            return None
        value = _decode(blob)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
            self.used.add(str(path))
        return value

    def put(self, name: str, value: Any) -> None:
        """Store `value` whole or not at all; a read-only or full disk only costs the next run time."""
        if not self.enabled:
            return
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        path = self._path(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temp = tempfile.mkstemp(prefix=".entry-", dir=path.parent)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(temp, path)
            self.used.add(str(path))
        except OSError:
            return

    def discard(self, name: str) -> None:
        """Remove an entry nothing names any more (a state's superseded parts); absent is fine."""
        if not self.enabled:
            return
        try:
            self._path(name).unlink()
        except OSError:
            return

    def prune_if_due(self) -> Pruned | None:
        """`prune`, unless this cache directory was pruned less than SCHOOLNET_CACHE_PRUNE_EVERY seconds ago."""
        if not self.enabled or not self.root.is_dir():
            return None
        every = _setting("SCHOOLNET_CACHE_PRUNE_EVERY", 3600)
        with contextlib.suppress(OSError):
            if time.time() - (self.root / STAMP).stat().st_mtime < every:
                return None
        return self.prune()

    def prune(self, now: float | None = None) -> Pruned:
        """Remove what is unused for long, other code versions' namespaces, and past the size limit the least
        recently used (module docstring).  Another process may be reading what goes: it misses, as with any
        absent entry."""
        now = time.time() if now is None else now
        max_age = _setting("SCHOOLNET_CACHE_MAX_AGE_DAYS", 30) * 86400
        limit = int(_setting("SCHOOLNET_CACHE_MAX_MB", 1024) * 2**20)
        found = _entries(self.root)
        newest = {namespace: max((mtime for _, _, mtime in entries), default=0.0)
                  for namespace, entries in found.items()}
        gone: list[tuple[str, int]] = []
        kept: list[tuple[bool, float, str, int]] = []  # (this version's, last use, path, size)
        for namespace, entries in found.items():
            mine = namespace == self.directory.name
            stale = not mine and now - newest[namespace] > OTHER_VERSION_AGE
            for path, size, mtime in entries:
                if path in self.used:
                    continue
                if stale or now - mtime > max_age:
                    gone.append((path, size))
                else:
                    kept.append((mine, mtime, path, size))
        total = sum(size for entries in found.values() for _, size, _ in entries) - sum(size for _, size in gone)
        if total > limit:
            for _, _, path, size in sorted(kept):  # other versions first, then the least recently used
                if total <= limit * 0.8:
                    break
                gone.append((path, size))
                total -= size
        for path, _ in gone:
            try:
                os.unlink(path)
            except OSError:
                continue
        _remove_empty(self.root, self.directory)
        with contextlib.suppress(OSError):
            (self.root / STAMP).touch()
        return Pruned(len(gone), sum(size for _, size in gone), total)


def _entries(root: Path) -> dict[str, list[tuple[str, int, float]]]:
    """Per namespace, every entry (path, size, time of last use); a write in progress (a young temporary
    file) is not an entry."""
    found: dict[str, list[tuple[str, int, float]]] = {}
    try:
        namespaces = [entry for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return found
    young = time.time() - TOUCH_AFTER
    for namespace in namespaces:
        entries = found.setdefault(namespace.name, [])
        for bucket in os.scandir(namespace.path):
            if not bucket.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(bucket.path):
                info = entry.stat(follow_symlinks=False)
                if entry.name.startswith(".entry-") and info.st_mtime > young:
                    continue
                entries.append((entry.path, info.st_size, info.st_mtime))
    return found


def _remove_empty(root: Path, keep: Path) -> None:
    """Buckets left empty, and namespaces left empty but this version's."""
    for namespace in [p for p in root.iterdir() if p.is_dir() and not p.is_symlink()]:
        for bucket in [p for p in namespace.iterdir() if p.is_dir()]:
            try:
                bucket.rmdir()
            except OSError:
                continue
        if namespace != keep and not any(namespace.iterdir()):
            shutil.rmtree(namespace, ignore_errors=True)


def _decode(blob: bytes) -> Any | None:
    head = len(_MAGIC)
    if not blob.startswith(_MAGIC) or len(blob) < head + 32:
        return None
    digest, payload = blob[head:head + 32], blob[head + 32:]
    if hashlib.sha256(payload).digest() != digest:
        return None
    try:
        return pickle.loads(payload)  # our own entries, checked against their digest
    except Exception:  # an entry from a broken write or another build: a miss
        return None


def cache_root(inventory: Path) -> Path:
    """`$SCHOOLNET_CACHE_DIR`, else `.schoolnet-cache/` in the repository (the inventory's parent)."""
    configured = os.environ.get(ENVIRONMENT)
    if configured:
        return Path(configured)
    return inventory.resolve().parent / DIRECTORY


def open_cache(inventory: Path, enabled: bool = True) -> Cache:
    opened = Cache(cache_root(inventory), enabled)
    _opened.append(opened)
    return opened


def settle() -> None:
    """At the end of a command: prune each cache it opened, if that is due (never an error of the command)."""
    while _opened:
        opened = _opened.pop()
        try:
            opened.prune_if_due()
        except OSError:
            continue
