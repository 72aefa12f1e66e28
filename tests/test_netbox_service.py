"""`schoolnet netbox up|down|status` against real PostgreSQL, Redis, gunicorn and nginx (root).

The session's NetBox (tests/netbox_instance.py) proves `up` from the cached database; these
tests start a second, short-lived instance to prove what only a whole start and stop shows.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.netbox_instance import NetboxUnderTest, netbox_cli

OTHER_DIR = Path("/var/lib/schoolnet-netbox-test-other")


def _api(url: str, token: str) -> int:
    request = urllib.request.Request(f"{url}/api/status/", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _other_env(port: int) -> dict[str, str]:
    return {**os.environ, "SCHOOLNET_NETBOX_DIR": str(OTHER_DIR), "SCHOOLNET_NETBOX_PORT": str(port)}


def test_up_serves_the_api_and_the_ui_and_status_says_so(netbox_server: NetboxUnderTest) -> None:
    status = netbox_cli("status", "--format", "json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["services"] == {"postgres": "running", "redis": "running", "gunicorn": "running",
                                  "nginx": "running"}
    assert report["netbox"] == "4.7.3" and report["cache_ready"] is True
    assert _api(netbox_server.url, netbox_server.token) == 200
    assert _api(netbox_server.url, "nbt_wrongwrong12.0000000000000000000000000000000000000000") == 403
    # nginx serves NetBox's own stylesheet, so the UI a user logs in to is styled
    with urllib.request.urlopen(f"{netbox_server.url}/static/netbox.css", timeout=10) as answer:
        assert answer.status == 200 and len(answer.read()) > 100_000
    # the token and the admin password are the root's alone
    for name in ("token", "admin-password"):
        assert (Path(str(netbox_server.env["SCHOOLNET_NETBOX_DIR"])) / name).stat().st_mode & 0o077 == 0


def test_down_stops_only_what_up_recorded_and_up_again_takes_seconds(netbox_server: NetboxUnderTest) -> None:
    env = _other_env(8490)
    netbox_cli("down", "--wipe", env=env)
    try:
        up = netbox_cli("up", env=env)
        assert up.returncode == 0, up.stderr
        state: dict[str, Any] = json.loads((OTHER_DIR / "state.json").read_text())
        pids = {name: record["pid"] for name, record in state["processes"].items()}
        assert set(pids) == {"postgres", "redis", "gunicorn", "nginx"}
        # A record whose start time is not the running process's: a reused PID, never signalled.
        decoy = subprocess.Popen(["sleep", "300"])
        state["processes"]["decoy"] = {"pid": decoy.pid, "start": 1, "boot": state["processes"]["redis"]["boot"]}
        (OTHER_DIR / "state.json").write_text(json.dumps(state))
        down = netbox_cli("down", env=env)
        assert down.returncode == 0, down.stderr
        for name, pid in pids.items():
            assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"{name} (pid {pid}) still runs"
        assert decoy.poll() is None, "down signalled a process it did not start"
        decoy.kill()
        decoy.wait()
        # the data stays: the next up reuses it, and needs no new token
        token = (OTHER_DIR / "token").read_text()
        started = time.monotonic()
        again = netbox_cli("up", env=env)
        took = time.monotonic() - started
        assert again.returncode == 0, again.stderr
        assert (OTHER_DIR / "token").read_text() == token
        assert _api("http://127.0.0.1:8490", token.strip()) == 200
        assert took < 120, f"a second up took {took:.0f} s"
    finally:
        wiped = netbox_cli("down", "--wipe", env=env)
        assert wiped.returncode == 0, wiped.stderr
    assert not OTHER_DIR.exists()


def test_a_first_start_cut_short_is_started_over_not_served_half_made(netbox_server: NetboxUnderTest) -> None:
    """A first `up` interrupted before the schema was in (Ctrl-C in the migration) leaves a cluster without
    NetBox's tables: the next `up` must make the instance's database again, not serve that one."""
    env = _other_env(8490)
    netbox_cli("down", "--wipe", env=env)
    try:
        assert netbox_cli("up", env=env).returncode == 0
        assert netbox_cli("down", env=env).returncode == 0
        for name in ("migrated", "token", "admin-password"):  # what only a whole first start writes
            (OTHER_DIR / name).unlink(missing_ok=True)
        pgdata = OTHER_DIR / "pgdata"
        subprocess.run(["rm", "-rf", str(pgdata)], check=True)
        pgdata.mkdir(mode=0o700)
        subprocess.run(["chown", "postgres:postgres", str(pgdata)], check=True)
        subprocess.run(["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/initdb", "-D", str(pgdata),
                        "-U", "netbox", "--auth=trust"], check=True, capture_output=True)
        again = netbox_cli("up", env=env)
        assert again.returncode == 0, again.stderr
        assert "copying the cached migrated database" in again.stderr
        assert _api("http://127.0.0.1:8490", (OTHER_DIR / "token").read_text().strip()) == 200
    finally:
        assert netbox_cli("down", "--wipe", env=env).returncode == 0


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_port_in_use_is_one_line_and_starts_nothing(netbox_server: NetboxUnderTest) -> None:
    env = _other_env(8494)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 8494))
        squatter.listen()
        up = netbox_cli("up", env=env)
    try:
        assert up.returncode == 1
        assert "127.0.0.1:8494 (for nginx) is in use" in up.stderr and "SCHOOLNET_NETBOX_PORT" in up.stderr
        assert "Traceback" not in up.stderr
        running = json.loads(netbox_cli("status", "--format", "json", env=env).stdout)["services"]
        assert set(running.values()) == {"stopped"}
    finally:
        netbox_cli("down", "--wipe", env=env)
