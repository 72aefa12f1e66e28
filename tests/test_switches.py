"""`schoolnet switches audit|push` against lab switches: SSH emulators of both vendors' command line.

The lab here is a lab of its own (names, loopback range apart from a user's lab and the other
tests'), not the session's shared lab (tests/labs.py): it boots the reference programme's switches,
whose rendered configurations the emulators start from, and its tests take it down and up again
(saved configuration survives that). It holds three switches: two Huawei VRP of nx-sad-001 and one
Cisco IOS of nx-kan-008, each booted from its rendered configuration with seeded differences.  Drift
is also made by hand over SSH, as a technician at the switch would."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paramiko
import pytest
import yaml

from schoolnet.observe import switch_facts
from schoolnet.secrets.store import SopsSecrets
from schoolnet.switches.compliance import compare
from schoolnet.switches.masking import Masker
from schoolnet.switches.onboard import fingerprint
from schoolnet.switches.platforms import dialect
from schoolnet.switches.secret_lines import slot_of
from schoolnet.switches.session import Session, Target
from schoolnet.switchlab.drift import seeded_drift
from schoolnet.validate import load_for_action
from tests.conftest import ROOT, SCHOOLNET

LAB_ENV = {"SCHOOLNET_LAB_DIR": "/var/lib/schoolnet-lab-switches", "SCHOOLNET_LAB_RUN": "/run/schoolnet-lab-switches",
           "SCHOOLNET_LAB_PREFIX": "sns", "SCHOOLNET_LAB_LOOPBACK": "23", "SCHOOLNET_LAB_APT_PORT": "3145"}
SWITCHES = {"nx-sad-001-sw1": "huawei-vrp", "nx-sad-001-sw2": "huawei-vrp", "nx-kan-008-sw1": "cisco-ios"}


def run(*args: str, repo: Path, ok: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([SCHOOLNET, *args], cwd=repo, env={**os.environ, **LAB_ENV, **extra}, capture_output=True,
                            text=True, timeout=600)
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def lab_down(repo: Path, purge: bool = False) -> None:
    run("lab", "down", *(["--purge"] if purge else []), repo=repo)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A repository with the reference programme, rendered, and the three lab switches up."""
    if os.geteuid() != 0:
        pytest.fail("the lab tests need root; run them through `make test` as root")
    root = tmp_path_factory.mktemp("switches")
    shutil.copytree(ROOT / "inventory", root / "inventory", ignore=shutil.ignore_patterns("lab.yaml"))
    shutil.copytree(ROOT / "templates", root / "templates")
    lab_down(root, purge=True)
    run("render", repo=root)
    run("lab", "up", *[a for name in SWITCHES for a in ("--limit", f"host:{name}")], repo=root)
    yield root
    lab_down(root, purge=True)


def environment(repo: Path) -> dict[str, dict[str, str]]:
    return yaml.safe_load((repo / "inventory" / "environments" / "lab.yaml").read_text())["hosts"]


def store(repo: Path) -> SopsSecrets:
    secrets = SopsSecrets(repo / "inventory" / "secrets.sops.yaml")
    secrets.load()
    return secrets


def intended(repo: Path, host: str) -> str:
    return (repo / "build" / "hosts" / host / dialect(SWITCHES[host]).config_file).read_text()


def session(repo: Path, host: str) -> Session:
    entry = environment(repo)[host]
    school = host.rsplit("-", 1)[0]
    target = Target(host, entry["address"], entry["port"], entry["host_key"], "admin",
                    store(repo).get(f"switch/{school}/admin"))
    return Session(target, dialect(SWITCHES[host]), 10)


def audit(repo: Path, *hosts: str) -> tuple[int, dict[str, dict[str, object]]]:
    limits = [a for h in (hosts or tuple(SWITCHES)) for a in ("--limit", f"host:{h}")]
    result = run("switches", "audit", "--env", "lab", *limits, "--format", "json", repo=repo, ok=False)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, {a["host"]: a for a in json.loads(result.stdout)}


def push(repo: Path, *extra: str) -> tuple[int, dict[str, dict[str, object]], str]:
    result = run("switches", "push", "--env", "lab", *[a for h in SWITCHES for a in ("--limit", f"host:{h}")],
                 "--yes", "--format", "json", *extra, repo=repo, ok=False)
    assert result.returncode in (0, 1), result.stderr
    entry = json.loads(result.stdout)
    return result.returncode, {h["host"]: h for h in entry["hosts"]}, result.stdout + result.stderr


