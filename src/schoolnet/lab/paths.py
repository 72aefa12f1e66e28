"""Where the lab keeps its state on this machine: outside the repository, root-owned."""

from __future__ import annotations

import os
from pathlib import Path

LAB_DIR = Path(os.environ.get("SCHOOLNET_LAB_DIR", "/var/lib/schoolnet-lab"))
CACHE_DIR = Path(os.environ.get("SCHOOLNET_LAB_CACHE", "/var/cache/schoolnet-lab"))
RUN_DIR = Path(os.environ.get("SCHOOLNET_LAB_RUN", "/run/schoolnet-lab"))

# Two labs on one machine (a user's and the tests') must not share names, addresses or ports.
PREFIX = os.environ.get("SCHOOLNET_LAB_PREFIX", "snl")
LOOPBACK_OCTET = int(os.environ.get("SCHOOLNET_LAB_LOOPBACK", "20"))  # hosts get 127.<this>.x.y
APT_PORT = int(os.environ.get("SCHOOLNET_LAB_APT_PORT", "3142"))

BASE_ARCHIVE = CACHE_DIR / "base-bookworm.tar.zst"
BASE_DIR = LAB_DIR / "base"
HOSTS_DIR = LAB_DIR / "hosts"
KEY = LAB_DIR / "keys" / "id_ed25519"
STATE = LAB_DIR / "state.json"
APT_SOCKET = RUN_DIR / "apt.sock"
LOGS = LAB_DIR / "logs"
