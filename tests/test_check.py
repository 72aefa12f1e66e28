"""check: the real programs reject broken files, at the right file and line; the reference programme passes."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from schoolnet.check.registry import VALIDATORS
from schoolnet.rulebook import RULES
from tests.conftest import ROOT, SCHOOLNET, invoke

EDGE, SWITCH_VRP, SWITCH_IOS, DNS, MON, MDM, CONTENT = ("nx-ord-001-edge", "nx-ord-001-sw1", "nx-kan-001-sw1",
                                                        "nx-dc1-dns-01", "nx-dc1-mon-01", "nx-dc1-mdm-01",
                                                        "nx-dc1-content-01")


@dataclass
class Broken:
    id: str
    template: str
    old: str
    new: str
    host: str
    path: str
    code: str
    marker: str | None  # the rendered line that holds the error; None: line 1
    after: int = 0  # some programs notice an error only on a later line (end of file): how many later


CASES = [
    Broken("dnsmasq-bad-option", "dhcp/etc/dnsmasq.d/school.conf.j2", "log-dhcp", "log-dhcpp", EDGE,
           "etc/dnsmasq.d/school.conf", "SN801", "log-dhcpp"),
    Broken("unbound-bad-keyword", "dns/etc/unbound/unbound.conf.d/school.conf.j2", "hide-identity: yes",
           "hide-identiti: yes", EDGE, "etc/unbound/unbound.conf.d/school.conf", "SN802", "hide-identiti"),
    Broken("nftables-syntax", "firewall/etc/nftables.conf.j2", "ct state invalid drop\n", "ct state invalid dorp\n",
           EDGE, "etc/nftables.conf", "SN805", "dorp"),
    Broken("nginx-bad-value", "cache/etc/nginx/conf.d/schoolnet-cache.conf.j2", "proxy_cache_lock on;",
           "proxy_cache_lock maybe;", EDGE, "etc/nginx/conf.d/schoolnet-cache.conf", "SN806", "proxy_cache_lock"),
    Broken("chrony-bad-directive", "ntp/etc/chrony/conf.d/schoolnet.conf.j2", "makestep 1.0 3", "makestep one 3",
           EDGE, "etc/chrony/conf.d/schoolnet.conf", "SN807", "makestep"),
    Broken("sshd-bad-value", "base/etc/ssh/sshd_config.d/50-schoolnet.conf.j2", "MaxAuthTries 3",
           "MaxAuthTries three", EDGE, "etc/ssh/sshd_config.d/50-schoolnet.conf", "SN808", "MaxAuthTries"),
    Broken("wireguard-bad-value", "vpn/etc/wireguard/wg0.conf.j2", "PersistentKeepalive = 25",
           "PersistentKeepalive = often", EDGE, "etc/wireguard/wg0.conf", "SN809", "PersistentKeepalive"),
    Broken("ifupdown-bad-method", "network/etc/network/interfaces.d/schoolnet.j2", "inet dhcp", "inet dhcpp",
           EDGE, "etc/network/interfaces.d/schoolnet", "SN811", "inet dhcpp"),
    Broken("apt-missing-semicolon", "base/etc/apt/apt.conf.d/52schoolnet-unattended-upgrades.j2",
           'Unattended-Upgrade::Mail "";', 'Unattended-Upgrade::Mail ""', EDGE,
           "etc/apt/apt.conf.d/52schoolnet-unattended-upgrades", "SN812", "Unattended-Upgrade::Mail", after=1),
    Broken("shell-unclosed-quote", "monitoring/etc/default/prometheus-node-exporter.j2", 'node-exporter"',
           "node-exporter", EDGE, "etc/default/prometheus-node-exporter", "SN813", "ARGS=", after=1),
    Broken("journald-unknown-key", "base/etc/systemd/journald.conf.d/50-schoolnet.conf.j2", "SystemMaxUse=",
           "SystemMaxUsage=", EDGE, "etc/systemd/journald.conf.d/50-schoolnet.conf", "SN814", "SystemMaxUsage"),
    Broken("vrp-undeclared-vlan", "switch-huawei-vrp/startup.cfg.j2", " port default vlan {{ port.vlan }}",
           " port default vlan {{ port.vlan + 1 }}", SWITCH_VRP, "startup.cfg", "SN817", "port default vlan 21"),
    # a lint that cannot read the file (hier-config refuses two sections of one interface) is a failed check, with
    # the reason, never a traceback (validate's SN308 keeps the inventory from asking for it)
    Broken("vrp-an-interface-twice", "switch-huawei-vrp/startup.cfg.j2", "#\ninterface {{ switch.uplink_port }}\n",
           "#\ninterface {{ switch.uplink_port }}\n description twice\n#\ninterface {{ switch.uplink_port }}\n",
           SWITCH_VRP, "startup.cfg", "SN817", None),
    Broken("ios-uplink-not-trunk", "switch-cisco-ios/startup-config.j2", " switchport mode trunk",
           " switchport mode access", SWITCH_IOS, "startup-config", "SN817", "interface GigabitEthernet1/1/1"),
    Broken("zone-bad-address", "dns-authoritative/etc/bind/zones/db.programme.j2",
           "{{ host.hostname }} IN A {{ host.service_address }}",
           "{{ host.hostname }} IN A {{ host.service_address }}x",
           DNS, "etc/bind/zones/db.programme", "SN803", "nx-dc1-pdu-r01a IN A"),
    Broken("named-conf-bad-type", "dns-authoritative/etc/bind/named.conf.local.j2", "type primary;",
           "type primry;", DNS, "etc/bind/named.conf.local", "SN804", "primry"),
    Broken("promtool-bad-duration", "monitoring-server/etc/prometheus/prometheus.yml.j2", "scrape_interval: 60s",
           "scrape_interval: sixty", MON, "etc/prometheus/prometheus.yml", "SN810", "sixty"),
    Broken("file-sd-bad-port", "monitoring-server/etc/prometheus/file_sd/edge.json.j2",
           "{{ monitoring_targets.edge | json }}", '[{"targets": ["10.0.0.1:91OO"]}]', MON,
           "etc/prometheus/file_sd/edge.json", "SN815", "91OO"),
    Broken("html-misnested", "content/srv/content/index.html.j2", "</h1>", "</h2>", CONTENT,
           "srv/content/index.html", "SN819", "</h2>"),
    Broken("mdm-missing-config", "mdm/var/lib/schoolnet-mdm/enrollment/__item__.json.j2",
           '"com.hmdm.CONFIG": {{ mdm.configuration | json }},', "", MDM,
           "var/lib/schoolnet-mdm/enrollment/nx-ord-001.json", "SN816", None),
]


def test_every_validator_has_a_broken_case() -> None:
    assert {c.code for c in CASES} >= {v.code for v in VALIDATORS.values()}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_check_catches_a_broken_template(case: Broken, inventory: Path, templates: Path) -> None:
    template = templates / case.template
    text = template.read_text()
    assert case.old in text, "fixture drifted"
    template.write_text(text.replace(case.old, case.new, 1))
    code, out = invoke("render", "--templates", str(templates), "--limit", f"host:{case.host}")
    assert code == 0, out
    code, out = invoke("check")
    assert code == 1, out
    assert "Traceback" not in out
    rendered = (Path("build/hosts") / case.host / case.path).read_text().splitlines()
    line = 1 if case.marker is None else next(n for n, t in enumerate(rendered, 1) if case.marker in t) + case.after
    expected = f"build/hosts/{case.host}/{case.path}:{line}:1: error {case.code} "
    hits = [o for o in out.splitlines() if o.startswith(expected)]
    assert hits, f"expected a line starting {expected!r} in:\n{out}"
    assert all(f"(template templates/{case.template})" in h for h in hits)


def test_a_file_edited_after_render_is_reported(inventory: Path) -> None:
    assert invoke("render", "--templates", str(ROOT / "templates"), "--limit", f"host:{EDGE}")[0] == 0
    target = Path("build/hosts") / EDGE / "etc/chrony/conf.d/schoolnet.conf"
    target.write_text(target.read_text() + "# hand edit\n")
    code, out = invoke("check")
    assert code == 1 and f"build/hosts/{EDGE}/etc/chrony/conf.d/schoolnet.conf:1:1: error SN818" in out


def test_unknown_validator_is_reported_at_the_template(inventory: Path, templates: Path) -> None:
    template = templates / "ntp/etc/chrony/conf.d/schoolnet.conf.j2"
    template.write_text(template.read_text().replace("validator=chrony", "validator=chronny", 1))
    assert invoke("render", "--templates", str(templates), "--limit", f"host:{EDGE}")[0] == 0
    code, out = invoke("check")
    assert code == 1 and "templates/ntp/etc/chrony/conf.d/schoolnet.conf.j2:1:1: error SN800" in out


def test_check_without_a_build_says_so(inventory: Path) -> None:
    code, out = invoke("check", "--build", "nowhere")
    assert code == 1 and "SN818" in out and "schoolnet render" in out


def test_check_formats(inventory: Path, templates: Path) -> None:
    template = templates / "dhcp/etc/dnsmasq.d/school.conf.j2"
    template.write_text(template.read_text().replace("log-dhcp", "log-dhcpp"))
    assert invoke("render", "--templates", str(templates), "--limit", f"host:{EDGE}")[0] == 0
    code, out = invoke("check", "--format", "json")
    data = json.loads(out[: out.rindex("}") + 1])
    assert code == 1 and data["problems"][0]["code"] == "SN801"
    code, out = invoke("check", "--format", "github")
    assert re.search(r"^::error file=build/hosts/nx-ord-001-edge/etc/dnsmasq.d/school.conf,line=\d+", out, re.M)


# `schoolnet check` as on a machine where no service ever ran and no package made a system user:
# /run is an empty tmpfs of its own (no /run/sshd, no daemon's state), /etc/passwd and /etc/group hold
# only base-passwd's static accounts (no sshd, unbound, ... users); afterwards /run must hold nothing
# new: check leaves nothing behind either.
FRESH_MACHINE = """
mount -n -t tmpfs -o mode=0755 tmpfs /run || exit 99
for db in passwd group; do
    awk -F: '$3 < 100 || $3 == 65534' /etc/$db > /run/$db && mount -n --bind /run/$db /etc/$db || exit 99