def features(repo: Path) -> list[object]:
    return load_for_action(repo / "inventory").programme.switch_features


ADMIN, AUTH = "switch/nx-sad-001/admin", "snmp/nx-sad-001/auth"


@pytest.fixture(scope="module")
def sw1_config(tmp_path_factory: pytest.TempPathFactory) -> str:
    build = tmp_path_factory.mktemp("sw1") / "build"
    subprocess.run([SCHOOLNET, "render", "--limit", "host:nx-sad-001-sw1", "--out", str(build)], cwd=ROOT,
                   check=True, capture_output=True)
    return (build / "hosts" / "nx-sad-001-sw1" / "startup.cfg").read_text()


@pytest.mark.parametrize(("line", "shown"), [
    ("local-user admin password irreversible-cipher {admin}",
     f"local-user admin password irreversible-cipher <secret:{ADMIN}>"),
    ("local-user admin password irreversible-cipher Rotated-Away",  # a value the store no longer knows
     f"local-user admin password irreversible-cipher <secret:{ADMIN}, an earlier value>"),
    ("undo local-user admin password irreversible-cipher Rotated-Away",
     f"undo local-user admin password irreversible-cipher <secret:{ADMIN}, an earlier value>"),
    (" snmp-agent usm-user v3 schoolnet-monitor authentication-mode sha2-256 cipher Old",
     " snmp-agent usm-user v3 schoolnet-monitor authentication-mode sha2-256 cipher "
     f"<secret:{AUTH}, an earlier value>"),
    ("port default vlan 20", "port default vlan 20"),  # nothing secret: as it is
    ("the switch refused `x {admin}`", f"the switch refused `x <secret:{ADMIN}>`"),
])
def test_masking_hides_todays_and_earlier_values(line: str, shown: str, sw1_config: str) -> None:
    """With the reference programme's real store and nx-sad-001-sw1's rendered configuration."""
    secrets = SopsSecrets(ROOT / "inventory" / "secrets.sops.yaml")
    masker = Masker(sw1_config, [ADMIN, AUTH, "snmp/nx-sad-001/priv"], secrets)
    assert masker.line(line.format(admin=secrets.get(ADMIN))) == shown


def test_lab_status_says_the_switches_are_emulators(repo: Path) -> None:
    rows = {r["host"]: r for r in json.loads(run("lab", "status", "--format", "json", repo=repo).stdout)}
    for host in SWITCHES:
        assert rows[host]["running"] and rows[host]["ssh"] and rows[host]["address"].startswith("127.23.")
        assert "switch emulator" in rows[host]["kind"]


def test_a_lab_switch_says_the_inventorys_serial_and_its_models_part_number(repo: Path) -> None:
    """What observe will read (`display esn`/`display version`, `show version`) is the inventory's switch."""
    fleet = load_for_action(repo / "inventory")
    for host in (h for h in fleet.hosts if h.hostname in SWITCHES):
        with session(repo, host.hostname) as s:
            outputs = switch_facts.collect(s.run, SWITCHES[host.hostname])
        facts = switch_facts.identity(SWITCHES[host.hostname], outputs)
        assert facts.serial == host.serial, host.hostname
        assert facts.model == fleet.catalog[host.model].model.split()[-1], host.hostname


def test_audit_push_and_audit_again_converge(repo: Path) -> None:
    """The seeded drift is found exactly, beside the secrets schoolnet cannot yet prove the switch holds (a
    VRP switch prints them hashed, IOS hides SNMPv3 users); one push converges it and records what the
    switch printed for each secret; a second push sends no line, so no secret is ever typed twice."""
    code, first = audit(repo)
    assert code == 1
    secrets = store(repo)
    for host, os_name in SWITCHES.items():
        drifted, notes = seeded_drift(os_name, intended(repo, host), host)
        assert len(notes) == 3  # a VLAN removed, an access port moved, an extra local user
        expected = compare(os_name, features(repo), drifted, intended(repo, host))  # type: ignore[arg-type]
        names = [n for n in secrets.values if n.startswith(("switch/", "snmp/")) and host.rsplit("-", 1)[0] in n]
        masker = Masker(intended(repo, host), names, secrets)
        assert first[host]["status"] == "non-compliant"
        sent = list(first[host]["remediation"])  # type: ignore[call-overload]
        drift = masker.lines(expected.remediation)
        assert [line for line in sent if line in drift] == [line for line in drift if line in sent]
        assert set(drift) <= set(sent)
        unproven = [line for line in sent if line not in drift and line not in ("aaa", "quit", "exit")]
        assert unproven and all(slot_of(os_name, line) is not None and "<secret:" in line for line in unproven)
        assert set(first[host]["features"]) >= {"vlans", "interfaces", "aaa"}  # type: ignore[arg-type]
    code, pushed, _ = push(repo)
    assert code == 0 and {h: o["status"] for h, o in pushed.items()} == {h: "changed" for h in SWITCHES}
    assert pushed["nx-sad-001-sw1"]["changes"] == first["nx-sad-001-sw1"]["remediation"]
    code, again, _ = push(repo)
    assert code == 0 and all(o["status"] == "unchanged" and o["changes"] == [] for o in again.values())
    code, after = audit(repo)
    assert code == 0 and all(a["status"] == "compliant" and a["remediation"] == [] for a in after.values())


