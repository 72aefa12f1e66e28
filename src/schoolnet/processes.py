"""Processes a command started (lab hosts, NetBox services), recorded so that only they are ever signalled.

A PID alone is not an identity: once the process exits, or after a reboot (the lab's
state file outlives both), the same number can belong to anything.  A record holds the
PID, the kernel's boot id and the process's start time (clock ticks since boot, field 22
of /proc/PID/stat); it stands for a running process only while all three match, and the
lab signals nothing else.  After a reboot every record reads as stopped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boot_id() -> str:
    return BOOT_ID.read_text().strip()


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


@dataclass(frozen=True)
class Process:
    pid: int
    start: int  # clock ticks after boot; -1: unknown (a record written before start times were kept)
    boot: str

    @classmethod
    def of(cls, pid: int) -> Process:
        """The record of a process running now (one the lab has just started)."""
        fields = _stat(pid)
        return cls(pid, int(fields[19]) if fields else -1, boot_id())

    @classmethod
    def load(cls, data: Any) -> Process:
        if isinstance(data, int):  # an older state file: a bare PID, which nothing can verify
            return cls(data, -1, "")
        return cls(int(data["pid"]), int(data["start"]), str(data["boot"]))

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def verifiable(self) -> bool:
        return self.start >= 0 and bool(self.boot)

    def running(self) -> bool:
        """Still the very process that was recorded, and not a zombie (a forwarder whose parent
        has exited is reaped only when init gets round to it; waiting for that would stall `down`)."""
        if not self.verifiable or self.boot != boot_id():
            return False
        fields = _stat(self.pid)
        return fields is not None and fields[0] != "Z" and int(fields[19]) == self.start

    def signal(self, number: int) -> bool:
        """Send `number` if this is still the recorded process; True if it was sent."""
        if not self.running():
            return False
        try:
            os.kill(self.pid, number)
        except ProcessLookupError:
            return False
        return True

    def stop(self, wait: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `wait` seconds, each only while it is still the recorded process."""
        if not self.signal(signal.SIGTERM):
            return
        deadline = time.monotonic() + wait
        while self.running() and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, os.WNOHANG)  # reap it if it is our child, so it stops being "running"
            time.sleep(0.1)
        self.signal(signal.SIGKILL)
