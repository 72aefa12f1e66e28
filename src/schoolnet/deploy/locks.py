"""One run at a time per host, within one repository and one environment.

A deploy, a switch push and a switch rotation lock each host they change; a dry run (`plan`,
`switches audit`) changes nothing and takes no lock.  The locks live in the repository's own
state, `deploys/.locks/<environment>/<host>`, so two clones, or two environments of one clone,
never block each other; the same host in the same environment of the same clone is refused
while another run holds it, and the refusal names that run (its lock file says who took it).
Two clones deploying one real host at once are still kept apart on the host itself: the role
change there holds a lock of its own (`schoolnet.deploy.transaction`).
"""

from __future__ import annotations

import fcntl
import getpass
import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from schoolnet.contained import child

LOCKS = Path("deploys") / ".locks"


def lock_dir(root: Path, environment: str) -> Path:
    """Where the locks of `environment` in the repository at `root` live."""
    return child(root.resolve() / LOCKS, environment)


def _me(what: str) -> str:
    operator = os.environ.get("SUDO_USER") or getpass.getuser()
    since = datetime.now(UTC).isoformat(timespec="seconds")
    return f"{what} by {operator}@{socket.gethostname()}, pid {os.getpid()}, since {since}"


def _take(stack: ExitStack, directory: Path, hostname: str, what: str) -> str:
    """Lock `hostname` for the life of `stack`: "" when taken, else who holds it."""
    descriptor = os.open(child(directory, hostname), os.O_RDWR | os.O_CREAT, 0o644)
    stack.callback(os.close, descriptor)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(descriptor, 4096, 0).decode("utf-8", "replace").strip()
        return holder or "another run"
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, (_me(what) + "\n").encode(), 0)
    return ""


@contextmanager
def host_locks(directory: Path, hostnames: list[str], what: str) -> Iterator[dict[str, str]]:
    """Hold the lock of every host of `hostnames` that is free; yields, per host, "" when this run holds
    it, else who does (`what` says what this run is, for whoever finds it held)."""
    directory.mkdir(parents=True, exist_ok=True)
    ignore = directory.parent / ".gitignore"  # a programme repository commits deploys/, never its locks
    if not ignore.exists():
        ignore.write_text("# run-time locks of deploys and switch pushes: never committed\n*\n")
    with ExitStack() as stack:
        yield {name: _take(stack, directory, name, what) for name in hostnames}


@contextmanager
def host_lock(directory: Path, hostname: str, what: str) -> Iterator[str]:
    """One host's lock: yields "" when held, else who holds it."""
    with host_locks(directory, [hostname], what) as held:
        yield held[hostname]


def locked_reason(holder: str) -> str:
    """The outcome of a host another run holds: who holds it, and that it was left alone."""
    return (f"locked by another run in this environment from this repository ({holder}): not touched; "
            "try again when it ends")
