"""Deploy with pyinfra over SSH to real lab hosts: converge, idempotence, services, failures, record.

Deploys to the session's shared lab (tests/labs.py, with tests/test_lab.py); needs root, as `make test` runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SCHOOLNET
from tests.labs import CONTENT, EDGE, EDGE2, HUB, LAB_ENV, pinned, run, ssh
from tests.labs import SHARED_HOSTS as HOSTS

ENV = {**os.environ, **LAB_ENV}


def deploy(work: Path, *args: str) -> tuple[int, dict[str, dict[str, object]], str]:
    result = run(work, "deploy", "--env", "lab", "--yes", "--format", "json",
                 *[a for h in HOSTS for a in ("--limit", f"host:{h}")], *args)
    try:
        hosts = {h["host"]: h for h in json.loads(result.stdout)["hosts"]}
    except ValueError:
        hosts = {}
    return result.returncode, hosts, result.stderr


@pytest.fixture(scope="module")
def work(shared_lab_repo: Path) -> Path:
    """The session's lab repository: the small programme, the templates, the four hosts up, rendered."""
    return shared_lab_repo


@pytest.fixture
def known(work: Path, tmp_path: Path) -> Path:
    return pinned(work / "inventory", tmp_path)


def test_1_first_deploy_converges_and_the_second_changes_nothing(work: Path) -> None:
    code, hosts, err = deploy(work)
    assert code == 0, err
    assert {h: hosts[h]["status"] for h in HOSTS} == {h: "changed" for h in HOSTS}
    assert "[1/" in err and "packages: " in err and "(4 host(s))" in err  # progress, one line per operation
    known = pinned(work / "inventory", work)
    for host in HOSTS:  # a confirmed change leaves nothing behind: no staged copy, no kept file, no revert
        leftovers = ssh(work / "inventory", host, "sudo find /var/lib/schoolnet/staged /var/lib/schoolnet/txn "
                        "-mindepth 1; sudo find /etc -name '*.schoolnet-*'; ps -eo args | grep '^sleep 600' || true",
                        known)
        assert leftovers.stdout.split() == [], (host, leftovers.stdout)
    code, hosts, err = deploy(work)
    assert code == 0, err
    assert {h: (hosts[h]["status"], hosts[h]["changes"]) for h in HOSTS} == {h: ("unchanged", []) for h in HOSTS}


def test_2_services_run_and_answer_from_another_namespace(work: Path, known: Path) -> None:
    active = ssh(work / "inventory", EDGE, "systemctl is-active dnsmasq unbound nginx nftables "
                 "prometheus-node-exporter", known)
    assert active.stdout.split() == ["active"] * 5, active.stdout + active.stderr
    tablets = run(work, "ipam", "show", "nx-sad-001", "--format", "json")
    management = json.loads(tablets.stdout)["vlans"][0]["gateway"]
    # a client namespace on the tablet VLAN; the school reaches the content server through the lab's uplink
    probe = run(work, "lab", "probe", "nx-sad-001", "--vlan", "tablets")
    assert probe.returncode == 0, probe.stdout + probe.stderr
    answer, first, second = probe.stdout.splitlines()[:3]
    assert answer == f"✓ dns  nx-sad-001-edge.nx-sad-001.nx.schoolnet.internal -> {management}"
    assert first.startswith("✓ http GET ") and first.endswith(f"200 OK, X-Cache-Status MISS, from {CONTENT}")
    assert second == f"✓ http the same again -> 200 OK, X-Cache-Status HIT, from {CONTENT}"
    # without the content server, the same probe fails, and says so with exit 1
    stopped = ssh(work / "inventory", CONTENT, "sudo systemctl stop nginx", known)
    assert stopped.returncode == 0, stopped.stderr
    try:
        probe = run(work, "lab", "probe", "nx-sad-001", "--vlan", "tablets")
        assert probe.returncode == 1 and "✗ http GET " in probe.stdout and "502 Bad Gateway" in probe.stdout
    finally:
        assert ssh(work / "inventory", CONTENT, "sudo systemctl start nginx", known).returncode == 0


