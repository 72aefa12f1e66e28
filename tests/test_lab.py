"""The lab: real Debian 12 hosts booted by systemd-nspawn, reached over loopback with pinned host keys.

These tests read the session's shared lab (tests/labs.py; names, loopback range and port apart from
a user's lab), which tests/test_deploy.py deploys to, and boot a second lab beside it where a test
takes a lab down; they need root, as `make test` runs them.  The base image is built once and cached.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import SCHOOLNET
from tests.labs import LAB_ENV, OTHER_LAB_ENV, SHARED_HOSTS, fresh_lab, pinned, ssh

HOSTS = SHARED_HOSTS


def lab(*args: str, inventory: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([SCHOOLNET, "lab", *args, "--inventory", str(inventory)],
                            env={**os.environ, **(env or LAB_ENV)}, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    return result


def copy_programme(small_programme: Path, target: Path) -> Path:
    subprocess.run(["cp", "-a", str(small_programme), str(target)], check=True)
    return target


@pytest.fixture(scope="module")
def running_lab(shared_lab_repo: Path) -> Path:
    return shared_lab_repo / "inventory"


def test_lab_hosts_are_booted_debian_reached_with_pinned_keys(running_lab: Path, tmp_path: Path) -> None:
    known = pinned(running_lab, tmp_path)
    environment = yaml.safe_load((running_lab / "environments/lab.yaml").read_text())
    assert sorted(environment["hosts"]) == sorted(HOSTS)
    assert all(h["address"].startswith("127.21.") for h in environment["hosts"].values())
    for host in HOSTS:
        result = ssh(running_lab, host, "hostname; cat /etc/debian_version; systemctl is-system-running; "
                     "ps -p 1 -o comm=; sudo -n true && echo sudo-ok", known)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.split()
        assert lines[0] == host and lines[1].startswith("12.")
        assert lines[2] in ("running", "degraded") and lines[3] == "systemd" and lines[4] == "sudo-ok"


def test_the_edge_sits_on_one_segment_per_vlan(running_lab: Path, tmp_path: Path) -> None:
    result = ssh(running_lab, "nx-sad-001-edge", "ip -br -4 addr", pinned(running_lab, tmp_path))
    interfaces = {line.split()[0].split("@")[0] for line in result.stdout.splitlines()}
    assert {"eno2.10", "eno2.20", "eno2.30", "eno2.40"} <= interfaces


def test_apt_reaches_debian_through_the_lab_cache(running_lab: Path, tmp_path: Path) -> None:
    result = ssh(running_lab, "nx-dc1-vpn-01", "sudo apt-get update -qq && apt-cache policy sudo | head -3",
                 pinned(running_lab, tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Installed:" in result.stdout


def test_a_changed_host_key_is_refused(running_lab: Path, tmp_path: Path) -> None:
    known = pinned(running_lab, tmp_path)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
    impostor = " ".join((tmp_path / "other.pub").read_text().split()[:2])
    known.write_text("".join(f"{line.split()[0]} {impostor}\n" for line in known.read_text().splitlines()))
    result = ssh(running_lab, "nx-sad-001-edge", "true", known)
    assert result.returncode != 0 and "Host key verification failed" in result.stderr


def test_lab_ssh_runs_a_command_with_the_pinned_key_and_refuses_another(running_lab: Path) -> None:
    def lab_ssh() -> subprocess.CompletedProcess[str]:
        return subprocess.run([SCHOOLNET, "lab", "ssh", "nx-sad-001-edge", "--inventory", str(running_lab),
                               "cat", "/etc/hostname"], env={**os.environ, **LAB_ENV}, capture_output=True,
                              text=True, timeout=60)

    result = lab_ssh()
    assert result.returncode == 0 and result.stdout.strip() == "nx-sad-001-edge", result.stderr
    environment_file = running_lab / "environments/lab.yaml"
    original = environment_file.read_text()
    document = yaml.safe_load(original)
    document["hosts"]["nx-sad-001-edge"]["host_key"] = document["hosts"]["nx-dc1-vpn-01"]["host_key"]
    environment_file.write_text(yaml.safe_dump(document))
    try:
        result = lab_ssh()
        assert result.returncode != 0 and "nx-sad-001-edge" not in result.stdout
        assert "host key" in result.stderr.lower(), result.stderr
    finally:
        environment_file.write_text(original)


def test_up_again_leaves_running_hosts_alone(running_lab: Path) -> None:
    state = Path(LAB_ENV["SCHOOLNET_LAB_DIR"], "state.json")
    before = json.loads(state.read_text())
    lab("up", "--limit", "host:nx-sad-001-edge", inventory=running_lab)
    after = json.loads(state.read_text())
    assert after["hosts"]["nx-sad-001-edge"]["pids"] == before["hosts"]["nx-sad-001-edge"]["pids"]


def test_up_stops_booting_when_memory_runs_short_and_keeps_what_runs(running_lab: Path) -> None:
    more_than_the_machine = str(10 * 1024 * 1024)  # MiB: 10 TiB kept back, so no host may boot
    result = subprocess.run([SCHOOLNET, "lab", "up", "--limit", "host:nx-bab-002-edge", "--inventory",
                             str(running_lab)],
                            env={**os.environ, **LAB_ENV, "SCHOOLNET_LAB_MEMORY_RESERVE_MIB": more_than_the_machine},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "stopped booting with 1 of 1 host(s) to go" in result.stderr and "--limit" in result.stderr
    assert "Traceback" not in result.stderr
    environment = yaml.safe_load((running_lab / "environments/lab.yaml").read_text())
    assert sorted(environment["hosts"]) == sorted(HOSTS)
    assert "nx-bab-002-edge" not in json.loads(Path(LAB_ENV["SCHOOLNET_LAB_DIR"], "state.json").read_text())["hosts"]


def test_up_with_another_runner_is_refused_while_hosts_run(running_lab: Path) -> None:
    before = Path(LAB_ENV["SCHOOLNET_LAB_DIR"], "state.json").read_text()
    result = subprocess.run([SCHOOLNET, "lab", "up", "--limit", "host:nx-sad-001-edge",
                             "--inventory", str(running_lab)],
                            env={**os.environ, **LAB_ENV, "SCHOOLNET_LAB_RUNNER": "chroot"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == ("schoolnet: the lab's hosts run with nspawn, not chroot: "
                                              "`schoolnet lab down` first")
    assert Path(LAB_ENV["SCHOOLNET_LAB_DIR"], "state.json").read_text() == before


def test_status_reports_each_host(running_lab: Path) -> None:
    result = subprocess.run([SCHOOLNET, "lab", "status", "--format", "json"], env={**os.environ, **LAB_ENV},
                            capture_output=True, text=True, check=True)
    rows = {row["host"]: row for row in json.loads(result.stdout)}
    assert set(rows) == set(HOSTS) and all(r["running"] and r["ssh"] for r in rows.values())


@pytest.mark.parametrize("command", [["up", "--limit", "host:nx-sad-001-edge"], ["down"]])
def test_lab_needs_root_and_says_so(small_programme: Path, command: list[str]) -> None:
    """Run as a user without root: a fresh user namespace maps us to nobody with no capability on
    this machine, yet, unlike `setpriv`, still lets us read a checkout that only root may enter."""
    result = subprocess.run(["unshare", "--user", SCHOOLNET, "lab", *command, "--inventory", str(small_programme)],
                            capture_output=True, text=True, env={**os.environ, **LAB_ENV}, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.splitlines()[-1] == ("schoolnet: the lab needs root (network namespaces, overlay mounts, "
                                              "systemd-nspawn): run it as root")


def test_down_stops_only_what_the_lab_started(small_programme: Path, tmp_path: Path, running_lab: Path) -> None:
    """Neither a process that looks like the lab's nor another lab's hosts are touched by `down`."""
    fresh_lab(OTHER_LAB_ENV)
    inventory = copy_programme(small_programme, tmp_path / "inventory")
    decoy = subprocess.Popen(["socat", "TCP-LISTEN:22,bind=127.22.250.250,reuseaddr,fork", "SYSTEM:true"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lab("up", "--limit", "host:nx-bab-002-edge", inventory=inventory, env=OTHER_LAB_ENV)
        state = json.loads(Path(OTHER_LAB_ENV["SCHOOLNET_LAB_DIR"], "state.json").read_text())
        pids = state["hosts"]["nx-bab-002-edge"]["pids"]
        lab("down", inventory=inventory, env=OTHER_LAB_ENV)
        assert decoy.poll() is None, "a process the lab did not start was stopped"
        others = json.loads(Path(LAB_ENV["SCHOOLNET_LAB_DIR"], "state.json").read_text())["hosts"]
        from schoolnet.processes import Process

        assert all(Process.load(h["pids"]["host"]).running() for h in others.values()), "the other lab runs on"
        assert not any(Process.load(pid).running() for pid in pids.values())  # exited (maybe not yet reaped)
        assert not (inventory / "environments/lab.yaml").exists()
    finally:
        decoy.terminate()
        decoy.wait()


def test_a_zombie_forwarder_counts_as_stopped() -> None:
    """`down` waits for each recorded PID to stop; a zombie (exited, not yet reaped) must not make it wait."""
    from schoolnet.processes import Process

    running = subprocess.Popen(["sleep", "30"])
    exited = subprocess.Popen(["true"])
    records = Process.of(running.pid), Process.of(exited.pid)
    try:
        deadline = 50
        while Path(f"/proc/{exited.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z" and deadline:
            subprocess.run(["sleep", "0.1"])
            deadline -= 1
        assert records[0].running() and not records[1].running()
    finally:
        running.kill()
        running.wait()
        exited.wait()
    assert not records[0].running()


@pytest.mark.parametrize("forged", ["started later", "another boot", "an older state file"])
def test_a_recorded_pid_now_held_by_another_process_is_never_signalled(forged: str) -> None:
    """The lab's state survives reboots and exits: a PID it recorded may belong to anything by now.
    Only a process with the recorded boot id and start time is signalled; a bare PID from an older
    state file, which nothing can verify, is left alone."""
    from schoolnet.processes import Process

    stranger = subprocess.Popen(["sleep", "60"])
    try:
        true = Process.of(stranger.pid)
        record = {"started later": {"pid": true.pid, "start": true.start + 1, "boot": true.boot},
                  "another boot": {"pid": true.pid, "start": true.start, "boot": "0" * 32},
                  "an older state file": true.pid}[forged]
        ghost = Process.load(record)
        assert true.running() and not ghost.running()
        ghost.stop(wait=0.5)
        assert stranger.poll() is None, "a process the record does not name was signalled"
    finally:
        stranger.kill()
        stranger.wait()


def test_after_a_reboot_the_lab_reads_as_stopped_and_down_signals_nothing(tmp_path: Path) -> None:
    """A state file from before a reboot (another boot id): `status` says stopped, and `down` with
    that file in place signals none of the PIDs it names, though one of them runs now."""
    stranger = subprocess.Popen(["sleep", "60"])
    lab_dir = tmp_path / "lab"
    lab_dir.mkdir()
    from schoolnet.processes import Process

    now = Process.of(stranger.pid)
    before_reboot = {"pid": now.pid, "start": now.start, "boot": "f" * 32}
    (lab_dir / "state.json").write_text(json.dumps({
        "hosts": {"nx-sad-001-edge": {"hostname": "nx-sad-001-edge", "index": 1, "address": "127.22.0.2",
                                      "netns": "snr-h1", "host_key": "", "segments": [],
                                      "pids": {"host": before_reboot, "ssh-forward": before_reboot}}},
        "pids": {"apt-cache": before_reboot}, "runner": "nspawn"}))
    env = {**os.environ, **OTHER_LAB_ENV, "SCHOOLNET_LAB_DIR": str(lab_dir), "SCHOOLNET_LAB_PREFIX": "snr",
           "SCHOOLNET_LAB_RUN": str(tmp_path / "run")}  # a lab of its own: down removes its namespaces
    try:
        status = subprocess.run([SCHOOLNET, "lab", "status", "--format", "json"], env=env, capture_output=True,
                                text=True, timeout=60)
        assert [row["running"] for row in json.loads(status.stdout)] == [False]
        down = subprocess.run([SCHOOLNET, "lab", "down"], env=env, capture_output=True, text=True, timeout=120)
        assert down.returncode == 0, down.stderr
        assert stranger.poll() is None, "lab down signalled a PID recorded before the reboot"
    finally:
        stranger.kill()
        stranger.wait()


def test_an_unknown_runner_is_one_line_and_starts_nothing(small_programme: Path, tmp_path: Path) -> None:
    lab_dir = tmp_path / "lab-state"
    env = {**os.environ, **OTHER_LAB_ENV, "SCHOOLNET_LAB_DIR": str(lab_dir), "SCHOOLNET_LAB_RUNNER": "docker"}
    result = subprocess.run([SCHOOLNET, "lab", "up", "--limit", "host:nx-sad-001-edge", "--inventory",
                             str(small_programme)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "schoolnet: SCHOOLNET_LAB_RUNNER='docker': expected one of nspawn, chroot" in result.stderr
    assert not lab_dir.exists()


def test_down_empties_a_hosts_cgroup_of_what_outlived_its_recorded_pid() -> None:
    """A chroot host's sessions die a moment after its recorded PID; `down` must not fail on the busy cgroup."""
    if os.geteuid() != 0:
        pytest.fail("the lab tests need root; run them through `make test` as root")
    from schoolnet.lab.lab import CGROUP_ROOTS, _remove_cgroup

    cgroup = CGROUP_ROOTS[0] / "schoolnet-lab-test-cgroup" / "host"
    cgroup.mkdir(parents=True)
    leftover = subprocess.Popen(["sleep", "60"])
    try:
        (cgroup / "cgroup.procs").write_text(str(leftover.pid))
        (cgroup / "session").mkdir()  # a nested cgroup, as systemd makes inside a booted host
        _remove_cgroup(cgroup)
        assert not cgroup.exists()
        leftover.wait(timeout=5)
        assert leftover.returncode == -9
    finally:
        if leftover.poll() is None:
            leftover.kill()
            leftover.wait()
        cgroup.parent.rmdir()