done
! getent passwd sshd >/dev/null || exit 98
before=$(ls -A /run)
"$0" check --build "$1"
status=$?
[ "$(ls -A /run)" = "$before" ] || { echo "check left in /run: $(ls -A /run)"; exit 97; }
exit $status
"""


def test_reference_programme_renders_and_checks_clean_as_on_a_fresh_machine(tmp_path: Path) -> None:
    """Every file of every host of the reference programme passes its validator, where no service left
    anything in /run and no package made its system user: the state a fresh machine is in."""
    build = tmp_path / "build"
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        code, out = invoke("render", "--out", str(build))
        assert code == 0, out
    finally:
        os.chdir(cwd)
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", FRESH_MACHINE, SCHOOLNET,
                             str(build)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    checked = int(re.search(r"checked ([\d,]+) files", out).group(1).replace(",", ""))  # type: ignore[union-attr]
    manifest = json.loads((build / "manifest.json").read_text())
    declared = sum(1 for h in manifest["hosts"].values() for f in h["files"] if f["validator"])
    assert checked == declared == sum(len(h["files"]) for h in manifest["hosts"].values())
    assert len(manifest["hosts"]) == 781
    assert {RULES[v.code].stage for v in VALIDATORS.values()} == {"check"}


def _stderr_of(argv: list[str], cwd: Path, at_terminal: bool) -> str:
    """A command's standard error as a person at a terminal sees it (a pseudo-terminal), or as a CI log has it."""
    if not at_terminal:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300).stderr
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the follower side closed: the command ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=300)
    os.close(leader)
    return b"".join(chunks).decode()


@pytest.mark.parametrize("at_terminal", [True, False], ids=["terminal", "log"])
def test_a_cold_check_shows_its_progress_at_a_terminal_only(inventory: Path, at_terminal: bool) -> None:
    assert invoke("render", "--templates", str(ROOT / "templates"))[0] == 0
    out = _stderr_of([SCHOOLNET, "check", "--no-cache"], inventory.parent, at_terminal)
    runs = re.search(r"checked [\d,]+ files \(([\d,]+) distinct\)", out)
    assert runs, out
    counted = re.findall(r"\r  checked \(distinct files\) ([\d,]+)/([\d,]+)", out)
    if at_terminal:
        assert counted and counted[-1] == (runs.group(1), runs.group(1)), out
        assert len(counted) >= 2, "the count moves while the check runs"
    else:
        assert counted == [] and "checked (distinct files)" not in out
