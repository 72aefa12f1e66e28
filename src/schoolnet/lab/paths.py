"""Where the lab keeps its state on this machine: outside the repository, root-owned."""

from __future__ import annotations

import os
import re
from pathlib import Path

LAB_DIR = Path(os.environ.get("SCHOOLNET_LAB_DIR", "/var/lib/schoolnet-lab"))
CACHE_DIR = Path(os.environ.get("SCHOOLNET_LAB_CACHE", "/var/cache/schoolnet-lab"))
RUN_DIR = Path(os.environ.get("SCHOOLNET_LAB_RUN", "/run/schoolnet-lab"))

# Two labs on one machine (a user's and the tests') must not share names, addresses or ports.
PREFIX = os.environ.get("SCHOOLNET_LAB_PREFIX", "snl")
def _number(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    return int(value) if value.isdigit() else -1  # refused with one line by settings_problem()


LOOPBACK_OCTET = _number("SCHOOLNET_LAB_LOOPBACK", 20)  # hosts get 127.<this>.x.y
APT_PORT = _number("SCHOOLNET_LAB_APT_PORT", 3142)

BASE_ARCHIVE = CACHE_DIR / "base-bookworm.tar.zst"
BASE_DIR = LAB_DIR / "base"
HOSTS_DIR = LAB_DIR / "hosts"
KEY = LAB_DIR / "keys" / "id_ed25519"
STATE = LAB_DIR / "state.json"
APT_SOCKET = RUN_DIR / "apt.sock"
LOGS = LAB_DIR / "logs"


def settings_problem() -> str:
    """Why the lab's settings cannot be used (they become names of namespaces, bridges and cgroups)."""
    if not re.fullmatch(r"[a-z][a-z0-9]{0,7}", PREFIX):
        return f"SCHOOLNET_LAB_PREFIX={PREFIX!r}: use 1-8 lowercase letters and digits, starting with a letter"
    if not 1 <= LOOPBACK_OCTET <= 254:
        return f"SCHOOLNET_LAB_LOOPBACK={LOOPBACK_OCTET}: use a number from 1 to 254"
    if not 1024 <= APT_PORT <= 65535:
        return f"SCHOOLNET_LAB_APT_PORT={APT_PORT}: use a port from 1024 to 65535"
    return ""
