"""Where a local NetBox keeps its state on this machine: outside the repository, root-owned.

Two NetBoxes on one machine (a user's and the tests') must not share a directory or ports:
each setting can be overridden from the environment, as the lab's can.
"""

from __future__ import annotations

import os
from pathlib import Path

NETBOX_VERSION = "4.7.3"  # the PyPI release the runtime installs; part of every cache key
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")

INSTANCE_DIR = Path(os.environ.get("SCHOOLNET_NETBOX_DIR", "/var/lib/schoolnet-netbox"))
CACHE_DIR = Path(os.environ.get("SCHOOLNET_NETBOX_CACHE", "/var/cache/schoolnet-netbox"))


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    return int(value) if value.isdigit() else -1  # refused with one line by settings_problem()


# The web port; PostgreSQL, Redis and gunicorn take the three ports after it.
HTTP_PORT = _number("SCHOOLNET_NETBOX_PORT", 8470)
POSTGRES_PORT = HTTP_PORT + 1
REDIS_PORT = HTTP_PORT + 2
GUNICORN_PORT = HTTP_PORT + 3
ADDRESS = "127.0.0.1"
# gunicorn's processes and threads for the local NetBox (benchmarks/netbox.py measured the choices on 2 cores)
WORKERS = _number("SCHOOLNET_NETBOX_WORKERS", 3)
THREADS = _number("SCHOOLNET_NETBOX_THREADS", 1)

STATE = INSTANCE_DIR / "state.json"
TOKEN_FILE = INSTANCE_DIR / "token"
PASSWORD_FILE = INSTANCE_DIR / "admin-password"
LOGS = INSTANCE_DIR / "logs"


def settings_problem() -> str:
    """Why the settings cannot be used, or ''."""
    if not 1024 <= HTTP_PORT <= 65532:
        return f"SCHOOLNET_NETBOX_PORT={os.environ.get('SCHOOLNET_NETBOX_PORT')!r}: use a port from 1024 to 65532"
    for name, number in (("SCHOOLNET_NETBOX_WORKERS", WORKERS), ("SCHOOLNET_NETBOX_THREADS", THREADS)):
        if not 1 <= number <= 32:
            return f"{name}={os.environ.get(name)!r}: use a number from 1 to 32"
    for name, path in (("SCHOOLNET_NETBOX_DIR", INSTANCE_DIR), ("SCHOOLNET_NETBOX_CACHE", CACHE_DIR)):
        if not path.is_absolute() or ".." in path.parts:
            return f"{name}={str(path)!r}: use an absolute path without '..'"
    return ""
