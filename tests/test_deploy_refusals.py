"""What `plan`, `deploy` and `switches ...` decide before any host is contacted (no lab needed).

- A planned or staged device may wait for its host key (SN506, SN507), and a command pointed at one
  (`host:NAME`, or limits selecting nothing else) refuses it by name with its file:line (SN821); limits
  that also select installed hosts skip it, one line per host.
- A missing environment, a missing deploy key or one that is not a private key: one line, exit 2, for
  every command and every selection, before anything is contacted; switches log in with a password,
  so the key is not theirs to need.
- Locks belong to one repository and one environment; `plan` takes none.

Where a command does reach a host, the host is a loopback port nothing listens on: it is reported
unreachable at once, which shows it was tried (not refused, not locked).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schoolnet.deploy.locks import host_lock, host_locks, lock_dir
from schoolnet.validate.run import validate_inventory
from tests.conftest import ROOT, SCHOOLNET, invoke

SCHOOL = "schools/ordubad/nx-ord-001.yaml"
EDGE, SW1 = "nx-ord-001-edge", "nx-ord-001-sw1"  # the school's edge server and its switch
EDGE2, SW2 = "nx-ord-002-edge", "nx-ord-002-sw1"  # installed, in the same district
ANY_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAKDhcz4MnakoaYSNuhH0kwgOjRq2/Wk9VuDjyPNfjkI"


def set_device(inventory: Path, asset_tag: str, status: str | None, key: bool) -> None:
    """Give the device with `asset_tag` in SCHOOL a status (None: leave it) and keep or drop its host key."""
    path = inventory / SCHOOL
    lines = path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"asset_tag: {asset_tag}")
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), len(lines))
    block = [line for line in lines[start:end] if key or not line.strip().startswith("ssh_host_key:")]
    if status is not None:
        block.insert(1, f"    status: {status}\n")
    path.write_text("".join(lines[:start] + block + lines[end:]))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_key(path: Path) -> Path:
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
    path.chmod(0o600)
    return path


def write_environment(inventory: Path, name: str, key: Path, port: int) -> None:
    """Every host of the district reached at a loopback port where nothing answers."""
    fleet, _ = validate_inventory(inventory)
    assert fleet is not None
    names = [h.hostname for h in fleet.hosts if h.school is not None and h.school.district == "ordubad"]
    hosts = "".join(f"  {host}: {{address: 127.0.0.1, port: {port}, host_key: {ANY_KEY}}}\n" for host in names)
    environments = inventory / "environments"
    environments.mkdir(exist_ok=True)
    (environments / f"{name}.yaml").write_text(f"name: {name}\nssh_user: deploy\nssh_key: {key}\n"
                                               f"addresses: explicit\nhosts:\n{hosts}")


@pytest.fixture
def repo(inventory: Path, tmp_path: Path) -> Path:
    """The small programme with nx-ord-001's edge planned and its first switch staged, both without a key,
    and two loopback environments; ./ is the repository."""
    set_device(inventory, "NX-ORD-001-SRV", "planned", key=False)
    set_device(inventory, "NX-ORD-001-SW1", "staged", key=False)
    key = write_key(tmp_path / "deploy_ed25519")
    port = closed_port()
    for name in ("loop", "loop2"):
        write_environment(inventory, name, key, port)
    (tmp_path / "templates").symlink_to(ROOT / "templates")
    return tmp_path


@pytest.fixture
def rendered(repo: Path) -> Path:
    assert invoke("render", "--limit", "district:ordubad")[0] == 0
    return repo


def schoolnet(repo: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """A command that may reach hosts runs in a process of its own (pyinfra's gevent stays out of this one)."""
    return subprocess.run([SCHOOLNET, *args], cwd=repo, input=stdin, capture_output=True, text=True, timeout=300)


# --- the host-key rules wait for a device to be installed ------------------------------------------------

KEY_RULES = [  # (device, status written, keep its key, rule expected or None)
    ("NX-ORD-001-SRV", "planned", False, None),
    ("NX-ORD-001-SRV", "staged", False, None),
    ("NX-ORD-001-SRV", None, False, "SN506"),  # active by default
    ("NX-ORD-001-SRV", "offline", False, "SN506"),  # it was installed: its key is known
    ("NX-ORD-001-SW1", "planned", False, None),
    ("NX-ORD-001-SW1", "staged", False, None),
    ("NX-ORD-001-SW1", None, False, "SN507"),
    ("NX-ORD-001-SRV", "planned", True, None),  # a key written early is fine
]


@pytest.mark.parametrize(("device", "status", "key", "rule"), KEY_RULES)
def test_a_device_not_installed_yet_may_wait_for_its_host_key(inventory: Path, device: str, status: str | None,
                                                               key: bool, rule: str | None) -> None:
    set_device(inventory, device, status, key)
    _, problems = validate_inventory(inventory)
    found = [p for p in problems if p.code in ("SN506", "SN507")]
    assert [p.code for p in found] == ([rule] if rule else []), [p.line() for p in found]
    if rule:
        assert found[0].location.file == f"inventory/{SCHOOL}"


def test_a_planned_server_key_that_is_written_must_still_parse(inventory: Path) -> None:
    set_device(inventory, "NX-ORD-001-SRV", "planned", key=True)
    school = inventory / SCHOOL
    school.write_text(re.sub(r"ssh_host_key: .*", "ssh_host_key: ssh-ed25519 not-base64", school.read_text(), count=1))
    _, problems = validate_inventory(inventory)
    assert [p.code for p in problems if p.code == "SN506"] == ["SN506"]


# --- a host not installed yet: refused when named, skipped among installed ones ---------------------------

REFUSED = [  # (command, the host refused, its status)
    (("plan", "--env", "loop", "--limit", f"host:{EDGE}"), EDGE, "planned"),
    (("deploy", "--env", "loop", "--yes", "--limit", f"host:{EDGE}"), EDGE, "planned"),
    (("deploy", "--env", "loop", "--yes", "--limit", f"host:{EDGE}", "--limit", f"host:{EDGE2}"), EDGE, "planned"),
    (("deploy", "--env", "loop", "--yes", "--limit", "school:nx-ord-001"), EDGE, "planned"),  # its only server
    (("plan", "--env", "loop", "--limit", f"host:{SW1}", "--limit", f"host:{SW2}"), SW1, "staged"),
    (("switches", "audit", "--env", "loop", "--limit", f"host:{SW1}"), SW1, "staged"),
    (("switches", "push", "--env", "loop", "--yes", "--limit", f"host:{SW1}"), SW1, "staged"),
    (("switches", "rotate", "--env", "loop", "--yes", "--limit", f"host:{SW1}"), SW1, "staged"),
]


@pytest.mark.parametrize(("args", "host", "status"), REFUSED)
def test_a_host_not_installed_is_refused_by_name(repo: Path, args: tuple[str, ...], host: str, status: str) -> None:
    code, output = invoke(*args)
    assert code == 1, output
    line = next(line for line in output.splitlines() if "SN821" in line)
    assert line.startswith(f"inventory/{SCHOOL}:")
    assert f"error SN821 not-installed: {host} is {status}: not installed yet" in line
    assert "set status: active" in line and ("switches onboard" in line) == host.startswith("nx-ord-001-sw")
    assert not (repo / "deploys").exists()  # refused before anything ran or was recorded


def test_limits_that_also_select_installed_hosts_skip_the_others_with_a_line_each(rendered: Path) -> None:
    installed = len(list((rendered / "inventory/schools/ordubad").glob("*.yaml"))) - 1  # edge servers
    deploy = schoolnet(rendered, "deploy", "--env", "loop", "--limit", "district:ordubad", stdin="n\n")
    assert deploy.returncode == 1  # the question is answered no: nothing is contacted
    assert f"schoolnet: {EDGE}: skipped: planned (inventory/{SCHOOL}:" in deploy.stderr
    assert f"deploy to {installed} host(s) in loop?" in deploy.stderr and "unreachable" not in deploy.stderr
    glob = schoolnet(rendered, "deploy", "--env", "loop", "--limit", "host:nx-ord-00?-edge", stdin="n\n")
    assert f"{EDGE}: skipped: planned" in glob.stderr and f"deploy to {installed} host(s)" in glob.stderr  # no name
    plan = schoolnet(rendered, "plan", "--env", "loop", "--limit", "district:ordubad")
    skipped = [line for line in plan.stderr.splitlines() if ": skipped: " in line]
    assert [line.split(":")[1].strip() for line in skipped] == [EDGE, SW1], plan.stderr  # once each
    assert "skipped: staged" in skipped[1] and f"switches onboard --env ENV --limit host:{SW1}" in skipped[1]
    assert f"{EDGE2}: unreachable" in plan.stderr and f"{EDGE}: " not in plan.stderr.replace(skipped[0], "")
    assert f"✗ {SW2} failed: cannot reach 127.0.0.1:" in plan.stdout  # the installed ones were tried
    audit = schoolnet(rendered, "switches", "audit", "--env", "loop", "--limit", "district:ordubad")
    assert f"{SW1}: skipped: staged" in audit.stderr and SW1 not in audit.stdout and SW2 in audit.stdout
    whole = schoolnet(rendered, "switches", "audit", "--env", "loop", "--limit", "school:nx-ord-001")
    assert whole.returncode == 1 and f"error SN821 not-installed: {SW1} is staged" in whole.stderr  # all it selects


# --- an environment or deploy key that cannot be used: one line, exit 2 ---------------------------------

SELECTIONS = [(), ("--limit", f"host:{EDGE2}"), ("--limit", f"host:{SW2}"), ("--limit", "district:ordubad")]
COMMANDS = [("plan",), ("deploy", "--yes"), ("switches", "audit"), ("switches", "push", "--yes"),
            ("switches", "onboard"), ("switches", "rotate", "--yes")]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: s[-1] if s else "all")
