"""Whether a file in build/ still holds the bytes render wrote, without reading every file every time.

The sha256 of a file is remembered beside its stat signature (size, mtime, ctime, inode), as
git's index does.  Any write changes the ctime, which no user can set back; a signature
taken less than two seconds after the file's last change is not remembered (a second write
in the same clock tick would keep it), so such a file is read again next time.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path

from schoolnet.cache import Cache, key
from schoolnet.contained import FORBIDDEN, PathEscape

RACY_NS = 2_000_000_000
Signature = tuple[int, int, int, int]


def host_file(top: str, hostname: str, relative: str) -> str:
    """`top/hostname/relative` as a string, every component plain (as contained.beneath, without its
    pathlib joins: this runs for every file of build/); raises PathEscape."""
    parts = [hostname, *relative.lstrip("/").split("/")]
    for part in parts:
        if part in FORBIDDEN or "/" in part or "\0" in part:
            raise PathEscape(f"{part!r} is not a plain name: refusing to use it under {top}")
    return "/".join([top, *parts])


class BuildStats:
    """sha256 of files under one build directory, by stat signature, kept in the cache as one entry."""

    def __init__(self, build: Path, cache: Cache | None) -> None:
        self.cache = cache
        self.root = build.resolve()
        self.entry = key("build-stats", str(self.root))
        known = cache.get(self.entry) if cache is not None else None
        self.known: dict[str, tuple[Signature, str]] = known if isinstance(known, dict) else {}
        self.changed = False
        self._directories: dict[str, bool] = {}
        self.read = 0  # files whose bytes were read this time

    def sha256(self, path: Path | str) -> str:
        """The file's sha256, or "missing" (also for a link or anything but a regular file)."""
        name = str(path)
        try:
            info = os.lstat(name)
        except OSError:
            return "missing"
        if not stat.S_ISREG(info.st_mode):
            return "missing"
        signature = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        remembered = self.known.get(name)
        if remembered is not None and remembered[0] == signature:
            return remembered[1]
        try:
            with open(name, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            return "missing"
        self.read += 1
        if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > RACY_NS:
            self.known[name] = (signature, digest)
            self.changed = True
        elif name in self.known:
            del self.known[name]
            self.changed = True
        return digest

    def within(self, path: str, top: str) -> bool:
        """Every directory from `top` down to `path`'s is a real directory, not a link: the file cannot be
        reached through a link placed in build/.  Each directory is looked at once per run, where resolving
        every file's path would cost a system call per component (seconds at 72,000 files)."""
        directory = path[: path.rfind("/")]
        pending = []
        while directory != top and directory not in self._directories:
            if not directory.startswith(top + "/"):
                return False
            pending.append(directory)
            directory = directory[: directory.rfind("/")]
        good = directory == top or self._directories[directory]
        for each in reversed(pending):
            if good:
                try:
                    good = stat.S_ISDIR(os.lstat(each).st_mode)
                except OSError:
                    good = False
            self._directories[each] = good
        return good

    def save(self) -> None:
        if self.cache is not None and self.changed:
            self.cache.put(self.entry, self.known)