def test_down_keeps_each_hosts_disk_and_key_unless_purged(small_programme: Path, tmp_path: Path) -> None:
    """A rehearsal resumes on the same hosts after `down`; `down --purge` makes the next `up` boot fresh ones."""
    fresh_lab(OTHER_LAB_ENV)
    inventory = copy_programme(small_programme, tmp_path / "inventory")
    host, home = "nx-bab-002-edge", Path(OTHER_LAB_ENV["SCHOOLNET_LAB_DIR"]) / "hosts" / "nx-bab-002-edge"

    def boot() -> str:
        lab("up", "--limit", f"host:{host}", inventory=inventory, env=OTHER_LAB_ENV)
        return str(yaml.safe_load((inventory / "environments/lab.yaml").read_text())["hosts"][host]["host_key"])

    try:
        first = boot()
        (home / "merged/root/rehearsal-mark").write_text("kept\n")  # a change made on the host's disk
        lab("down", inventory=inventory, env=OTHER_LAB_ENV)
        assert boot() == first and (home / "merged/root/rehearsal-mark").read_text() == "kept\n"
        purged = lab("down", "--purge", inventory=inventory, env=OTHER_LAB_ENV)
        assert "1 host(s) stopped; their disks and keys deleted" in purged.stderr
        assert not home.exists()
        assert boot() != first and not (home / "merged/root/rehearsal-mark").exists()
    finally:
        lab("down", inventory=inventory, env=OTHER_LAB_ENV)