def test_2b_drift_made_by_hand_on_a_host_is_put_back_and_only_there(work: Path, known: Path) -> None:
    """The redeploy reads each host once; what it reads must still catch a stopped service, a file's
    mode and a file's content changed behind its back."""
    drift = ssh(work / "inventory", EDGE, "sudo systemctl stop dnsmasq && "
                "sudo chmod 0600 /etc/unbound/unbound.conf.d/school.conf && "
                "echo '# edited by hand' | sudo tee -a /etc/nftables.conf >/dev/null", known)
    assert drift.returncode == 0, drift.stderr
    code, hosts, err = deploy(work)
    assert code == 0, err
    assert hosts[EDGE2]["status"] == hosts[HUB]["status"] == "unchanged"
    assert hosts[EDGE]["status"] == "changed"
    changes = " / ".join(map(str, hosts[EDGE]["changes"]))
    for expected in ("dhcp: dnsmasq", "/etc/unbound/unbound.conf.d/school.conf mode", "install /etc/nftables.conf"):
        assert expected in changes, changes
    after = ssh(work / "inventory", EDGE, "systemctl is-active dnsmasq; "
                "stat -c %a /etc/unbound/unbound.conf.d/school.conf; sudo grep -c 'edited by hand' /etc/nftables.conf",
                known).stdout.split()
    assert after == ["active", "644", "0"], after
    code, hosts, err = deploy(work)
    assert code == 0 and {h["status"] for h in hosts.values()} == {"unchanged"}, err


def test_3_an_unreachable_host_fails_alone_and_retry_failed_converges_it(work: Path) -> None:
    stop = subprocess.run([str(Path(SCHOOLNET).parent / "python"), "-c",
                           "import sys; from schoolnet.lab.lab import stop_host; stop_host(sys.argv[1])", EDGE2],
                          env=ENV, capture_output=True, text=True)
    assert stop.returncode == 0, stop.stderr
    template = work / "templates/ntp/etc/chrony/conf.d/schoolnet.conf.j2"
    template.write_text(template.read_text() + "# a change for every edge\n")
    assert run(work, "render").returncode == 0
    code, hosts, err = deploy(work)
    assert code == 1
    assert hosts[EDGE]["status"] == "changed" and hosts[HUB]["status"] == "unchanged"
    assert hosts[EDGE2]["status"] == "failed" and str(hosts[EDGE2]["reason"]).startswith("unreachable")
    assert f"│ {EDGE2}" in err or EDGE2 in err
    assert run(work, "lab", "up", "--limit", f"host:{EDGE2}").returncode == 0
    result = run(work, "deploy", "--env", "lab", "--yes", "--retry-failed", "--format", "json")
    assert result.returncode == 0, result.stderr
    retried = {h["host"]: h for h in json.loads(result.stdout)["hosts"]}
    assert list(retried) == [EDGE2] and retried[EDGE2]["status"] == "changed"


def test_4_a_file_failing_its_on_host_check_is_not_activated(work: Path, known: Path, tmp_path: Path) -> None:
    """Valid where it was checked offline, invalid on the host: the host keeps its previous file and service."""
    before = ssh(work / "inventory", EDGE, "sha256sum /etc/dnsmasq.d/school.conf", known).stdout.split()[0]
    only_here = tmp_path / "confdir-only-on-the-checking-machine"
    only_here.mkdir()
    template = work / "templates/dhcp/etc/dnsmasq.d/school.conf.j2"
    original = template.read_text()
    template.write_text(original.replace("log-dhcp\n", f"log-dhcp\nconf-dir={only_here}\n"))
    try:
        assert run(work, "render").returncode == 0
        code, hosts, err = deploy(work)
        assert code == 1
        assert hosts[EDGE]["status"] == "failed"
        assert "/etc/dnsmasq.d/school.conf" in str(hosts[EDGE]["reason"])
        after = ssh(work / "inventory", EDGE, "sha256sum /etc/dnsmasq.d/school.conf; systemctl is-active dnsmasq",
                    known).stdout.split()
        assert after[0] == before and after[-1] == "active"
    finally:
        template.write_text(original)
        assert run(work, "render").returncode == 0
    code, hosts, err = deploy(work)
    assert code == 0, err


