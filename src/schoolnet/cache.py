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
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

DIRECTORY = ".schoolnet-cache"
ENVIRONMENT = "SCHOOLNET_CACHE_DIR"
_MAGIC = b"schoolnet-cache-1\n"


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


class Cache:
    """The entries this code version wrote under the cache directory; `enabled=False` is `--no-cache`."""

    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.enabled = enabled
        self.directory = root / code_version()
        self.hits = 0
        self.misses = 0

    def _path(self, name: str) -> Path:
        hashed = hashlib.sha256(name.encode()).hexdigest()  # spread over 256 directories, whatever the name
        return self.directory / hashed[:2] / hashed

    def get(self, name: str) -> Any | None:
        """The value stored under `name`, or None (absent, corrupt, unreadable: all the same)."""
        if not self.enabled:
            return None
        try:
            blob = self._path(name).read_bytes()
        except OSError:
            self.misses += 1
            return None
        value = _decode(blob)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
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
    return Cache(cache_root(inventory), enabled)
