"""The one-command host read behind every deploy: run by the real shell on real files and packages.

Units are read from systemctl's output on the lab hosts (tests/test_deploy.py); here the
parser gets systemctl's own text, as a table.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from schoolnet.deploy.facts import FileState, HostState, host_state_command, parse_host_state


def read(paths: list[str], packages: tuple[str, ...] = ()) -> HostState:
    command = host_state_command(paths, list(packages), [])
    output = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True).stdout
    return parse_host_state(output.splitlines())


def test_files_are_read_with_hash_mode_owner_and_group(tmp_path: Path) -> None:
    plain, spaced, missing = tmp_path / "a.conf", tmp_path / "with space's.conf", tmp_path / "gone.conf"
    plain.write_bytes(b"listen-address=127.0.0.1\n")
    spaced.write_bytes(b"")
    plain.chmod(0o640)
    spaced.chmod(0o600)
    found = read([str(plain), str(spaced), str(missing)])
    owner = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    group = subprocess.run(["id", "-gn"], capture_output=True, text=True).stdout.strip()
    assert found.files == {
        str(plain): FileState(hashlib.sha256(b"listen-address=127.0.0.1\n").hexdigest(), 0o640, owner, group),
        str(spaced): FileState("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0o600, owner, group),
        str(missing): None,
    }


def test_only_installed_packages_are_reported() -> None:
    if not Path("/usr/bin/dpkg-query").exists():
        pytest.fail("dpkg-query is part of every Debian machine this runs on")
    found = read([], packages=("dpkg", "coreutils", "schoolnet-no-such-package"))
    assert found.packages == {"dpkg", "coreutils"}


SYSTEMCTL = """Id=dnsmasq.service
SubState=running
UnitFileState=enabled

Id=nftables.service
SubState=exited
UnitFileState=enabled

Id=wg-quick@wg0.service
SubState=dead
UnitFileState=enabled

Id=nosuch.service
SubState=dead
UnitFileState=

Id=systemd-journald.service
UnitFileState=static
SubState=running
"""


@pytest.mark.parametrize(("lines", "running", "enabled"), [
    (SYSTEMCTL.splitlines(), {"dnsmasq.service", "nftables.service", "systemd-journald.service"},
     {"dnsmasq.service", "nftables.service", "wg-quick@wg0.service", "systemd-journald.service"}),
    # the same without the blank lines between units
    ([line for line in SYSTEMCTL.splitlines() if line], {"dnsmasq.service", "nftables.service",
                                                          "systemd-journald.service"},
     {"dnsmasq.service", "nftables.service", "wg-quick@wg0.service", "systemd-journald.service"}),
    (["Id=ssh.service", "SubState=failed", "UnitFileState=disabled"], set(), set()),
    ([], set(), set()),
], ids=["systemctl-show", "no-blank-lines", "failed-and-disabled", "nothing"])
def test_units_running_and_enabled(lines: list[str], running: set[str], enabled: set[str]) -> None:
    found = parse_host_state(lines)
    assert (found.running, found.enabled) == (running, enabled)


def test_shell_words_in_names_stay_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    odd = tmp_path / "a b;touch pwned $(touch pwned2).conf"
    odd.write_text("x\n")
    monkeypatch.chdir(tmp_path)
    found = read([str(odd)], packages=("dpkg;touch pwned3",))
    assert list(found.files) == [str(odd)] and found.packages == set()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("pwned")]
    assert "'svc`id`.service'" in host_state_command([], [], ["svc`id`"])


HOSTILE_PATHS = ["with space's.conf", "semi;touch PWNED.conf", "$(touch PWNED).conf", "`touch PWNED`.conf",
                 "-oProxyCommand=touch PWNED.conf", 'quote"and\\backslash.conf']


def test_a_role_change_treats_hostile_paths_and_modes_as_data(tmp_path: Path) -> None:
    """The script a host runs for a role's change, run by the real shell where /var/lib/schoolnet is a
    private tmpfs: files with shell metacharacters in their names are checked, installed at exactly
    those paths, and nothing is executed out of a name."""
    from schoolnet.deploy.transaction import FileChange, transaction

    staged, target = tmp_path / "staged", tmp_path / "etc"
    staged.mkdir()
    changes = []
    for number, name in enumerate(HOSTILE_PATHS):
        (staged / name).write_text(f"ARGS=\"{number}\"\n")
        changes.append(FileChange(str(target / name), str(staged / name), "0640", "root", "root", "shell-env"))
    script = transaction("base", changes, [], False, str(staged), "run-1")
    run = subprocess.run(["unshare", "--mount", "sh", "-c", 'mkdir -p /var/lib/schoolnet && '
                          'mount -n -t tmpfs tmpfs /var/lib/schoolnet && cd "$1" && exec sh -c "$2"', "sh",
                          str(tmp_path), script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert not list(tmp_path.rglob("PWNED")) and not Path("PWNED").exists(), "a name was executed"
    for number, name in enumerate(HOSTILE_PATHS):
        installed = target / name
        assert installed.read_text() == f"ARGS=\"{number}\"\n" and installed.stat().st_mode & 0o777 == 0o640
    assert not staged.exists(), "the staged files were left on the host"