def test_5_a_changed_host_key_is_refused(work: Path) -> None:
    lab_env = work / "inventory/environments/lab.yaml"
    original = lab_env.read_text()
    document = yaml.safe_load(original)
    document["hosts"][EDGE]["host_key"] = document["hosts"][HUB]["host_key"]
    lab_env.write_text(yaml.safe_dump(document))
    try:
        code, hosts, _ = deploy(work)
        assert code == 1
        assert hosts[EDGE]["status"] == "failed" and "host key" in str(hosts[EDGE]["reason"])
        assert hosts[HUB]["status"] == "unchanged"
    finally:
        lab_env.write_text(original)


def test_6_every_deploy_is_recorded(work: Path) -> None:
    lines = (work / "deploys/log.jsonl").read_text().splitlines()
    assert len(lines) >= 6
    entry = json.loads(lines[-1])
    assert entry["environment"] == "lab" and entry["operator"] and "time" in entry and "dirty" in entry
    assert {h["host"] for h in entry["hosts"]} == set(HOSTS)


def test_7_plan_shows_diffs_with_secrets_masked_even_rotated_ones_and_changes_nothing(work: Path,
                                                                                       known: Path) -> None:
    """After `secrets rotate`, the host's file still holds the old key, which the store no longer
    knows: the diff shows that the key line changed, and neither value."""
    from schoolnet.secrets import open_store

    name = "wireguard/nx-sad-001-edge/private_key"
    os.environ.setdefault("SOPS_AGE_KEY_FILE", ENV.get("SOPS_AGE_KEY_FILE", ""))
    old_key = open_store(work / "inventory").get(name)
    template = work / "templates/vpn/etc/wireguard/wg0.conf.j2"
    template.write_text(template.read_text().replace("PrivateKey =", "# rotated with the key\nPrivateKey =", 1))
    assert run(work, "secrets", "rotate", name).returncode == 0
    new_key = open_store(work / "inventory").get(name)
    assert new_key != old_key
    assert run(work, "render").returncode == 0
    result = run(work, "plan", "--env", "lab", "--limit", f"host:{EDGE}", "--parallel", "2")
    assert result.returncode == 0, result.stderr
    assert "+# rotated with the key" in result.stdout
    assert f"-PrivateKey = <secret:{name}, an earlier value>" in result.stdout
    assert f"+PrivateKey = <secret:{name}>" in result.stdout
    for key in (old_key, new_key):
        assert key not in result.stdout and key not in result.stderr
    still = ssh(work / "inventory", EDGE, "sudo cat /etc/wireguard/wg0.conf", known).stdout
    assert "rotated" not in still and old_key in still


def test_8_waves_halt_when_a_wave_fails_too_often(work: Path, tmp_path: Path) -> None:
    waves = tmp_path / "waves.yaml"
    waves.write_text(f"max_failure_rate: 0.5\nwaves:\n  - {{name: pilot, limit: ['host:{EDGE2}']}}\n"
                     f"  - {{name: rest, limit: ['host:{EDGE}', 'host:{HUB}']}}\n")
    stop = subprocess.run([str(Path(SCHOOLNET).parent / "python"), "-c",
                           "import sys; from schoolnet.lab.lab import stop_host; stop_host(sys.argv[1])", EDGE2],
                          env=ENV, capture_output=True, text=True)
    assert stop.returncode == 0, stop.stderr
    try:
        result = run(work, "deploy", "--env", "lab", "--yes", "--waves", str(waves), "--format", "json")
        assert result.returncode == 1 and "[" in result.stdout, result.stderr
        entries = json.loads(result.stdout[result.stdout.index("["):])
        assert [[h["host"] for h in e["hosts"]] for e in entries] == [[EDGE2]]
        assert "wave 1 (pilot) failed on 100% of its hosts" in result.stderr and "stops here" in result.stderr
        result = run(work, "deploy", "--env", "lab", "--yes", "--waves", str(waves), "--wave", "2",
                     "--format", "json")
        assert result.returncode == 0, result.stderr
        entries = json.loads(result.stdout[result.stdout.index("["):])
        assert sorted(h["host"] for h in entries[0]["hosts"]) == sorted([EDGE, HUB])
    finally:
        assert run(work, "lab", "up", "--limit", f"host:{EDGE2}").returncode == 0


