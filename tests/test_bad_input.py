"""The bad-input corpus: each case breaks a small inventory one way and expects one precise problem.

Every case asserts the rule code, the file and the line, exit 1, and no traceback.
The line is where the broken text ends up in the edited file (found by a marker),
so the expectation is exact without hard-coding line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from schoolnet.cli.main import cli
from tests.conftest import ROOT

SCHOOL = "schools/ordubad/nx-ord-001.yaml"
SCHOOL2 = "schools/ordubad/nx-ord-002.yaml"
DC = "datacenter/nx-dc1.yaml"
LINE = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning) (?P<code>SN\d{3}) ")

Edit = Callable[[Path], None]


@dataclass
class Case:
    id: str
    code: str
    edit: Edit
    file: str
    marker: str | None  # the expected line holds this text; None means line 1
    strict: bool = False
    occurrence: int = 1


def text(inv: Path, name: str) -> str:
    return (inv / name).read_text(encoding="utf-8")


def sub(name: str, old: str, new: str, count: int = 1) -> Edit:
    def edit(inv: Path) -> None:
        body = text(inv, name)
        assert old in body, f"fixture drifted: {old!r} not in {name}"
        (inv / name).write_text(body.replace(old, new, count), encoding="utf-8")
    return edit


def regex_sub(name: str, pattern: str, new: str) -> Edit:
    def edit(inv: Path) -> None:
        body, n = re.subn(pattern, new, text(inv, name), count=1, flags=re.M)
        assert n == 1, f"fixture drifted: /{pattern}/ not in {name}"
        (inv / name).write_text(body, encoding="utf-8")
    return edit


def after(name: str, anchor: str, pattern: str, new: str) -> Edit:
    """Replace the first match of `pattern` that comes after `anchor` in the file."""
    def edit(inv: Path) -> None:
        body = text(inv, name)
        head, sep, tail = body.partition(anchor)
        assert sep, f"fixture drifted: {anchor!r} not in {name}"
        tail, n = re.subn(pattern, new, tail, count=1)
        assert n == 1, f"fixture drifted: /{pattern}/ not after {anchor!r}"
        (inv / name).write_text(head + sep + tail, encoding="utf-8")
    return edit


def write(name: str, content: str | bytes) -> Edit:
    def edit(inv: Path) -> None:
        path = inv / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return edit


def first(inv: Path, name: str, key: str) -> str:
    match = re.search(rf"^\s*(?:- )?{key}: (.+)$", text(inv, name), re.M)
    assert match, f"no {key} in {name}"
    return match.group(1).strip()


def copy_value(key: str, source: str = SCHOOL, target: str = SCHOOL2) -> Edit:
    """Put the first `key` value of `source` in place of the first one of `target`."""
    def edit(inv: Path) -> None:
        sub(target, f"{key}: {first(inv, target, key)}", f"{key}: {first(inv, source, key)}")(inv)
    return edit


def chain(*edits: Edit) -> Edit:
    def edit(inv: Path) -> None:
        for step in edits:
            step(inv)
    return edit


def move(old: str, new: str) -> Edit:
    def edit(inv: Path) -> None:
        (inv / new).parent.mkdir(parents=True, exist_ok=True)
        (inv / old).rename(inv / new)
    return edit


def delete(name: str) -> Edit:
    return lambda inv: (inv / name).unlink()


BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9))

CASES = [
    # --- the loader: YAML itself -------------------------------------------------------------
    Case("yaml-syntax", "SN001", sub(SCHOOL, "students:", "students: [unclosed\nfoo:"), SCHOOL, "students:"),
    Case("yaml-unclosed-brace", "SN001", sub(SCHOOL, "coordinates: {", "coordinates: {{"), SCHOOL, "coordinates:"),
    Case("yaml-unclosed-quote", "SN001", regex_sub(SCHOOL, r"^name: ", 'name: "'), SCHOOL, "name:"),
    Case("partial-inventory", "SN014", sub(SCHOOL, "students:", "students: [unclosed\nfoo:"), "programme.yaml",
         "expected:"),
    Case("core-file-broken", "SN014", sub("hardware.yaml", "models:", "models: [\nfoo:"), "hardware.yaml", None),
    Case("duplicate-key", "SN002", sub(SCHOOL, "students:", "students: 10\nstudents:"), SCHOOL, "students:",
         occurrence=2),
    Case("billion-laughs", "SN003", write(SCHOOL, BILLION_LAUGHS), SCHOOL, "e: &e"),  # where the bound is hit
    Case("recursive-alias", "SN003", write(SCHOOL, "a: &a\n  b: *a\n"), SCHOOL, "a: &a"),
    Case("not-utf8", "SN004", lambda inv: (inv / SCHOOL).write_bytes(
        (inv / SCHOOL).read_bytes().replace(b"(synthetic)", b"(\xe7ayl\xfd)", 1)), SCHOOL, "address:"),
    Case("empty-file", "SN005", write(SCHOOL, ""), SCHOOL, None),
    Case("comments-only", "SN005", write(SCHOOL, "# nothing here\n"), SCHOOL, None),
    Case("file-too-large", "SN006", write(SCHOOL, "#" * (4 * 1024 * 1024 + 1)), SCHOOL, None),
    Case("python-tag", "SN001", sub(SCHOOL, "students: ", "students: !!python/object:os.system "), SCHOOL,
         "students:"),
    # --- the schema -----------------------------------------------------------------------------
    Case("list-not-mapping", "SN007", write(SCHOOL, "- id: nx-ord-001\n- name: x\n"), SCHOOL, "- id"),
    Case("yaml-no-as-bool", "SN007", regex_sub(SCHOOL, r"^name: .*$", "name: no"), SCHOOL, "name: no"),
    Case("yaml-octal", "SN007", regex_sub(SCHOOL, r"^    asset_tag: NX-ORD-001-SRV$", "    asset_tag: 0755"),
         SCHOOL, "asset_tag: 0755"),
    Case("unquoted-mac-as-number", "SN007", regex_sub(SCHOOL, r'^    mac: ".*"$', "    mac: 12:34:56:12:34:56"),
         SCHOOL, "mac: 12:34"),
    Case("tablets-mapping", "SN007", regex_sub(SCHOOL, r"^tablets:$", "tablets: {slot: 1}\nold_tablets:"), SCHOOL,
         "tablets: {"),
    Case("unknown-key-typo", "SN008", sub(SCHOOL, "    serial: R9", "    serail: R9"), SCHOOL, "serail:"),
    Case("unknown-top-key", "SN008", sub("programme.yaml", "school_prefix_length:", "colour: blue\n"
                                         "school_prefix_length:"), "programme.yaml", "colour:"),
    Case("missing-district", "SN009", regex_sub(SCHOOL, r"^district: ordubad\n", ""), SCHOOL, "id:"),
    Case("missing-tablet-serial", "SN009", regex_sub(SCHOOL, r"^    serial: R9.*\n", ""), SCHOOL, "- slot: 1"),
    Case("bad-status", "SN010", sub(SCHOOL, "status: handed_over", "status: gone"), SCHOOL, "status: gone"),
    Case("bad-date", "SN010", regex_sub(SCHOOL, r"date: 2025-\d\d-\d\d", "date: 2025-13-45"), SCHOOL, "2025-13-45"),
    Case("zero-bandwidth", "SN010", regex_sub(SCHOOL, r"bandwidth_mbps: \d+", "bandwidth_mbps: 0"), SCHOOL,
         "bandwidth_mbps: 0"),
    Case("personal-name-receiver", "SN010", regex_sub(SCHOOL, r"received_by: [a-z-]+", "received_by: Ali Aliyev"),
         SCHOOL, "Ali Aliyev"),
    Case("bad-vlan-id", "SN010", sub("programme.yaml", "vid: 10", "vid: 5000"), "programme.yaml", "vid: 5000"),
    # --- files in their places ------------------------------------------------------------------
    Case("wrong-district-folder", "SN011", move(SCHOOL, "schools/julfa/nx-ord-001.yaml"),
         "schools/julfa/nx-ord-001.yaml", "id:"),
    Case("file-name-not-id", "SN011", move(SCHOOL, "schools/ordubad/school-1.yaml"),
         "schools/ordubad/school-1.yaml", "id:"),
    Case("yml-extension", "SN011", move(SCHOOL, "schools/ordubad/nx-ord-001.yml"),
         "schools/ordubad/nx-ord-001.yml", None),
    Case("missing-programme", "SN012", delete("programme.yaml"), "programme.yaml", None),
    # --- inventory text is one line of printable text -----------------------------------------------
    Case("line-break-in-a-name", "SN013", regex_sub(SCHOOL, r"^name: (.*)$",
                                                     r'name: "\1\\nusername backdoor privilege 15"'), SCHOOL,
         "username backdoor"),
    Case("ifupdown-stanza-in-a-circuit-id", "SN013", regex_sub(
        SCHOOL, r"^(    circuit_id: )(.*)$", r'\1"\2\\n\\nauto dummy9\\niface dummy9 inet manual\\n    pre-up true"'),
         SCHOOL, "auto dummy9"),
    Case("block-scalar-address", "SN013", regex_sub(SCHOOL, r"^address: (.*)$", "address: |\n  \\1\n  second line"),
         SCHOOL, "address: |"),
    Case("tab-in-a-serial", "SN013", regex_sub(SCHOOL, r"^(    serial: )(R9\w+)$", r'\1"\2\\tX"'), SCHOOL,
         "serial: \"R9"),
    Case("bidi-override-in-an-asset-tag", "SN013", sub(SCHOOL, "asset_tag: NX-ORD-001-SRV",
                                                        'asset_tag: "NX-ORD-001-\u202eVRS"'), SCHOOL, "asset_tag:"),
    Case("escaped-nul-in-a-purpose", "SN013", sub(DC, "purpose: out-of-band management",
                                                   'purpose: "out-of-band\\0management"'), DC, "out-of-band"),
    Case("raw-control-character", "SN001", lambda inv: (inv / DC).write_bytes((inv / DC).read_bytes().replace(
        b"purpose: ", b"purpose: \x1b[2J", 1)), DC, "purpose:"),
    # --- uniqueness -----------------------------------------------------------------------------
    Case("duplicate-hostname", "SN101", sub(DC, "hostname: nx-dc1-dns-02", "hostname: nx-dc1-dns-01"), DC,
         "hostname: nx-dc1-dns-01", occurrence=2),
    Case("duplicate-tablet-serial", "SN102",
         lambda inv: sub(SCHOOL2, first_tablet(inv, SCHOOL2, "serial"), first_tablet(inv, SCHOOL, "serial"))(inv),
         SCHOOL2, "__SERIAL__"),
    Case("duplicate-asset-tag", "SN103", sub(SCHOOL, "asset_tag: NX-ORD-001-SW1", "asset_tag: NX-ORD-001-SRV"),
         SCHOOL, "asset_tag: NX-ORD-001-SRV", occurrence=2),
    Case("duplicate-mac", "SN104", copy_value("mac"), SCHOOL2, "mac:"),
    Case("duplicate-ip", "SN105", after(DC, "hostname: nx-dc1-dns-02", r"address: 10\.0\.10\.\d+",
                                        "address: 10.0.10.11"), DC, "address: 10.0.10.11", occurrence=2),
    Case("duplicate-school-id", "SN106", chain(
        lambda inv: (inv / "schools/ordubad/nx-ord-009.yaml").write_text(text(inv, SCHOOL))),
        "schools/ordubad/nx-ord-009.yaml", "id:"),
    Case("duplicate-circuit", "SN107", copy_value("circuit_id"), SCHOOL2, "circuit_id:"),
    Case("duplicate-slot", "SN108", sub(SCHOOL, "- slot: 2\n", "- slot: 1\n"), SCHOOL, "- slot: 1", occurrence=2),
    Case("duplicate-certificate", "SN109", lambda inv: sub(SCHOOL2, cert(inv, SCHOOL2), cert(inv, SCHOOL))(inv),
         SCHOOL2, "handover:"),
    # --- references ------------------------------------------------------------------------------
    Case("unknown-tablet-model", "SN201", sub(SCHOOL, "    mac:", "    model: galaxy-tab-a99\n    mac:"), SCHOOL,
         "galaxy-tab-a99"),
    Case("unknown-district", "SN202", chain(sub(SCHOOL, "district: ordubad", "district: ordubd"),
                                            move(SCHOOL, "schools/ordubd/nx-ord-001.yaml")),
         "schools/ordubd/nx-ord-001.yaml", "district: ordubd"),
    Case("unknown-uplink-port", "SN203", sub(SCHOOL, "uplink_port: XGigabitEthernet0/0/1",
                                             "uplink_port: XGigabitEthernet0/0/9"), SCHOOL, "uplink_port:"),
    Case("unknown-rack", "SN204", sub(DC, "rack: r03", "rack: r9"), DC, "rack: r9"),
    Case("model-kind-mismatch", "SN205", sub(SCHOOL, "  - kind: switch\n", "  - kind: switch\n"
                                             "    model: samsung-galaxy-tab-a9plus\n"), SCHOOL,
         "model: samsung-galaxy-tab-a9plus"),
    Case("unknown-network", "SN206", sub(DC, "network: servers", "network: srvers"), DC, "network: srvers"),
    Case("unknown-provider", "SN207", regex_sub(SCHOOL, r"provider: \w+", "provider: nxfibre"), SCHOOL,
         "provider: nxfibre"),
    Case("unknown-link-circuit", "SN208", sub(DC, "circuit: NXF-DC1-IP-01}", "circuit: NXF-DC1-IP-09}"), DC,
         "NXF-DC1-IP-09"),
    Case("unknown-link-port", "SN208", sub(DC, "peer_port: 10GE1/0/48}", "peer_port: 10GE1/0/99}"), DC, "10GE1/0/99"),
    Case("port-cabled-twice", "SN110", sub(DC, "peer_port: 10GE1/0/21}", "peer_port: 10GE1/0/20}"), DC,
         "device: nx-dc1-stor-02, port: eno1"),
    Case("no-spare-port", "SN209", sub(SCHOOL, "\ntablets:", "".join(  # four more: a fifth switch at least
        f"\n  - serial: 2102999999PSPARE0000{n}\n    kind: switch\n    status: planned" for n in range(1, 5))
        + "\n\ntablets:"), SCHOOL, "PSPARE00004"),
    # --- addresses ---------------------------------------------------------------------------------
    Case("address-outside-network", "SN301", sub(DC, "network: servers, address: 10.0.20.",
                                                 "network: servers, address: 10.0.30."), DC,
         "servers, address: 10.0.30"),
    Case("vlan-misaligned", "SN302", sub("programme.yaml", "offset: 512", "offset: 500"), "programme.yaml",
         "offset: 500"),
    Case("vlan-id-twice", "SN302", sub("programme.yaml", "vid: 20", "vid: 10"), "programme.yaml", "vid: 10",
         occurrence=2),
    Case("ipam-overlap", "SN303", regex_sub("ipam.yaml", r"^(  nx-bab-002: ).*$", r"\g<1>10.64.0.0/22"),
         "ipam.yaml", "nx-bab-002:"),
    Case("ipam-missing", "SN304", regex_sub("ipam.yaml", r"^  nx-ord-001: .*\n", ""), SCHOOL, "id:"),
    Case("ipam-unknown-school", "SN305", lambda inv: (inv / "ipam.yaml").write_text(
        text(inv, "ipam.yaml") + "  nx-ord-999: 10.64.200.0/22\n"), "ipam.yaml", "nx-ord-999"),
    Case("ipam-outside-supernet", "SN306", regex_sub("ipam.yaml", r"^(  nx-ord-001: ).*$", r"\g<1>192.168.4.0/22"),
         "ipam.yaml", "nx-ord-001:"),
    Case("slot-beyond-vlan", "SN307", sub(SCHOOL, "- slot: 1\n", "- slot: 600\n"), SCHOOL, "- slot: 600"),
    Case("access-ports-overlap", "SN308", regex_sub("programme.yaml", r"access_ports: 21-24", "access_ports: 5-24"),
         "programme.yaml", "access_ports: 5-24"),
    Case("access-ports-twice-in-one-vlan", "SN308", regex_sub("programme.yaml", r"access_ports: 1-8",
                                                               "access_ports: 1-8,3"), "programme.yaml",
         "access_ports: 1-8,3"),
    # --- racks ------------------------------------------------------------------------------------
    Case("rack-overlap", "SN401", after(DC, "hostname: nx-dc1-dns-02", r"position: \d+", "position: 1  # taken"), DC,
         "# taken"),
    Case("rack-overflow", "SN402", sub(DC, "position: 7\n", "position: 42\n"), DC, "position: 42"),
    Case("rack-power", "SN403", sub(DC, "{name: r02, u_height: 42, power_budget_w: 5000}",
                                    "{name: r02, u_height: 42, power_budget_w: 1500}"), DC, "power_budget_w: 1500"),
    # --- formats ----------------------------------------------------------------------------------
    Case("hostname-uppercase", "SN501", sub(DC, "hostname: nx-dc1-mon-01", "hostname: NX-DC1-MON_01"), DC,
         "NX-DC1-MON_01"),
    Case("mac-format", "SN502", regex_sub(SCHOOL, r'mac: ".*"', 'mac: "02-5C-4A-51-0B-63"'), SCHOOL, "02-5C"),
    Case("mac-multicast", "SN502", regex_sub(SCHOOL, r'mac: ".*"', 'mac: "01:00:5e:00:00:01"'), SCHOOL, "01:00:5e"),
    Case("serial-format", "SN503", regex_sub(SCHOOL, r"    serial: R9.*", "    serial: r9 abc"), SCHOOL, "r9 abc"),
    Case("unsafe-rack-name", "SN504", sub(DC, "{name: r04,", "{name: \"r04;reboot\","), DC, "r04;reboot"),
    Case("school-id-format", "SN505", chain(sub(SCHOOL, "id: nx-ord-001", "id: ordubad-1"),
                                            regex_sub("ipam.yaml", r"^  nx-ord-001:", "  ordubad-1:"),
                                            move(SCHOOL, "schools/ordubad/ordubad-1.yaml")),
         "schools/ordubad/ordubad-1.yaml", "id: ordubad-1"),
    Case("host-key-missing", "SN506", regex_sub(SCHOOL, r"^    ssh_host_key: .*\n", ""), SCHOOL, "- kind: edge"),
    Case("host-key-garbage", "SN506", regex_sub(SCHOOL, r"ssh_host_key: ssh-ed25519 ",
                                                "ssh_host_key: ssh-ed25519 !!"), SCHOOL, "ssh_host_key:"),
    Case("switch-host-key-missing", "SN507",
         regex_sub(SCHOOL, r"^(    uplink_port: .*\n)    ssh_host_key: .*\n", r"\1"), SCHOOL, "- kind: switch"),
    # --- fleet invariants ---------------------------------------------------------------------------
    Case("school-count", "SN601", sub("programme.yaml", "schools: 16", "schools: 17"), "programme.yaml",
         "schools: 17"),
    Case("two-edge-servers", "SN602", sub(SCHOOL, "  - kind: switch\n", "  - kind: edge\n    serial: EDGE2X\n"
                                          "    ssh_host_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE+CTlby6JzP4tFHND"
                                          "HLNaxvMO/QJeqdYswca53QIFT8\n  - kind: switch\n"), SCHOOL, "- kind: edge",
         occurrence=2),
    Case("no-current-uplink", "SN603", regex_sub(SCHOOL, r"status: (active|planned|provisioning)$",
                                                 "status: decommissioned"), SCHOOL, "uplinks:"),
    Case("tablet-total", "SN604", sub("programme.yaml", "tablets: 160", "tablets: 161"), "programme.yaml",
         "tablets: 161"),
    Case("school-without-tablets", "SN605", regex_sub(SCHOOL, r"^tablets:(\n.*)*", "tablets: []\n"), SCHOOL,
         "tablets: []"),
    Case("district-count", "SN606", sub("programme.yaml", "districts: 8", "districts: 9"), "programme.yaml",
         "districts:"),
    Case("empty-district", "SN607", chain(delete("schools/sadarak/nx-sad-001.yaml"),
                                          sub("programme.yaml", "schools: 16", "schools: 15"),
                                          regex_sub("ipam.yaml", r"^  nx-sad-001: .*\n", ""),
                                          lambda inv: None), "programme.yaml", "id: sadarak", strict=True),
    Case("handed-over-without-record", "SN608", regex_sub(SCHOOL, r"^(    status: handed_over)\n    handover: .*$",
                                                          r"\g<1>"), SCHOOL, "status: handed_over"),
    Case("plaintext-password-field", "SN901", sub(SCHOOL, "students:", "wifi_password: correct-horse-9\nstudents:"),
         SCHOOL, "wifi_password"),
    Case("duplicate-default-role", "SN610", sub("programme.yaml", "firewall, vpn", "firewall, vpn, firewall"),
         "programme.yaml", "firewall, vpn, firewall"),
    Case("switch-feature-regex", "SN611", sub("programme.yaml", "'^sysname '", "'^sysname ('"), "programme.yaml",
         "'^sysname ('"),
    Case("switch-feature-os", "SN611",
         sub("programme.yaml", "      cisco-ios: ['^snmp-server group ', '^snmp-server user ']",
             "      cisco-nxos: ['^snmp-server ']"), "programme.yaml", "cisco-nxos:"),
    Case("time-zone", "SN508", sub("programme.yaml", "school_prefix_length:", "time_zone: GMT+4\n"
                                   "school_prefix_length:"), "programme.yaml", "time_zone: GMT+4"),
    Case("no-active-circuit", "SN612", regex_sub(SCHOOL, r"^    status: active$", "    status: planned"), SCHOOL,
         "uplinks:", strict=True),
    Case("stock-with-record", "SN609", regex_sub(SCHOOL, r"^    status: handed_over$", "    status: in_stock"),
         SCHOOL, "handover:", strict=True),
]


def first_tablet(inv: Path, name: str, key: str) -> str:
    match = re.search(rf"^    {key}: (R9\w+)$", text(inv, name), re.M)
    assert match
    return match.group(1)


def cert(inv: Path, name: str) -> str:
    match = re.search(r"certificate: ([\w-]+)", text(inv, name))
    assert match
    return match.group(1)


def expected_line(inv: Path, case: Case, source_serial: str | None) -> int:
    if case.marker is None:
        return 1
    marker = source_serial if case.marker == "__SERIAL__" else case.marker
    assert marker is not None
    lines = (inv / case.file).read_bytes().decode("utf-8", "replace").splitlines()
    hits = [n for n, line in enumerate(lines, 1) if marker in line]
    assert len(hits) >= case.occurrence, f"marker {marker!r} not found {case.occurrence}x in {case.file}"
    return hits[case.occurrence - 1]


def test_corpus_is_large_and_covers_every_code() -> None:
    from schoolnet.rulebook import RULES
    from schoolnet.validate import validate_fleet  # noqa: F401  (registers the rules)

    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    inventory_codes = {code for code, rule in RULES.items() if rule.stage in ("load", "validate")}
    assert {c.code for c in CASES} == inventory_codes, "every inventory rule code has a bad-input case"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, inventory: Path) -> None:
    source_serial = first_tablet(inventory, SCHOOL, "serial") if case.marker == "__SERIAL__" else None
    case.edit(inventory)
    args = ["validate", "--inventory", "inventory"] + (["--strict"] if case.strict else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert "Traceback" not in result.output
    problems = [m.groupdict() for m in map(LINE.match, result.output.splitlines()) if m]
    want = {"file": f"inventory/{case.file}", "line": str(expected_line(inventory, case, source_serial)),
            "code": case.code}
    found = [{k: p[k] for k in want} for p in problems]
    assert want in found, f"expected {want} among:\n{result.output}"


# --- one run shows every problem -----------------------------------------------------------------
# A file that does not load or type is reported and left out; every other file is still loaded and held
# to the rules, except those that count or match the whole fleet (they would report the missing file's
# absence), and SN014 says so.  (edits, the (code, file) expected, codes that must not appear)
COUNTING = {"SN305", "SN601", "SN604", "SN607"}
TOGETHER = [
    ("syntax-error-beside-others",
     chain(sub(SCHOOL, "students:", "students: [unclosed\nfoo:"), sub(SCHOOL2, "students:", "colour: blue\nstudents:"),
           sub(DC, "hostname: nx-dc1-pdu-r01b", "hostname: nx-dc1-pdu-r01a")),
     {("SN001", SCHOOL), ("SN008", SCHOOL2), ("SN101", DC), ("SN014", "programme.yaml")}),
    ("schema-error-beside-a-cross-file-rule",
     chain(sub(SCHOOL, "students:", "colour: blue\nstudents:"),
           regex_sub(SCHOOL2, r"provider: \w+", "provider: nxfibre")),
     {("SN008", SCHOOL), ("SN207", SCHOOL2), ("SN014", "programme.yaml")}),
    ("a-whole-district-broken",  # its district is empty and its ledger lines name no file: not reported
     chain(sub(SCHOOL, "students:", "students: {"), sub(SCHOOL2, "students:", "students: ["),
           sub(DC, "{name: r02, u_height: 42, power_budget_w: 5000}", "{name: r02, u_height: 42, power_budget_w: 9}")),
     {("SN001", SCHOOL), ("SN001", SCHOOL2), ("SN403", DC), ("SN014", "programme.yaml")}),
    ("the-data-center-broken",
     chain(sub(DC, "racks:", "racks: [\nx:"), sub(SCHOOL, "students:", "colour: blue\nstudents:")),
     {("SN001", DC), ("SN008", SCHOOL), ("SN014", "programme.yaml")}),
    ("a-core-file-broken", chain(sub("hardware.yaml", "models:", "models: [\nx:"),
                                 sub(SCHOOL, "students:", "colour: blue\nstudents:")),
     {("SN001", "hardware.yaml"), ("SN008", SCHOOL), ("SN014", "hardware.yaml")}),
]


def _found(output: str) -> set[tuple[str, str]]:
    return {(m["code"], m["file"].removeprefix("inventory/")) for m in map(LINE.match, output.splitlines()) if m}


def _as_generated() -> set[tuple[str, str]]:
    """What the unedited programme reports (warnings the generated data raises, SN612): not the edits' doing."""
    return _found(CliRunner().invoke(cli, ["validate", "--no-cache"]).output)


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in TOGETHER], ids=[c[0] for c in TOGETHER])
@pytest.mark.parametrize("command", ["validate", "render", "ci"])
def test_one_run_shows_every_file_problem(edit: Edit, expected: set[tuple[str, str]], command: str,
                                          inventory: Path) -> None:
    before = _as_generated()
    edit(inventory)
    result = CliRunner().invoke(cli, [command, "--no-cache"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert _found(result.output) - before == expected, result.output
    assert not {code for code, _ in _found(result.output)} & COUNTING


def test_a_partial_run_is_the_same_warm_and_cold(inventory: Path, tmp_path: Path) -> None:
    """After clean runs recorded their state (validate's and ci's fast paths), a broken file is found the
    same with the cache as without it."""
    (tmp_path / "templates").symlink_to(ROOT / "templates")
    before = _as_generated()
    for command in ("validate", "ci"):
        assert CliRunner().invoke(cli, [command]).exit_code == 0
    TOGETHER[0][1](inventory)
    for command in ("validate", "ci", "render"):
        warm = CliRunner().invoke(cli, [command])
        again = CliRunner().invoke(cli, [command])
        cold = CliRunner().invoke(cli, [command, "--no-cache"])
        lines = [[line for line in r.output.splitlines() if LINE.match(line)] for r in (warm, again, cold)]
        assert lines[0] == lines[1] == lines[2] and _found(warm.output) - before == TOGETHER[0][2], warm.output
        assert warm.exit_code == again.exit_code == cold.exit_code == 1