@pytest.mark.parametrize(("host", "drift", "remediation"), [
    ("nx-sad-001-sw2", ["undo vlan batch 40", "interface GigabitEthernet0/0/3", "port default vlan 30", "quit",
                        "aaa", "local-user visitor password irreversible-cipher Visitor-2026",
                        "local-user visitor privilege level 3", "quit"],
     ["vlan batch 40", "vlan 40", "description guest", "quit", "aaa", "undo local-user visitor", "quit",
      "interface GigabitEthernet0/0/3", "port default vlan 20", "quit"]),
    ("nx-kan-008-sw1", ["no vlan 30", "interface GigabitEthernet1/0/2", "switchport access vlan 40", "exit",
                        "username visitor privilege 3 secret Visitor-2026"],
     ["vlan 30", "name tablets", "exit", "interface GigabitEthernet1/0/2", "switchport access vlan 20", "exit",
      "no username visitor"]),
])
def test_drift_made_by_hand_is_reported_exactly_and_pushed_away(repo: Path, host: str, drift: list[str],
                                                                 remediation: list[str]) -> None:
    run("switches", "push", "--env", "lab", "--limit", f"host:{host}", "--yes", repo=repo)  # compliant first
    with session(repo, host) as s:
        accepted, refusal = s.configure(drift)
        assert refusal is None and accepted == drift
    code, found = audit(repo, host)
    assert code == 1 and found[host]["remediation"] == remediation
    run("switches", "push", "--env", "lab", "--limit", f"host:{host}", "--yes", repo=repo)
    assert audit(repo, host) == (0, audit(repo, host)[1]) and audit(repo, host)[1][host]["status"] == "compliant"


def test_plan_shows_a_switch_remediation_beside_the_servers(repo: Path) -> None:
    with session(repo, "nx-sad-001-sw1") as s:
        s.configure(["interface GigabitEthernet0/0/5", "port default vlan 40", "quit"])
    result = run("plan", "--env", "lab", "--limit", "host:nx-sad-001-sw1", repo=repo)
    assert "✗ nx-sad-001-sw1 non-compliant" in result.stdout
    assert "    interface GigabitEthernet0/0/5\n    port default vlan 20\n    quit" in result.stdout
    run("switches", "push", "--env", "lab", "--limit", "host:nx-sad-001-sw1", "--yes", repo=repo)


def test_paging_left_on_is_paged_through(repo: Path) -> None:
    with session(repo, "nx-sad-001-sw1") as s:
        paged = s.run(dialect("huawei-vrp").show_config)
        assert "More" not in paged and paged.count("\n") > 100
        assert s.read_config() == paged


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def stand_in(repo: Path, tmp_path: Path, host: str, *options: str, factory: bool = False) -> Iterator[None]:
    """`host` replaced, in the lab environment, by an emulator of its own started with `options` (its
    saved state copied, its host key kept; `factory`: nothing saved, as delivered): a switch that behaves
    as a real one sometimes does."""
    lab = Path(LAB_ENV["SCHOOLNET_LAB_DIR"]) / "switches" / host
    state = tmp_path / "state"
    if factory:
        state.mkdir()
    else:
        shutil.copytree(lab / "state", state)
    port = _free_port()
    (tmp_path / "password").write_text(store(repo).get(f"switch/{host.rsplit('-', 1)[0]}/admin") + "\n")
    process = subprocess.Popen([sys.executable, "-m", "schoolnet.switchlab.server", "--listen", "127.0.0.1",
                                "--port", str(port), "--host-key", str(lab / "ssh_host_ed25519_key"), "--state",
                                str(state), "--platform", SWITCHES[host], "--hostname", host, "--user", "admin",
                                "--password-file", str(tmp_path / "password"), *options],
                               stdout=subprocess.PIPE, text=True)
    env_file = repo / "inventory" / "environments" / "lab.yaml"
    original = env_file.read_text()
    try:
        assert process.stdout is not None and process.stdout.readline().startswith("ready")
        document = yaml.safe_load(original)
        document["hosts"][host].update(address="127.0.0.1", port=port)
        env_file.write_text(yaml.safe_dump(document))
        yield
    finally:
        env_file.write_text(original)
        process.send_signal(signal.SIGTERM)
        process.wait(10)