def test_9_plain_pyinfra_runs_the_same_deploy_as_pyinfra_users_expect(work: Path, known: Path,
                                                                      tmp_path: Path) -> None:
    """`pyinfra deploy/inventory.py deploy/site.py --dry`: a rendered change shows as to come on the
    edge, no secret is printed, and the dry run leaves the host as it was."""
    template = work / "templates/dhcp/etc/dnsmasq.d/school.conf.j2"
    original = template.read_text()
    template.write_text(original + "# pending for plain pyinfra\n")
    env = {**ENV, "SCHOOLNET_ENV": "lab", "SCHOOLNET_INVENTORY": str(work / "inventory"),
           "SCHOOLNET_BUILD": str(work / "build"), "SCHOOLNET_KNOWN_HOSTS": str(tmp_path / "known_hosts")}
    try:
        assert run(work, "render").returncode == 0
        result = subprocess.run([str(Path(SCHOOLNET).parent / "pyinfra"), str(ROOT / "deploy/inventory.py"),
                                 str(ROOT / "deploy/site.py"), "--dry", "--limit", EDGE], cwd=work, env=env,
                                capture_output=True, text=True, timeout=600)
    finally:
        template.write_text(original)
        assert run(work, "render").returncode == 0
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "check and install /etc/dnsmasq.d/school.conf" in output, output
    os.environ.setdefault("SOPS_AGE_KEY_FILE", ENV.get("SOPS_AGE_KEY_FILE", ""))
    from schoolnet.secrets import open_store

    assert open_store(work / "inventory").get("wireguard/nx-sad-001-edge/private_key") not in output
    still = ssh(work / "inventory", EDGE, "cat /etc/dnsmasq.d/school.conf", known).stdout
    assert "interface=" in still and "pending for plain pyinfra" not in still



def sha(work: Path, known: Path, host: str, *paths: str) -> list[str]:
    result = ssh(work / "inventory", host, "sudo sha256sum " + " ".join(paths) + " | cut -c1-64", known)
    return result.stdout.split()


def built(work: Path, host: str, *paths: str) -> list[str]:
    import hashlib

    return [hashlib.sha256((work / "build/hosts" / host / p.lstrip("/")).read_bytes()).hexdigest() for p in paths]


BASE = ["/etc/apt/apt.conf.d/52schoolnet-unattended-upgrades", "/etc/ssh/sshd_config.d/50-schoolnet.conf",
        "/etc/systemd/journald.conf.d/50-schoolnet.conf"]
BASE_TEMPLATES = ["base/etc/apt/apt.conf.d/52schoolnet-unattended-upgrades.j2",
                  "base/etc/ssh/sshd_config.d/50-schoolnet.conf.j2",
                  "base/etc/systemd/journald.conf.d/50-schoolnet.conf.j2"]


def edit(work: Path, template: str, addition: str) -> str:
    path = work / "templates" / template
    original = path.read_text()
    path.write_text(original + addition)
    return original


def test_10_the_second_file_failing_on_the_host_keeps_the_first_from_going_live(work: Path, known: Path) -> None:
    """The base role's sshd drop-in passes `sshd -t` alone (offline) but not inside the host's whole
    sshd_config (Debian's own defines the sftp subsystem too: "Subsystem 'sftp' already defined"):
    neither it nor the role's first file (apt's) is installed, and sshd runs on as before."""
    assert deploy(work)[0] == 0
    before = sha(work, known, EDGE, *BASE)
    originals = [edit(work, BASE_TEMPLATES[0], "// a harmless change\n"),
                 edit(work, BASE_TEMPLATES[1], "Subsystem sftp internal-sftp\n")]
    try:
        assert run(work, "render").returncode == 0
        code, hosts, err = deploy(work)
        assert code == 1, err
        assert hosts[EDGE]["status"] == "failed"
        assert "sshd rejects the configuration" in str(hosts[EDGE]["reason"]), hosts[EDGE]["reason"]
        assert sha(work, known, EDGE, *BASE) == before, "a file of the role went live"
        assert ssh(work / "inventory", EDGE, "systemctl is-active ssh", known).stdout.strip() == "active"
    finally:
        for template, original in zip(BASE_TEMPLATES, originals, strict=False):
            (work / "templates" / template).write_text(original)
        assert run(work, "render").returncode == 0
    assert deploy(work)[0] == 0


