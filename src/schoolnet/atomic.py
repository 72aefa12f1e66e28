"""Change files whole or not at all, one writer at a time.

- `write_atomically`: a reviewed file (ledger, secrets, lab environment) is replaced by a
  complete new one, flushed to disk first, with the mode asked for; an interrupted run
  leaves the old file.
- `exchange`: two directory trees trade places in one step (build/ and its replacement),
  so there is never a moment without one.
- `locked`: one writer of a directory's contents at a time (render, ipam allocate); readers
  that must see one consistent tree (deploy) take it shared.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_libc = ctypes.CDLL(None, use_errno=True)


def write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    descriptor, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """The rename itself reaches the disk only when the directory does."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def exchange(new: Path, current: Path) -> None:
    """Put `new` where `current` is and `current` where `new` was, in one step (renameat2 with
    RENAME_EXCHANGE); `current` need not exist.  Where the file system cannot exchange, two renames."""
    if not current.exists():
        os.rename(new, current)
        return
    if _libc.renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(current), _RENAME_EXCHANGE) == 0:
        return
    error = ctypes.get_errno()
    if error not in (errno.EINVAL, errno.ENOSYS):
        raise OSError(error, os.strerror(error), str(current))
    aside = new.with_name(new.name + ".old")
    os.rename(current, aside)
    os.rename(new, current)
    os.rename(aside, new)


@contextmanager
def locked(directory: Path, shared: bool = False) -> Iterator[None]:
    """Hold a lock on `directory` (flock on the directory itself: nothing is left behind), waiting
    for whoever holds it."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