def test_one_switch_refusing_a_line_fails_alone_and_retry_targets_it(repo: Path, tmp_path: Path) -> None:
    """sw2 is replaced, in the environment, by an emulator that refuses `port default vlan`: its push fails
    with that line and the switch's own error; the others converge; --retry-failed picks only sw2."""
    with session(repo, "nx-sad-001-sw1") as s:
        s.configure(["undo vlan batch 40"])
    with stand_in(repo, tmp_path, "nx-sad-001-sw2", "--reject", "^port default vlan"):
        with session(repo, "nx-sad-001-sw2") as s:  # the strict one: the fix will need `port default vlan`
            assert s.configure(["interface GigabitEthernet0/0/4", "undo port default vlan", "quit"])[1] is None
        code, pushed, _ = push(repo)
        assert code == 1
        assert pushed["nx-sad-001-sw1"]["status"] == "changed" and pushed["nx-kan-008-sw1"]["status"] == "unchanged"
        reason = str(pushed["nx-sad-001-sw2"]["reason"])
        assert pushed["nx-sad-001-sw2"]["status"] == "failed"
        assert "refused `port default vlan 20`" in reason and "Error: Unrecognized command" in reason
        code, retried, _ = push(repo, "--retry-failed")
        assert list(retried) == ["nx-sad-001-sw2"] and code == 1
    run("switches", "push", "--env", "lab", "--limit", "host:nx-sad-001-sw2", "--yes", repo=repo)


@pytest.mark.parametrize("host", ["nx-sad-001-sw2", "nx-kan-008-sw1"])
def test_a_factory_default_switch_is_pushed_in_one_go_and_stays_compliant(repo: Path, tmp_path: Path,
                                                                          host: str) -> None:
    """A switch as delivered (its vendor's factory lines, `no aaa new-model` on IOS, no local user, the
    delivery password): one push converges it over SSH, the audit after it is compliant with 0 lines, and
    a second push sends nothing."""
    with stand_in(repo, tmp_path, host, factory=True):
        with session(repo, host) as s:
            factory = s.read_config()
        assert "local-user admin" not in factory and "username admin" not in factory
        assert ("domain default_admin" in factory) if SWITCHES[host] == "huawei-vrp" else "no aaa new-model" in factory
        _, pushed, output = push(repo)
        assert pushed[host]["status"] == "changed", output
        assert len(pushed[host]["changes"]) > 100  # type: ignore[arg-type]
        _, found = audit(repo, host)
        assert found[host]["status"] == "compliant" and found[host]["remediation"] == []
        _, again, _ = push(repo)
        assert again[host]["status"] == "unchanged" and again[host]["changes"] == []


def test_a_switch_with_every_vty_busy_fails_alone_and_the_push_is_recorded(repo: Path, tmp_path: Path) -> None:
    """A switch that refuses the session channel (every VTY line taken: here it has none) is that switch's
    failure with one line; the other switches are pushed and the run's record holds all three."""
    log = repo / "deploys" / "log.jsonl"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    with stand_in(repo, tmp_path, "nx-sad-001-sw2", "--vty", "0"):
        code, pushed, output = push(repo)
        audited, found = audit(repo)
    assert code == 1 and audited == 1
    for outcome in (pushed["nx-sad-001-sw2"], found["nx-sad-001-sw2"]):
        assert outcome["status"] == "failed"
        assert str(outcome["reason"]).startswith("nx-sad-001-sw2 refused a command-line session")
        assert "\n" not in str(outcome["reason"])
    assert {pushed[h]["status"] for h in ("nx-sad-001-sw1", "nx-kan-008-sw1")} <= {"changed", "unchanged"}
    entries = log.read_text().splitlines()
    assert len(entries) == before + 1
    recorded = {h["host"]: h["status"] for h in json.loads(entries[-1])["hosts"]}
    assert recorded == {h: pushed[h]["status"] for h in SWITCHES}
    assert "Traceback" not in output


