"""Rendering: golden files, determinism, inventory values as data, atomic builds, --limit."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path

import pytest

from schoolnet.secrets import open_store, wireguard_public_key
from schoolnet.secrets.names import WIREGUARD, kind_of
from schoolnet.secrets.store import mask
from tests.conftest import ROOT, invoke

GOLDEN = ROOT / "tests" / "golden"
GOLDEN_HOSTS = ["nx-ord-012-edge", "nx-dc1-vpn-01", "nx-ord-012-sw1", "nx-kan-001-sw1"]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reference_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "build"
    limits = [arg for host in GOLDEN_HOSTS for arg in ("--limit", f"host:{host}")]
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        code, output = invoke("render", "--out", str(out), *limits)
    finally:
        os.chdir(cwd)
    assert code == 0, output
    return out


def test_golden_files(reference_build: Path, update_golden: bool) -> None:
    """A school edge server, the VPN hub and one switch of each vendor: secrets masked as <secret:NAME>,
    derived WireGuard public keys as <public:NAME>, so a rotation does not change the golden files."""
    manifest = json.loads((reference_build / "manifest.json").read_text())
    store = open_store(ROOT / "inventory")
    public = {wireguard_public_key(v): n for n, v in store.values.items() if kind_of(n) == WIREGUARD}
    rendered: dict[str, str] = {}
    for host in GOLDEN_HOSTS:
        for entry in manifest["hosts"][host]["files"]:
            text = (reference_build / "hosts" / host / entry["path"].lstrip("/")).read_text()
            text = mask(text, entry["secrets"], store)
            for key, name in public.items():
                text = text.replace(key, f"<public:{name}>")
            rendered[f"{host}{entry['path']}"] = text
    if update_golden:
        for name, text in rendered.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_text(text)
    committed = {p.relative_to(GOLDEN).as_posix(): p.read_text() for p in GOLDEN.rglob("*") if p.is_file()}
    assert sorted(committed) == sorted(rendered), "golden file set differs: run pytest --update-golden and review"
    for name, text in rendered.items():
        assert text == committed[name], f"{name} differs from tests/golden: review, then pytest --update-golden"
    hub = committed["nx-dc1-vpn-01/etc/wireguard/wg0.conf"]
    assert "PrivateKey = <secret:wireguard/nx-dc1-vpn-01/private_key>" in hub


def test_golden_files_hold_no_secret_value() -> None:
    text = "\n".join(p.read_text() for p in GOLDEN.rglob("*") if p.is_file())
    values = open_store(ROOT / "inventory").values
    assert len(values) > 1000
    assert not [name for name, value in values.items() if value in text]


def test_two_renders_are_identical(inventory: Path) -> None:
    templates = str(ROOT / "templates")
    assert invoke("render", "--out", "one", "--templates", templates)[0] == 0
    assert invoke("render", "--out", "two", "--templates", templates)[0] == 0
    one, two = tree(Path("one")), tree(Path("two"))
    assert one == two and len(one) > 100


def test_manifest_describes_every_file(inventory: Path) -> None:
    assert invoke("render", "--templates", str(ROOT / "templates"))[0] == 0
    manifest = json.loads(Path("build/manifest.json").read_text())
    files = 0
    for host, entry in manifest["hosts"].items():
        for spec in entry["files"]:
            path = Path("build/hosts") / host / spec["path"].lstrip("/")
            assert hashlib.sha256(path.read_bytes()).hexdigest() == spec["sha256"]
            assert stat.S_IMODE(path.stat().st_mode) == (0o600 if spec["secret"] else 0o644)
            assert spec["template"].startswith(f"templates/{spec['role']}/")
            files += 1
    assert files == sum(1 for p in Path("build/hosts").rglob("*") if p.is_file())
    wg = next(f for f in manifest["hosts"]["nx-ord-001-edge"]["files"] if f["path"] == "/etc/wireguard/wg0.conf")
    assert wg["secret"] and wg["mode"] == "0600" and wg["secrets"] == ["wireguard/nx-ord-001-edge/private_key"]


def test_inventory_values_are_rendered_literally(inventory: Path) -> None:
    school = inventory / "schools/ordubad/nx-ord-001.yaml"
    text = school.read_text().replace("name: Ordubad school No. 1", "name: \"{{ 7 * 7 }} {% raw %}x\"", 1)
    text = re.sub(r"^address: .*$", "address: \"{{ secret('wireguard/nx-dc1-vpn-01/private_key') }}\"", text,
                  count=1, flags=re.M)
    school.write_text(text)
    code, out = invoke("render", "--templates", str(ROOT / "templates"), "--limit", "school:nx-ord-001")
    assert code == 0, out
    dhcp = Path("build/hosts/nx-ord-001-edge/etc/dnsmasq.d/school.conf").read_text()
    assert "DHCP for {{ 7 * 7 }} {% raw %}x" in dhcp and "49" not in dhcp.splitlines()[0]
    summaries = Path("build/hosts/nx-ord-001-edge/etc/network/interfaces.d/schoolnet").read_text()
    assert summaries  # rendered at all
    assert open_store(inventory).get("wireguard/nx-dc1-vpn-01/private_key") not in "".join(
        p.read_text() for p in Path("build/hosts/nx-ord-001-edge").rglob("*") if p.is_file())


def test_pages_escape_inventory_values_and_configs_do_not(inventory: Path) -> None:
    """Autoescape is on for HTML templates only: markup in a school's name is text on a page, and
    the same name is written as-is into a configuration file."""
    school = inventory / "schools/ordubad/nx-ord-001.yaml"
    school.write_text(school.read_text().replace("name: Ordubad school No. 1", 'name: "<b>Ordubad</b> & Co"', 1))
    code, out = invoke("render", "--templates", str(ROOT / "templates"), "--limit", "school:nx-ord-001",
                       "--limit", "role:content")
    assert code == 0, out
    page = Path("build/hosts/nx-dc1-content-01/srv/content/index.html").read_text()
    assert "nx-ord-001: &lt;b&gt;Ordubad&lt;/b&gt; &amp; Co (ordubad)" in page and "<b>Ordubad" not in page
    assert "<b>Ordubad</b> & Co" in Path("build/hosts/nx-ord-001-edge/etc/dnsmasq.d/school.conf").read_text()


def test_a_value_that_would_start_a_line_is_refused_at_render_and_not_shown(inventory: Path) -> None:
    """Defence in depth: a secret is no inventory text (SN013 never sees it); a line break in it would still be a
    line of its own in a switch's configuration.  Refused at the template's line, the value not printed."""
    from schoolnet.secrets.manage import write_encrypted

    values = dict(open_store(inventory).values)
    values["switch/nx-ord-001/admin"] = "Pa55word\nlocal-user backdoor privilege level 15"
    write_encrypted(inventory, values)
    before = tree(Path("build")) if Path("build").exists() else {}
    code, out = invoke("render", "--templates", str(ROOT / "templates"), "--limit", "host:nx-ord-001-sw1")
    assert code == 1 and "Traceback" not in out
    template = ROOT / "templates/switch-huawei-vrp/startup.cfg.j2"
    line = next(n for n, t in enumerate(template.read_text().splitlines(), 1) if "admin_secret" in t)
    assert f"templates/switch-huawei-vrp/startup.cfg.j2:{line}:1: error SN705 value-breaks-line:" in out, out
    assert "U+000A" in out and "backdoor" not in out and "Pa55word" not in out
    assert (tree(Path("build")) if Path("build").exists() else {}) == before


@pytest.mark.parametrize(("expression", "written"), [
    ('{{ "nx.schoolnet.internal" | q }}', '"nx.schoolnet.internal"'),
    ('{{ \'say "hi" \\\\o/\' | q }}', '"say \\"hi\\" \\\\o/"'),
])
def test_q_quotes_a_value_for_the_template_format(inventory: Path, templates: Path, expression: str,
                                                  written: str) -> None:
    template = templates / "dns-authoritative/etc/bind/named.conf.local.j2"
    template.write_text(template.read_text() + f"// {expression}\n")
    code, out = invoke("render", "--templates", str(templates), "--limit", "role:dns-authoritative")
    assert code == 0, out
    rendered = Path("build/hosts/nx-dc1-dns-01/etc/bind/named.conf.local").read_text()
    assert rendered.splitlines()[-1] == f"// {written}"


def test_q_refuses_what_the_format_cannot_quote(inventory: Path, templates: Path) -> None:
    template = templates / "firewall/etc/nftables.conf.j2"
    template.write_text(template.read_text().replace("table inet filter", 'table inet filter # {{ \'a"b\' | q }}', 1))
    code, out = invoke("render", "--templates", str(templates), "--limit", "host:nx-ord-001-edge")
    assert code == 1 and "SN705" in out and "double quote" in out and "Traceback" not in out, out


def test_template_error_names_template_line_and_host_and_keeps_previous_build(inventory: Path,
                                                                              templates: Path) -> None:
    assert invoke("render", "--templates", str(templates))[0] == 0
    before = tree(Path("build"))
    template = templates / "dhcp/etc/dnsmasq.d/school.conf.j2"
    lines = template.read_text().splitlines()
    lines.insert(5, "domain={{ school.nmae }}")
    template.write_text("\n".join(lines) + "\n")
    code, out = invoke("render", "--templates", str(templates))
    assert code == 1
    assert "Traceback" not in out
    line = next(n for n, t in enumerate(lines, 1) if "school.nmae" in t)
    assert f"templates/dhcp/etc/dnsmasq.d/school.conf.j2:{line}:1: error SN701 template-error:" in out
    assert "nmae" in out and "(rendering nx-" in out
    assert tree(Path("build")) == before, "a failed render leaves the previous build intact"
    assert not [p for p in Path(".").iterdir() if p.name.startswith(".build.")], "no staging left behind"


def test_template_syntax_error(inventory: Path, templates: Path) -> None:
    template = templates / "ntp/etc/chrony/conf.d/schoolnet.conf.j2"
    template.write_text(template.read_text() + "{% for x in %}\n")
    code, out = invoke("render", "--templates", str(templates))
    assert code == 1 and "SN701 template-error" in out
    assert f"templates/ntp/etc/chrony/conf.d/schoolnet.conf.j2:{len(template.read_text().splitlines())}:1" in out


def test_sandbox_refuses_unsafe_operations(inventory: Path, templates: Path) -> None:
    template = templates / "ntp/etc/chrony/conf.d/schoolnet.conf.j2"
    template.write_text(template.read_text() + "{{ host.__class__.__mro__ }}\n")
    code, out = invoke("render", "--templates", str(templates))
    assert code == 1 and "SN701" in out and "unsafe" in out.lower()


def test_limit_rerenders_only_the_selected_hosts(inventory: Path, templates: Path) -> None:
    assert invoke("render", "--templates", str(templates))[0] == 0
    hosts_before = sorted(json.loads(Path("build/manifest.json").read_text())["hosts"])
    other = Path("build/hosts/nx-bab-001-edge/etc/chrony/conf.d/schoolnet.conf")
    other_before = other.read_bytes()
    template = templates / "ntp/etc/chrony/conf.d/schoolnet.conf.j2"
    template.write_text(template.read_text() + "# changed\n")
    code, out = invoke("render", "--templates", str(templates), "--limit", "school:nx-ord-001")
    assert code == 0, out
    assert "rendered 2 host(s)" in out
    assert Path("build/hosts/nx-ord-001-edge/etc/chrony/conf.d/schoolnet.conf").read_text().endswith("# changed\n")
    assert other.read_bytes() == other_before
    manifest = json.loads(Path("build/manifest.json").read_text())
    assert sorted(manifest["hosts"]) == hosts_before, "hosts not selected keep their manifest entries"


def test_limit_that_matches_nothing_is_a_usage_error(inventory: Path) -> None:
    code, out = invoke("render", "--limit", "school:nx-nope-*")
    assert code == 2 and "matches no host" in out
    assert invoke("render", "--limit", "colour:red")[0] == 2


@pytest.mark.parametrize(("header", "code"), [
    ("{#- schoolnet: mode=0644 -#}", "SN703"),
    ("{#- schoolnet: mode=644 validator=chrony -#}", "SN703"),
    ("{#- schoolnet: mode=0644 validator=chrony colour=red -#}", "SN703"),
])
def test_template_header_errors(inventory: Path, templates: Path, header: str, code: str) -> None:
    template = templates / "ntp/etc/chrony/conf.d/schoolnet.conf.j2"
    template.write_text(header + "\n" + template.read_text().split("\n", 1)[1])
    result, out = invoke("render", "--templates", str(templates))
    assert result == 1 and f"templates/ntp/etc/chrony/conf.d/schoolnet.conf.j2:1:1: error {code}" in out


def test_unknown_role_points_at_the_inventory(inventory: Path) -> None:
    programme = inventory / "programme.yaml"
    programme.write_text(programme.read_text().replace("roles: [base, network, dhcp,", "roles: [base, network, dchp,"))
    code, out = invoke("render", "--templates", str(ROOT / "templates"))
    assert code == 1 and "SN702 unknown-role" in out and "'dchp'" in out
    # every edge server has the role: one line for the role, counting the hosts, not one per host
    assert sum("SN702" in line for line in out.splitlines()) == 1 and "more host(s)" in out


def test_a_missing_templates_directory_is_one_line(inventory: Path, tmp_path: Path) -> None:
    code, out = invoke("render", "--templates", str(tmp_path / "no-templates"))
    problems = [line for line in out.splitlines() if "error SN702" in line]
    assert code == 1 and len(problems) == 1 and "the templates directory does not exist" in problems[0]
