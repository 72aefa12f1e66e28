"""Host input digests remembered by the bytes they were computed from, so an unchanged host costs a
look-up instead of its whole template context.

A school host's context is built from its school's file, the programme, the hardware catalog,
the ledger and the data centers' files; a data-center host's from all of those and every
school (the fleet-wide summaries).  Its digest also covers the templates and the secrets.  So
the key of a host's digest is: the sha256 of each of those files, the templates' bytes, the
encrypted secrets file's bytes, the hostname, and (as the cache's namespace) schoolnet's code,
which decides what a context reads.  Same key, same digest: it is not computed again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from schoolnet.cache import Cache, key
from schoolnet.model.fleet import Fleet, Host


class DigestMemo:
    """One table per shared inputs (everything but the schools), read and written whole."""

    def __init__(self, fleet: Fleet, templates_dir: Path, secrets_file: Path, cache: Cache) -> None:
        self.cache = cache
        self.fleet = fleet
        docs = [fleet.doc(fleet.programme), fleet.doc(fleet.hardware), fleet.doc(fleet.ledger),
                *(fleet.doc(dc) for dc in fleet.datacenters)]
        schools = [fleet.doc(school) for school in fleet.schools]
        self.usable = all(doc.sha256 for doc in [*docs, *schools])
        shared = key("render-inputs", *(d.sha256 for d in docs), file_digest(secrets_file),
                     tree_digest(templates_dir))
        self.table_name = shared
        self.fleet_key = key(shared, *(f"{d.path}={d.sha256}" for d in schools))
        stored = cache.get(shared) if self.usable else None
        self.table: dict[str, str] = stored if isinstance(stored, dict) else {}
        self.changed = False

    def key(self, host: Host) -> str:
        owner = key(self.table_name, self.fleet.doc(host.school).sha256) if host.school is not None \
            else self.fleet_key
        return key(owner, host.hostname)

    def get(self, host: Host) -> str | None:
        return self.table.get(self.key(host)) if self.usable else None

    def put(self, host: Host, digest: str) -> None:
        if self.usable and self.table.get(self.key(host)) != digest:
            self.table[self.key(host)] = digest
            self.changed = True

    def save(self) -> None:
        if self.changed:
            self.cache.put(self.table_name, self.table)


def file_digest(path: Path) -> str:
    """A file's sha256, or \"missing\" when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def tree_digest(root: Path) -> str:
    """Every file under `root`, by relative path and bytes: the templates, as one value."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