def test_unreachable_switch_and_changed_host_key_each_fail_alone(repo: Path, tmp_path: Path) -> None:
    env_file = repo / "inventory" / "environments" / "lab.yaml"
    original = env_file.read_text()
    document = yaml.safe_load(original)
    document["hosts"]["nx-sad-001-sw1"].update(address="127.0.0.1", port=_free_port())  # nothing listens there
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
    other = " ".join((tmp_path / "other.pub").read_text().split()[:2])
    document["hosts"]["nx-sad-001-sw2"]["host_key"] = other
    env_file.write_text(yaml.safe_dump(document))
    try:
        code, found = audit(repo)
    finally:
        env_file.write_text(original)
    assert code == 1
    unreachable, changed = found["nx-sad-001-sw1"], found["nx-sad-001-sw2"]
    assert unreachable["status"] == "failed" and "cannot reach 127.0.0.1" in str(unreachable["reason"])
    assert changed["status"] == "failed" and "does not match the key pinned" in str(changed["reason"])
    assert found["nx-kan-008-sw1"]["status"] == "compliant"
    assert all("\n" not in str(a["reason"]) for a in found.values())


def test_an_audit_of_saved_configurations_says_what_a_live_audit_says(repo: Path, tmp_path: Path) -> None:
    """Backups in Oxidized's layout (DIR/<hostname>) and RANCID's (DIR/configs/<hostname>, its own header),
    audited with --running-dir: the same JSON as the live audit, drift included; a switch without a backup
    fails alone."""
    with session(repo, "nx-sad-001-sw1") as s:
        assert s.configure(["interface GigabitEthernet0/0/5", "port default vlan 40", "quit"])[1] is None
    live_code, live = audit(repo)
    backups = tmp_path / "backups"
    (backups / "configs").mkdir(parents=True)
    for host in SWITCHES:
        with session(repo, host) as s:
            text = s.read_config()
        if SWITCHES[host] == "cisco-ios":
            (backups / "configs" / host).write_text("!RANCID-CONTENT-TYPE: cisco\n!\n!Chassis type: WS-C2960X\n"
                                                    + text)
        else:
            (backups / host).write_text(text)
    code, saved = audit_saved_json(repo, backups)
    assert code == live_code == 1 and saved == live
    assert live["nx-sad-001-sw1"]["status"] == "non-compliant"
    assert "port default vlan 20" in live["nx-sad-001-sw1"]["remediation"]  # type: ignore[operator]
    (backups / "nx-sad-001-sw2").unlink()
    _, missing = audit_saved_json(repo, backups)
    assert missing["nx-sad-001-sw2"]["status"] == "failed" and "no saved configuration" in missing["nx-sad-001-sw2"][
        "reason"]
    run("switches", "push", "--env", "lab", "--limit", "host:nx-sad-001-sw1", "--yes", repo=repo)


def audit_saved_json(repo: Path, backups: Path) -> tuple[int, dict[str, dict[str, str]]]:
    limits = [a for h in SWITCHES for a in ("--limit", f"host:{h}")]
    result = run("switches", "audit", "--env", "lab", *limits, "--format", "json", "--running-dir", str(backups),
                 repo=repo, ok=False)
    return result.returncode, {a["host"]: a for a in json.loads(result.stdout)}