def test_a_missing_environment_is_one_line_and_exit_2(repo: Path, command: tuple[str, ...],
                                                      selection: tuple[str, ...]) -> None:
    code, output = invoke(*command, "--env", "nope", *selection)
    assert (code, output.splitlines()) == (2, [
        "schoolnet: no environment 'nope' in inventory/environments/ (known: loop, loop2); the lab's is written "
        "by `schoolnet lab up`"])


def not_a_key(path: Path) -> Path:
    path.write_text("not a key\n")
    return path


def public_half(path: Path) -> Path:
    public = write_key(path.with_suffix(".key")).read_bytes()
    from cryptography.hazmat.primitives.serialization import load_ssh_private_key

    path.write_bytes(load_ssh_private_key(public, None).public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH))
    return path


KEYS = [  # (how the key is broken, what the line says)
    (lambda path: path, "does not exist"),
    (lambda path: (path.mkdir(), path)[1], "is not a file"),
    (not_a_key, "is not an SSH private key"),
    (public_half, "is not an SSH private key"),
]


@pytest.mark.parametrize(("command", "selection"), [
    (("plan",), ()), (("plan",), ("--limit", f"host:{EDGE2}")), (("plan",), ("--limit", "district:ordubad")),
    (("deploy", "--yes"), ()), (("deploy", "--yes"), ("--limit", f"host:{EDGE2}")),
    (("deploy", "--yes"), ("--limit", "district:ordubad"))])