def test_the_package_cache_answers_a_burst_of_updates(running_lab: Path, tmp_path: Path) -> None:
    """A fleet's first deploy has every host run `apt-get update` in the same second: each of 18 at
    once gets every index, and none hangs (apt-cacher-ng hung 7 of 18 here)."""
    from schoolnet.lab.image import SOURCES

    proxy = f"http://127.0.0.1:{LAB_ENV['SCHOOLNET_LAB_APT_PORT']}"
    (tmp_path / "sources.list").write_text("".join(f"deb {source}\n" for source in SOURCES))
    runs = []
    for number in range(18):
        state = tmp_path / str(number)
        (state / "lists/partial").mkdir(parents=True)
        (state / "cache/archives/partial").mkdir(parents=True)
        runs.append(subprocess.Popen(
            ["apt-get", "update", "-o", f"Acquire::http::Proxy={proxy}", "-o", f"Dir::State::Lists={state}/lists",
             "-o", f"Dir::Cache={state}/cache", "-o", "Debug::NoLocking=1", "-o", "Dir::Etc::SourceParts=/dev/null",
             "-o", f"Dir::Etc::SourceList={tmp_path}/sources.list"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0] * 18, "\n".join(outputs)
    assert all("Err:" not in output for output in outputs), "\n".join(outputs)
    assert all(len(list((tmp_path / str(n) / "lists").glob("*_Packages*"))) >= 3 for n in range(18))


def test_the_lab_router_takes_a_free_address_and_refuses_an_overlapping_programme(small_programme: Path,
                                                                                 tmp_path: Path) -> None:
    """The stand-in for the tunnel: its address on each DC network is one no device uses; a programme
    whose supernets overlap the lab's uplink segment is refused with one line, not routed wrong."""
    from schoolnet.lab.uplink import UplinkError, Uplinks
    from schoolnet.model import load_fleet_or_raise

    inventory = copy_programme(small_programme, tmp_path / "inventory")
    routers = Uplinks(load_fleet_or_raise(inventory)).router_addresses
    assert routers["bwan"] == "100.64.0.1/16" and routers["bdc-servers"] == "10.0.20.254/24"
    site = inventory / "datacenter/nx-dc1.yaml"
    site.write_text(site.read_text().replace("{name: eno1, network: servers, address: 10.0.20.11}",
                                             "{name: eno1, network: servers, address: 10.0.20.254}", 1))
    assert Uplinks(load_fleet_or_raise(inventory)).router_addresses["bdc-servers"] == "10.0.20.253/24"
    programme = inventory / "programme.yaml"
    programme.write_text(programme.read_text().replace("tunnels: 10.1.0.0/16", "tunnels: 100.64.0.0/16", 1))
    with pytest.raises(UplinkError, match=r"tunnels supernet 100\.64\.0\.0/16 overlaps the lab.s uplink segment"):
        Uplinks(load_fleet_or_raise(inventory))
