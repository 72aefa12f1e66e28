"""One apply at a time, whoever runs it and wherever: a lock held in NetBox itself.

The lock is a tag, `schoolnet-apply-lock`, created when an apply starts and deleted when it ends (Ctrl-C
and errors included).  NetBox holds slugs unique, so of two applies that start together one creates it and
the other is refused; its description says who holds it (user, machine, process) and since when, and the
refused apply says so.  A lock whose apply was killed stays until `apply --break-lock`.  `plan` and `drift`
only read: they take no lock.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pynetbox

from schoolnet.netbox.client import talking
from schoolnet.netbox.errors import NetboxError

LOCK = "schoolnet-apply-lock"


def holder() -> str:
    user = os.environ.get("SUDO_USER") or getpass.getuser()
    return f"{user}@{socket.gethostname()} (pid {os.getpid()})"


@contextmanager
def applying(api: Any, break_lock: bool = False) -> Iterator[None]:
    """Hold NetBox's apply lock while the block runs; a NetboxError names the holder when another has it."""
    tags = api.extras.tags
    if break_lock:
        with talking(api, "breaking the apply lock"):
            held = list(tags.filter(slug=LOCK))
            if held:
                tags.delete(held)
    note = json.dumps({"by": holder(), "since": datetime.now(UTC).isoformat(timespec="seconds")})
    with talking(api, "taking the apply lock"):
        try:
            lock = tags.create(name=LOCK, slug=LOCK, color="9e9e9e", description=note)
        except pynetbox.RequestError as exc:
            if exc.req.status_code != 400:
                raise
            raise NetboxError(_held_by(api)) from None
    try:
        yield
    finally:
        with talking(api, "releasing the apply lock"):
            lock.delete()


def _held_by(api: Any) -> str:
    found = api.extras.tags.get(slug=LOCK)
    try:
        note = json.loads(found.description) if found is not None else {}
    except (TypeError, ValueError):
        note = {}
    who = note.get("by", "another apply") if isinstance(note, dict) else "another apply"
    since = note.get("since", "an unknown time") if isinstance(note, dict) else "an unknown time"
    return (f"another apply is writing to this NetBox: {who}, since {since}; wait for it, or, if that run is gone, "
            "apply with --break-lock")