def test_11_an_sshd_file_that_locks_the_deploy_user_out_is_rolled_back(work: Path, known: Path) -> None:
    """`DenyUsers deploy` passes every check; only a new login shows it locks the deploy out.  The
    deploy finds that out, restores the role's files through the session still open, and the host
    takes new logins again."""
    before = sha(work, known, EDGE, *BASE)
    original = edit(work, BASE_TEMPLATES[1], "DenyUsers deploy\n")
    try:
        assert run(work, "render").returncode == 0
        code, hosts, err = deploy(work)
        assert code == 1, err
        reason = str(hosts[EDGE]["reason"])
        assert "new SSH login as deploy fails" in reason and "a new login works again" in reason, reason
        assert hosts[EDGE2]["status"] == "failed"  # the same file, the same lock-out, the same roll-back
        assert sha(work, known, EDGE, *BASE) == before
        assert ssh(work / "inventory", EDGE, "true", known).returncode == 0
        leftover = ssh(work / "inventory", EDGE, "sudo ls /var/lib/schoolnet/txn", known).stdout.split()
        assert "base" not in leftover, "the armed revert was not cleaned up"
    finally:
        (work / "templates" / BASE_TEMPLATES[1]).write_text(original)
        assert run(work, "render").returncode == 0
    assert deploy(work)[0] == 0


