"""Rotating schoolnet's switch login on the 32 Sadarak switches of the lab, one of which will not take it.

A lab of its own (names, loopback range and cache port apart from the other lab tests): the 32
switch emulators of the Sadarak district, realistic printing.  After a first push (every switch holds
today's password and the ledger its hashes), `secrets rotate switch/<school>/admin` for every Sadarak
school and `render`; then `switches rotate`.  One switch is replaced by an emulator that takes the new
password line but keeps logging in with the old one (its SSH logins authenticated elsewhere): its
fresh login fails, it is rolled back and reported; the other 31 are rotated; an audit then logs in to
all 32; the school whose switch was rolled back keeps its old value in the store, the others drop it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from schoolnet.secrets.store import SopsSecrets
from tests.conftest import ROOT, SCHOOLNET

LAB_ENV = {"SCHOOLNET_LAB_DIR": "/var/lib/schoolnet-lab-rotation", "SCHOOLNET_LAB_RUN": "/run/schoolnet-lab-rotation",
           "SCHOOLNET_LAB_PREFIX": "snr", "SCHOOLNET_LAB_LOOPBACK": "25", "SCHOOLNET_LAB_APT_PORT": "3147"}
SWITCHES = "host:nx-sad-*-sw*"
ODD_ONE = "nx-sad-003-sw1"


def run(*args: str, repo: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([SCHOOLNET, *args], cwd=repo, env={**os.environ, **LAB_ENV}, capture_output=True,
                            text=True, timeout=900)
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.fail("the lab tests need root; run them through `make test` as root")
    root = tmp_path_factory.mktemp("rotation")
    shutil.copytree(ROOT / "inventory", root / "inventory", ignore=shutil.ignore_patterns("lab.yaml"))
    shutil.copytree(ROOT / "templates", root / "templates")
    run("lab", "down", "--purge", repo=root)
    run("render", repo=root)
    run("lab", "up", "--limit", SWITCHES, repo=root)
    yield root
    run("lab", "down", "--purge", repo=root)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_login_is_rotated_on_32_switches_and_the_one_that_cannot_take_it_is_rolled_back(
        repo: Path, tmp_path: Path) -> None:
    hosts = yaml.safe_load((repo / "inventory" / "environments" / "lab.yaml").read_text())["hosts"]
    switches = sorted(h for h in hosts if h.startswith("nx-sad-") and "-sw" in h)
    assert len(switches) == 32
    run("switches", "push", "--env", "lab", "--limit", SWITCHES, "--yes", repo=repo)  # today's password, recorded
    schools = sorted({h.rsplit("-", 1)[0] for h in switches})
    for school in schools:
        rotated = run("secrets", "rotate", f"switch/{school}/admin", repo=repo)
        assert "switches rotate" in rotated.stderr  # says which command finishes it
    run("render", repo=repo)

    # the odd one: takes the line, but its SSH logins keep checking the old password
    lab = Path(LAB_ENV["SCHOOLNET_LAB_DIR"]) / "switches" / ODD_ONE
    state = tmp_path / "state"
    shutil.copytree(lab / "state", state)
    port = free_port()
    secrets = SopsSecrets(repo / "inventory" / "secrets.sops.yaml")
    secrets.load()
    old = secrets.get("switch/nx-sad-003/admin-previous")
    (tmp_path / "password").write_text(old + "\n")
    (state / "logins.json").unlink()
    odd = subprocess.Popen([sys.executable, "-m", "schoolnet.switchlab.server", "--listen", "127.0.0.1", "--port",
                            str(port), "--host-key", str(lab / "ssh_host_ed25519_key"), "--state", str(state),
                            "--platform", "huawei-vrp", "--hostname", ODD_ONE, "--user", "admin", "--password-file",
                            str(tmp_path / "password"), "--login-from-file"], stdout=subprocess.PIPE, text=True)
    env_file = repo / "inventory" / "environments" / "lab.yaml"
    original = env_file.read_text()
    try:
        assert odd.stdout is not None and odd.stdout.readline().startswith("ready")
        document = yaml.safe_load(original)
        document["hosts"][ODD_ONE].update(address="127.0.0.1", port=port)
        env_file.write_text(yaml.safe_dump(document))

        result = run("switches", "rotate", "--env", "lab", "--limit", SWITCHES, "--yes", "--format", "json",
                     repo=repo, ok=False)
        assert result.returncode == 1, result.stderr
        outcomes = {h["host"]: h for h in json.loads(result.stdout)["hosts"]}
        assert {h: o["status"] for h, o in outcomes.items() if h != ODD_ONE} == {h: "changed" for h in switches
                                                                                 if h != ODD_ONE}
        assert outcomes[ODD_ONE]["status"] == "failed" and "rolled back" in outcomes[ODD_ONE]["reason"]
        assert all("<secret:" in line for o in outcomes.values() for line in o["changes"])  # masked

        audit = run("switches", "audit", "--env", "lab", "--limit", SWITCHES, "--format", "json", repo=repo,
                    ok=False)
        seen = {a["host"]: a for a in json.loads(audit.stdout)}
        assert all(a["status"] != "failed" for a in seen.values()), audit.stdout  # login works everywhere
        assert all(seen[h]["status"] == "compliant" for h in switches if not h.startswith("nx-sad-003-"))
        pushed = run("switches", "push", "--env", "lab", "--limit", f"host:{ODD_ONE}", "--yes", "--format", "json",
                     repo=repo, ok=False)
        assert "switches rotate" in json.loads(pushed.stdout)["hosts"][0]["reason"]  # a push never changes it
        again = run("switches", "rotate", "--env", "lab", "--limit", SWITCHES, "--yes", "--format", "json",
                    repo=repo, ok=False)
        statuses = {h["host"]: h["status"] for h in json.loads(again.stdout)["hosts"]}
        assert statuses.pop(ODD_ONE) == "failed" and set(statuses.values()) == {"unchanged"}
    finally:
        env_file.write_text(original)
        odd.send_signal(signal.SIGTERM)
        odd.wait(10)
    secrets = SopsSecrets(repo / "inventory" / "secrets.sops.yaml")
    secrets.load()
    pending = sorted(n for n in secrets.values if n.endswith("-previous"))
    assert pending == ["switch/nx-sad-003/admin-previous"]  # every other school finished its rotation
