"""The tests' own NetBox: started by `schoolnet netbox up` with its own directory and ports.

The same command a user types, so the tests prove it too.  It runs beside a user's NetBox
(other directory, ports 8480-8483) and is wiped before and after the session; with the
cached migrated database (`make test` fills the cache on its first run) it starts in seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import SCHOOLNET

TEST_DIR = Path("/var/lib/schoolnet-netbox-test")
TEST_PORT = 8480


@dataclass(frozen=True)
class NetboxUnderTest:
    url: str
    token: str
    env: dict[str, str]  # what a CLI call needs to reach it: NETBOX_URL/NETBOX_TOKEN and the instance's settings

    def state(self) -> dict[str, object]:
        data: dict[str, object] = json.loads((TEST_DIR / "state.json").read_text())
        return data


def service_env() -> dict[str, str]:
    return {**os.environ, "SCHOOLNET_NETBOX_DIR": str(TEST_DIR), "SCHOOLNET_NETBOX_PORT": str(TEST_PORT)}


def netbox_cli(*args: str, env: dict[str, str] | None = None,
               timeout: float = 1800.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCHOOLNET, "netbox", *args], env=env or service_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)


def started() -> Iterator[NetboxUnderTest]:
    """Wipe, start, yield, stop and wipe: each session begins with an empty NetBox."""
    netbox_cli("down", "--wipe")
    up = netbox_cli("up")
    assert up.returncode == 0, up.stderr
    token = (TEST_DIR / "token").read_text().strip()
    url = f"http://127.0.0.1:{TEST_PORT}"
    try:
        yield NetboxUnderTest(url, token, {**service_env(), "NETBOX_URL": url, "NETBOX_TOKEN": token})
    finally:
        down = netbox_cli("down", "--wipe")
        assert down.returncode == 0, down.stderr