@pytest.mark.parametrize(("broken", "says"), KEYS, ids=["missing", "directory", "text", "public"])
def test_a_deploy_key_that_cannot_be_used_is_one_line_and_exit_2(
        repo: Path, command: tuple[str, ...], selection: tuple[str, ...], broken: object, says: str) -> None:
    key = repo / "broken" / "id_ed25519"
    key.parent.mkdir()
    assert callable(broken)
    broken(key)
    environment = repo / "inventory/environments/loop.yaml"
    environment.write_text(environment.read_text().replace(str(repo / "deploy_ed25519"), str(key)))
    code, output = invoke(*command, "--env", "loop", *selection)
    assert (code, len(output.splitlines())) == (2, 1), output
    assert output.startswith(f"schoolnet: environment loop: ssh_key {key} {says} "
                             "(set at inventory/environments/loop.yaml:3:10): ")
    assert "no host was contacted" in output


def test_a_host_refused_by_name_is_said_before_the_key_it_would_need(repo: Path) -> None:
    """Nothing is left to reach, so the key is not asked for: the refusal that says what to do comes first."""
    environment = repo / "inventory/environments/loop.yaml"
    environment.write_text(environment.read_text().replace(str(repo / "deploy_ed25519"), "/nonexistent/key"))
    for command in (("plan",), ("deploy", "--yes")):
        code, output = invoke(*command, "--env", "loop", "--limit", f"host:{EDGE}")
        assert code == 1 and f"SN821 not-installed: {EDGE} is planned" in output and "ssh_key" not in output
    code, output = invoke("deploy", "--yes", "--env", "loop", "--limit", f"host:{EDGE2}")
    assert code == 2 and "ssh_key /nonexistent/key does not exist" in output


