"""The tests' labs: settings apart from a user's lab (names, loopback range, ports), and the one lab booted
once per test session for the lab and deploy tests.

`shared_lab()` boots the small programme's two edge servers, the VPN hub and a content server, and
renders the programme: tests/test_lab.py reads it (boot, keys, segments, apt, up and down), and
tests/test_deploy.py deploys to it.  Both files run in one pytest worker (tests/conftest.py).
A test that needs another lab says why: a second lab beside this one (OTHER_LAB_ENV), the chroot
runner (tests/test_lab_chroot.py), or the reference programme's switches (tests/test_switches.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SCHOOLNET

LAB_ENV = {"SCHOOLNET_LAB_DIR": "/var/lib/schoolnet-lab-test", "SCHOOLNET_LAB_RUN": "/run/schoolnet-lab-test",
           "SCHOOLNET_LAB_PREFIX": "snt", "SCHOOLNET_LAB_LOOPBACK": "21", "SCHOOLNET_LAB_APT_PORT": "3143"}
# a second, separate lab for the tests that take one down or purge one while the first runs
OTHER_LAB_ENV = {"SCHOOLNET_LAB_DIR": "/var/lib/schoolnet-lab-test2", "SCHOOLNET_LAB_RUN": "/run/schoolnet-lab-test2",
                 "SCHOOLNET_LAB_PREFIX": "snu", "SCHOOLNET_LAB_LOOPBACK": "22", "SCHOOLNET_LAB_APT_PORT": "3144"}
EDGE, EDGE2, HUB, CONTENT = "nx-sad-001-edge", "nx-bab-001-edge", "nx-dc1-vpn-01", "nx-dc1-content-01"
SHARED_HOSTS = [EDGE, EDGE2, HUB, CONTENT]


def run(work: Path, *args: str, env: dict[str, str] | None = None,
        timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    """A schoolnet command in a programme repository, against a test lab (the shared one by default)."""
    return subprocess.run([SCHOOLNET, *args], cwd=work, env={**os.environ, **(env or LAB_ENV)}, capture_output=True,
                          text=True, timeout=timeout)


def fresh_lab(env: dict[str, str]) -> None:
    """Tests start from fresh hosts: a lab keeps each host's disk across down/up, as real hosts would."""
    result = subprocess.run([SCHOOLNET, "lab", "down", "--purge", "--inventory", str(ROOT / "inventory")],
                            env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def programme_repo(small_programme: Path, work: Path) -> Path:
    """A programme repository of its own: the small programme's inventory and the templates."""
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(small_programme), str(work / "inventory")], check=True)
    shutil.copytree(ROOT / "templates", work / "templates")
    return work


def shared_lab(small_programme: Path, work: Path) -> Iterator[Path]:
    """Boot SHARED_HOSTS from fresh disks, render, yield the repository; down at the end of the session."""
    if os.geteuid() != 0:
        pytest.fail("the lab and deploy tests need root; run them through `make test` as root")
    fresh_lab(LAB_ENV)
    programme_repo(small_programme, work)
    up = run(work, "lab", "up", *[a for h in SHARED_HOSTS for a in ("--limit", f"host:{h}")])
    assert up.returncode == 0, up.stderr
    rendered = run(work, "render")
    assert rendered.returncode == 0, rendered.stderr
    yield work
    run(work, "lab", "down")


def ssh(inventory: Path, host: str, command: str, known_hosts: Path) -> subprocess.CompletedProcess[str]:
    environment = yaml.safe_load((inventory / "environments/lab.yaml").read_text())
    entry = environment["hosts"][host]
    return subprocess.run(["ssh", "-i", environment["ssh_key"], "-o", f"UserKnownHostsFile={known_hosts}",
                           "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
                           f"{environment['ssh_user']}@{entry['address']}", command],
                          capture_output=True, text=True, timeout=120)


def pinned(inventory: Path, tmp_path: Path) -> Path:
    environment = yaml.safe_load((inventory / "environments/lab.yaml").read_text())
    known = tmp_path / "known_hosts"
    known.write_text("".join(f"{h['address']} {h['host_key']}\n" for h in environment["hosts"].values()))
    return known