def test_12_two_deploys_to_the_same_hosts_at_once(work: Path) -> None:
    """Each host is deployed by one of them; the other reports it locked."""
    original = edit(work, "ntp/etc/chrony/conf.d/schoolnet.conf.j2", "# two at once\n")
    try:
        assert run(work, "render").returncode == 0
        limits = [a for h in HOSTS for a in ("--limit", f"host:{h}")]
        runs = [subprocess.Popen([SCHOOLNET, "deploy", "--env", "lab", "--yes", "--format", "json", *limits],
                                 cwd=work, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
        results = [json.loads(r.communicate(timeout=900)[0])["hosts"] for r in runs]
        for host in HOSTS:
            reasons = [next(h for h in result if h["host"] == host)["reason"] for result in results]
            locked = [r for r in reasons if "locked" in r]
            assert len(locked) == 1, (host, reasons)
    finally:
        (work / "templates/ntp/etc/chrony/conf.d/schoolnet.conf.j2").write_text(original)
        assert run(work, "render").returncode == 0
    assert deploy(work)[0] == 0


def interrupt_at(work: Path, marker: str, action: object) -> tuple[int, str]:
    """Start a deploy of HOSTS; when its progress shows `marker`, call `action`; return its exit and output."""
    limits = [a for h in HOSTS for a in ("--limit", f"host:{h}")]
    import signal

    # Ctrl-C as at a terminal, whatever this test's parent ignores (a background job ignores SIGINT)
    process = subprocess.Popen([SCHOOLNET, "deploy", "--env", "lab", "--yes", *limits], cwd=work, env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    assert process.stderr is not None
    for line in process.stderr:
        seen.append(line)
        if marker in line:
            action(process)  # type: ignore[operator]
            break
    out, err = process.communicate(timeout=900)
    return process.returncode, out + "".join(seen) + err


def test_13_ctrl_c_mid_deploy_records_every_host_and_leaves_each_role_whole(work: Path, known: Path) -> None:
    """SIGINT while the base role's files are being changed: exit 130, a record naming every host's
    outcome, and on every host the role's files are all the old ones or all the new ones."""
    import signal

    old = {h: sha(work, known, h, *BASE) for h in HOSTS}
    originals = [edit(work, t, ("// " if "apt" in t else "# ") + "interrupted\n") for t in BASE_TEMPLATES]
    try:
        assert run(work, "render").returncode == 0
        new = {h: built(work, h, *BASE) for h in HOSTS}
        code, output = interrupt_at(work, "base: check and install", lambda p: p.send_signal(signal.SIGINT))
        assert code == 130, output
        entry = json.loads((work / "deploys/log.jsonl").read_text().splitlines()[-1])
        assert entry["interrupted"] is True
        assert {h["host"] for h in entry["hosts"]} == set(HOSTS)
        assert all(h["status"] in ("changed", "unchanged", "failed") and (h["status"] != "failed" or h["reason"])
                   for h in entry["hosts"])
        for host in HOSTS:
            now = sha(work, known, host, *BASE)
            assert now in (old[host], new[host]), f"{host} holds a mix of old and new base files"
    finally:
        for template, original in zip(BASE_TEMPLATES, originals, strict=True):
            (work / "templates" / template).write_text(original)
        assert run(work, "render").returncode == 0
    code, _hosts, err = deploy(work)
    assert code == 0, err


def test_14_a_host_killed_mid_deploy_fails_alone_and_comes_back_whole(work: Path, known: Path) -> None:
    """The host is powered off while its base role is being changed: it fails with a reason, the others
    finish; booted again its role's files are all old or all new, and the next deploy converges."""
    old = sha(work, known, EDGE2, *BASE)
    originals = [edit(work, t, ("// " if "apt" in t else "# ") + "power cut\n") for t in BASE_TEMPLATES]

    def power_off(_: object) -> None:
        stop = subprocess.run([str(Path(SCHOOLNET).parent / "python"), "-c",
                               "import sys; from schoolnet.lab.lab import stop_host; stop_host(sys.argv[1])", EDGE2],
                              env=ENV, capture_output=True, text=True)
        assert stop.returncode == 0, stop.stderr

    try:
        assert run(work, "render").returncode == 0
        new = built(work, EDGE2, *BASE)
        code, output = interrupt_at(work, "base: check and install", power_off)
        assert code == 1, output
        entry = json.loads((work / "deploys/log.jsonl").read_text().splitlines()[-1])
        outcome = {h["host"]: h for h in entry["hosts"]}
        assert outcome[EDGE2]["status"] == "failed" and outcome[EDGE2]["reason"], outcome[EDGE2]
        assert outcome[EDGE]["status"] == "changed", outcome[EDGE]
        assert run(work, "lab", "up", "--limit", f"host:{EDGE2}").returncode == 0
        assert sha(work, known, EDGE2, *BASE) in (old, new), "the host came back with a half-changed role"
        assert ssh(work / "inventory", EDGE2, "systemctl is-active ssh", known).stdout.strip() == "active"
    finally:
        for template, original in zip(BASE_TEMPLATES, originals, strict=True):
            (work / "templates" / template).write_text(original)
        assert run(work, "render").returncode == 0
    code, _hosts, err = deploy(work)
    assert code == 0, err


def test_15_a_school_added_and_another_rendered_leaves_the_hub_stale_and_refused(work: Path) -> None:
    """Adding a school changes the VPN hub's peers; rendering only another school must not make the
    hub's old build look fresh: deploy --limit role:vpn-hub refuses and names the hub."""
    from tests.test_ipam import NEW, add_school

    add_school(work / "inventory")
    assert run(work, "ipam", "allocate", NEW).returncode == 0
    assert run(work, "secrets", "generate").returncode == 0
    assert run(work, "render", "--limit", "school:nx-sad-001").returncode == 0
    refused = run(work, "deploy", "--env", "lab", "--yes", "--limit", "role:vpn-hub")
    assert refused.returncode == 1
    assert f"error SN820 stale-build: build/ is stale for {HUB}" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    plan = run(work, "plan", "--env", "lab", "--limit", "role:vpn-hub")
    assert plan.returncode == 1 and f"stale for {HUB}" in plan.stderr
    assert run(work, "render").returncode == 0
    done = run(work, "deploy", "--env", "lab", "--yes", "--limit", "role:vpn-hub")
    assert done.returncode == 0, done.stderr



CHANGED_UNDER_IT = """
import json, sys
from pathlib import Path
from schoolnet.deploy.gate import prepare
from schoolnet.deploy.run import run_deploy

hosts, victim = sys.argv[1].split(","), sys.argv[2]
ready = prepare(Path("inventory"), Path("build"), [f"host:{h}" for h in hosts])
target = Path("build/hosts") / victim / "etc/dnsmasq.d/school.conf"
target.write_text(target.read_text() + "# written after check\\n")
result = run_deploy(ready.fleet, "lab", ready.hosts, ready.build, dry=False, parallel=4)
print(json.dumps({o.hostname: [o.status, o.reason] for o in result.outcomes}))
"""


def test_16_a_file_changed_in_build_after_check_is_not_pushed(work: Path, known: Path) -> None:
    """Between the gate and the push, a file of one host's build changes (a render running meanwhile):
    that host is refused with the reason, the others are deployed, and the changed bytes reach no host."""
    original = edit(work, "dhcp/etc/dnsmasq.d/school.conf.j2", "# a change to push\n")
    try:
        assert run(work, "render").returncode == 0
        result = subprocess.run([str(Path(SCHOOLNET).parent / "python"), "-c", CHANGED_UNDER_IT,
                                 ",".join([EDGE, EDGE2]), EDGE2], cwd=work, env=ENV, capture_output=True,
                                text=True, timeout=900)
        assert result.returncode == 0, result.stderr
        outcomes = json.loads(result.stdout.splitlines()[-1])
        assert outcomes[EDGE][0] == "changed", outcomes
        assert outcomes[EDGE2][0] == "failed" and "changed since it was checked" in outcomes[EDGE2][1], outcomes
        pushed = ssh(work / "inventory", EDGE2, "cat /etc/dnsmasq.d/school.conf", known).stdout
        assert "written after check" not in pushed and "a change to push" not in pushed
    finally:
        (work / "templates/dhcp/etc/dnsmasq.d/school.conf.j2").write_text(original)
        assert run(work, "render").returncode == 0
    assert deploy(work)[0] == 0



def test_17_a_change_nobody_confirms_is_reverted_by_the_host_itself(work: Path, known: Path) -> None:
    """The deploy is gone before it could confirm an sshd change (its machine died): the revert armed
    on the host restores the role's files by itself, and leaves nothing running or kept."""
    import yaml

    from schoolnet.deploy.transaction import FileChange, transaction

    path = "/etc/ssh/sshd_config.d/50-schoolnet.conf"
    before = sha(work, known, EDGE, path)
    staged = "/var/lib/schoolnet/staged/unconfirmed/base" + path
    original = (work / "build/hosts" / EDGE / path.lstrip("/")).read_text()
    environment = yaml.safe_load((work / "inventory/environments/lab.yaml").read_text())

    def on_edge(command: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ssh", "-i", environment["ssh_key"], "-o", f"UserKnownHostsFile={known}", "-o",
                               "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-l", environment["ssh_user"],
                               "--", environment["hosts"][EDGE]["address"], command], input=stdin,
                              capture_output=True, text=True, timeout=120)

    assert on_edge(f"sudo install -D -m 0600 /dev/stdin {staged}", original + "# never confirmed\n").returncode == 0
    script = transaction("base", [FileChange(path, staged, "0644", "root", "root", "sshd")], ["ssh"], True,
                         "/var/lib/schoolnet/staged/unconfirmed/base", "unconfirmed", revert_after=3)
    changed = on_edge("sudo sh -s", script)
    assert changed.returncode == 0, changed.stderr
    assert sha(work, known, EDGE, path) != before, "the change did not go live"
    for _ in range(30):
        if sha(work, known, EDGE, path) == before:
            break
        subprocess.run(["sleep", "1"])
    assert sha(work, known, EDGE, path) == before, "the host did not revert the unconfirmed change"
    left = ssh(work / "inventory", EDGE, "sudo ls /var/lib/schoolnet/txn; systemctl is-active ssh", known)
    assert left.stdout.split() == ["active"], left.stdout