def test_onboarding_pins_a_key_only_when_its_fingerprint_matches_the_record(repo: Path) -> None:
    """Two switches whose keys are not pinned yet: sw1's recorded fingerprint is its emulator's key, sw2's is
    another key's.  validate flags both (SN507); onboarding pins sw1's key at its line of the school file and
    refuses sw2 with both fingerprints; validate then flags sw2 alone.  A staged switch is exempt."""
    school = repo / "inventory" / "schools" / "sadarak" / "nx-sad-001.yaml"
    original = school.read_text()
    lab_keys = {h: environment(repo)[h]["host_key"] for h in ("nx-sad-001-sw1", "nx-sad-001-sw2")}
    wrong = "SHA256:" + base64.b64encode(hashlib.sha256(b"not the switch").digest()).decode().rstrip("=")
    right = fingerprint(paramiko.PKey.from_type_string("ssh-ed25519", base64.b64decode(
        lab_keys["nx-sad-001-sw1"].split()[1])))
    text = re.sub(r"(    asset_tag: NX-SAD-001-SW1\n    uplink_port: \S+\n)    ssh_host_key: .*\n",
                  rf"\g<1>    ssh_host_key_fingerprint: '{right}'\n", original)
    text = re.sub(r"(    asset_tag: NX-SAD-001-SW2\n    uplink_port: \S+\n)    ssh_host_key: .*\n",
                  rf"\g<1>    ssh_host_key_fingerprint: '{wrong}'\n", text)
    assert text.count("ssh_host_key_fingerprint") == 2
    school.write_text(text)
    try:
        flagged = run("validate", repo=repo, ok=False)
        assert flagged.returncode == 1 and flagged.stdout.count("SN507") + flagged.stderr.count("SN507") == 2
        result = run("switches", "onboard", "--env", "lab", "--limit", "host:nx-sad-001-sw1", "--limit",
                     "host:nx-sad-001-sw2", "--format", "json", repo=repo, ok=False)
        found = {r["host"]: r for r in json.loads(result.stdout)}
        assert result.returncode == 1
        assert found["nx-sad-001-sw1"]["status"] == "pinned"
        file, line = found["nx-sad-001-sw1"]["where"].rsplit(":", 1)
        assert file == "inventory/schools/sadarak/nx-sad-001.yaml"
        assert school.read_text().splitlines()[int(line) - 1] == f"    ssh_host_key: {lab_keys['nx-sad-001-sw1']}"
        assert found["nx-sad-001-sw2"]["status"] == "refused" and wrong in found["nx-sad-001-sw2"]["reason"]
        assert "nx-sad-001-sw2" in found and school.read_text().count("ssh_host_key: ") == original.count(
            "ssh_host_key: ") - 1  # sw2 stays unpinned
        again = run("validate", repo=repo, ok=False)
        assert (again.stdout + again.stderr).count("SN507") == 1 and "nx-sad-001-sw2" in again.stdout + again.stderr
        school.write_text(school.read_text().replace(f"ssh_host_key_fingerprint: '{wrong}'",
                                                     f"ssh_host_key_fingerprint: '{wrong}'\n    status: staged"))
        run("validate", repo=repo)  # a staged switch may wait for its key
    finally:
        school.write_text(original)


def test_saved_configuration_survives_lab_down_and_up_and_unsaved_does_not(repo: Path) -> None:
    with session(repo, "nx-kan-008-sw1") as s:
        s.configure(["interface GigabitEthernet1/0/6", "switchport access vlan 30", "exit"])  # not saved
    lab_down(repo)
    run("lab", "up", *[a for name in SWITCHES for a in ("--limit", f"host:{name}")], repo=repo)
    code, found = audit(repo)
    assert code == 0 and all(a["status"] == "compliant" for a in found.values())  # pushed and saved before


def test_secrets_appear_in_no_output_json_or_record(repo: Path) -> None:
    secrets = store(repo)
    values = [secrets.get(n) for n in secrets.values if n.startswith(("switch/", "snmp/"))]
    with session(repo, "nx-sad-001-sw1") as s:  # a key typed on the switch, then a push that replaces it
        s.configure(["snmp-agent usm-user v3 schoolnet-monitor authentication-mode sha2-256 cipher Old-Secret-2025"])
    text = run("switches", "audit", "--env", "lab", "--limit", "host:nx-sad-001-sw1", repo=repo, ok=False).stdout
    code, _, pushed = push(repo)
    assert code == 0
    record = (repo / "deploys" / "log.jsonl").read_text()
    for output in (text, pushed, record):
        assert not any(v in output for v in values)
        assert "Old-Secret-2025" not in output
    assert f"<secret:{AUTH}>" in pushed


def test_no_switch_is_started_while_memory_is_short(repo: Path) -> None:
    result = run("lab", "up", "--limit", "host:nx-sad-001-sw3", repo=repo, ok=False,
                 SCHOOLNET_LAB_MEMORY_RESERVE_MIB=str(10**9))
    assert result.returncode == 1 and "stopped starting switches with 1 of 1 to go" in result.stderr
    rows = json.loads(run("lab", "status", "--format", "json", repo=repo).stdout)
    assert "nx-sad-001-sw3" not in {r["host"] for r in rows} and len(rows) == len(SWITCHES)
