"""The lab's fallback where systemd-nspawn is missing: each host is its sshd in a chroot, no init.

Forced here with SCHOOLNET_LAB_RUNNER=chroot (nspawn exists on the test machine); a lab of its
own, since a lab runs all its hosts with one runner and the session's shared lab uses nspawn.
Packages, files and on-host checks are rehearsed; services are not started, and the lab and the
environment say so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SCHOOLNET
from tests.labs import fresh_lab, pinned, ssh

CHROOT_LAB_ENV = {"SCHOOLNET_LAB_DIR": "/var/lib/schoolnet-lab-test3", "SCHOOLNET_LAB_RUN": "/run/schoolnet-lab-test3",
                  "SCHOOLNET_LAB_PREFIX": "snv", "SCHOOLNET_LAB_LOOPBACK": "24", "SCHOOLNET_LAB_APT_PORT": "3146",
                  "SCHOOLNET_LAB_RUNNER": "chroot"}
EDGE = "nx-sad-001-edge"


def run(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCHOOLNET, *args], cwd=work, env={**os.environ, **CHROOT_LAB_ENV}, capture_output=True,
                          text=True, timeout=900)


def test_chroot_hosts_take_packages_files_and_checks_but_start_no_service(
        small_programme: Path, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("the lab tests need root; run them through `make test` as root")
    fresh_lab(CHROOT_LAB_ENV)
    work = tmp_path
    subprocess.run(["cp", "-a", str(small_programme), str(work / "inventory")], check=True)
    shutil.copytree(ROOT / "templates", work / "templates")
    try:
        up = run(work, "lab", "up", "--limit", f"host:{EDGE}")
        assert up.returncode == 0, up.stderr
        assert "falling back to chroot + sshd with no init" in up.stderr
        environment = yaml.safe_load((work / "inventory/environments/lab.yaml").read_text())
        assert environment["start_services"] is False
        known = pinned(work / "inventory", tmp_path)
        assert ssh(work / "inventory", EDGE, "cat /proc/1/comm", known).stdout.strip() == "sshd"  # no init

        assert run(work, "render").returncode == 0
        limit = ("--limit", f"host:{EDGE}")
        first = run(work, "deploy", "--env", "lab", "--yes", "--format", "json", *limit)
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["hosts"][0]["status"] == "changed"
        checked = ssh(work / "inventory", EDGE, "sudo dnsmasq --test --conf-file=/etc/dnsmasq.d/school.conf", known)
        assert "syntax check OK" in checked.stdout + checked.stderr
        processes = ssh(work / "inventory", EDGE, "cat /proc/[0-9]*/comm", known).stdout.split()
        assert "sshd" in processes and not {"dnsmasq", "unbound", "nginx", "systemd"} & set(processes), processes
        again = run(work, "deploy", "--env", "lab", "--yes", "--format", "json", *limit)
        assert again.returncode == 0 and json.loads(again.stdout)["hosts"][0]["status"] == "unchanged", again.stderr
    finally:
        state = Path(CHROOT_LAB_ENV["SCHOOLNET_LAB_DIR"], "state.json")
        hosts = json.loads(state.read_text())["hosts"] if state.exists() else {}
        pid = hosts.get(EDGE, {}).get("pids", {}).get("host")
        down = run(work, "lab", "down")
    assert down.returncode == 0, down.stderr
    from schoolnet.processes import Process

    assert pid and not Process.load(pid).running()
