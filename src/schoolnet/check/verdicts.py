"""Verdicts remembered across runs: identical bytes are never checked twice by the same program.

A verdict is what a validator found in one file (its findings, or none).  Its key names
everything the verdict depends on: the validator, the file's sha256, its name and role
(a validator may read them), and the identity of each program the validator runs: the
sha256 of the program file, and of the package database (/var/lib/dpkg/status) that
records the versions of the libraries it loads.  An upgrade of the program or of anything
installed beside it is a new key; schoolnet's own code is the cache's namespace.

A failing verdict on a file that holds secrets is not stored: the program may have quoted
a secret line, and the cache is plain files.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from schoolnet.cache import Cache, key
from schoolnet.check.registry import Finding, Validator, find_program

PACKAGE_DATABASE = Path("/var/lib/dpkg/status")

GroupKey = tuple[str, str, str, str]  # validator, sha256, file name, role


class Verdicts:
    """Stored findings by group key, one table per program identity (tens of thousands of verdicts at
    national scale: one read per validator, not one per file); identities are computed once per run."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self._programs: dict[str, str] = {}
        self._tables: dict[str, dict[GroupKey, list[Finding]]] = {}
        self._new: dict[str, dict[GroupKey, list[Finding]]] = {}
        self.reused = 0

    def _file_digest(self, path: Path) -> str:
        """A file's sha256, remembered under its stat signature so a 100 MB program is read once."""
        try:
            info = path.stat()
        except OSError:
            return "missing"
        signature = key("stat", str(path), str(info.st_size), str(info.st_mtime_ns), str(info.st_ctime_ns),
                        str(info.st_ino))
        known = self.cache.get(signature)
        if isinstance(known, str):
            return known
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        self.cache.put(signature, digest.hexdigest())
        return digest.hexdigest()

    def program_identity(self, validator: Validator) -> str:
        if validator.name not in self._programs:
            parts = [validator.name, self._file_digest(PACKAGE_DATABASE)]
            for program in validator.programs:
                found = find_program(program)
                parts.append(f"{program}={self._file_digest(Path(os.path.realpath(found))) if found else 'none'}")
            self._programs[validator.name] = key("verdicts", *parts)
        return self._programs[validator.name]

    def _table(self, identity: str) -> dict[GroupKey, list[Finding]]:
        if identity not in self._tables:
            stored = self.cache.get(identity)
            self._tables[identity] = stored if isinstance(stored, dict) else {}
        return self._tables[identity]

    def get(self, group: GroupKey, validator: Validator) -> list[Finding] | None:
        found = self._table(self.program_identity(validator)).get(group)
        if not isinstance(found, list) or not all(isinstance(f, Finding) for f in found):
            return None
        self.reused += 1
        return found

    def put(self, group: GroupKey, validator: Validator, findings: list[Finding], holds_secrets: bool) -> None:
        if findings and holds_secrets:
            return
        self._new.setdefault(self.program_identity(validator), {})[group] = findings

    def save(self) -> None:
        """Merge this run's verdicts into each table as stored now (another run may have added some)."""
        for identity, found in self._new.items():
            stored = self.cache.get(identity)
            table = stored if isinstance(stored, dict) else {}
            table.update(found)
            self.cache.put(identity, table)
        self._new.clear()