def test_switches_log_in_with_a_password_and_never_need_the_deploy_key(rendered: Path) -> None:
    environment = rendered / "inventory/environments/loop.yaml"
    environment.write_text(environment.read_text().replace(str(rendered / "deploy_ed25519"), "/nonexistent/key"))
    audit = schoolnet(rendered, "switches", "audit", "--env", "loop", "--limit", f"host:{SW2}")
    assert audit.returncode == 1 and f"✗ {SW2} failed: cannot reach 127.0.0.1:" in audit.stdout, audit.stderr
    assert "ssh_key" not in audit.stderr and "Traceback" not in audit.stderr


# --- locks: one repository, one environment; a plan takes none ------------------------------------------

def deploy_reason(repo: Path, environment: str, host: str) -> str:
    result = schoolnet(repo, "deploy", "--env", environment, "--yes", "--format", "json", "--limit", f"host:{host}")
    assert result.returncode == 1, result.stderr  # unreachable or locked: either way this host failed
    return str(json.loads(result.stdout)["hosts"][0]["reason"])


def test_a_deploy_lock_holds_one_host_in_one_environment_of_one_repository(rendered: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    for part in ("inventory", "build"):
        shutil.copytree(rendered / part, clone / part, symlinks=True)
    (clone / "templates").symlink_to(ROOT / "templates")
    with host_locks(lock_dir(rendered, "loop"), [EDGE2], "deploy") as held:
        assert held == {EDGE2: ""}
        with host_lock(lock_dir(rendered, "loop"), EDGE2, "deploy") as second:  # the same lock, another taker
            assert second.startswith("deploy by ") and f"pid {os.getpid()}" in second
        plan = schoolnet(rendered, "plan", "--env", "loop", "--limit", f"host:{EDGE2}")
        assert "unreachable" in plan.stderr and "locked" not in plan.stderr, plan.stderr  # a plan takes no lock
        assert "unreachable" in deploy_reason(rendered, "loop2", EDGE2)  # another environment
        assert "unreachable" in deploy_reason(clone, "loop", EDGE2)  # another clone
        reason = deploy_reason(rendered, "loop", EDGE2)
        assert reason.startswith("locked by another run in this environment from this repository (deploy by ")
        assert f"pid {os.getpid()}, since " in reason and reason.endswith("not touched; try again when it ends")
    assert "unreachable" in deploy_reason(rendered, "loop", EDGE2)  # released
    # a programme repository commits deploys/log.jsonl; the locks beside it stay out of git
    assert (rendered / "deploys" / ".locks" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_switch_push_lock_holds_one_switch_in_one_environment(rendered: Path) -> None:
    def push(environment: str) -> str:
        result = schoolnet(rendered, "switches", "push", "--env", environment, "--yes", "--format", "json",
                           "--limit", f"host:{SW2}")
        return str(json.loads(result.stdout)["hosts"][0]["reason"])

    with host_lock(lock_dir(rendered, "loop"), SW2, "switches rotate") as holder:
        assert holder == ""
        assert push("loop").startswith("locked by another run in this environment from this repository "
                                       "(switches rotate by ")
        assert push("loop2").startswith("cannot reach 127.0.0.1:")
        assert "locked" not in schoolnet(rendered, "switches", "audit", "--env", "loop", "--limit",
                                         f"host:{SW2}").stdout  # an audit takes no lock
