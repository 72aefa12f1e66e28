"""The command line: output formats, look-ups, generated files kept current, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from schoolnet.model.schema import SCHEMAS, schema_text
from schoolnet.rulebook import RULES
from schoolnet.rules_doc import render_rules_doc
from tests.conftest import ROOT, invoke

DC = "inventory/datacenter/nx-dc1.yaml"


def live_uplinks(inventory: Path) -> None:
    """Every planned or provisioning uplink active: the generated schools then raise no SN612 warning."""
    for path in (inventory / "schools").glob("*/*.yaml"):
        text = path.read_text()
        path.write_text(re.sub(r"(bandwidth_mbps: \d+\n    status: )(planned|provisioning)$", r"\1active", text,
                               flags=re.M))


@pytest.fixture
def broken(inventory: Path) -> Path:
    """Two problems: a duplicate hostname and a rack over its power budget (and no warning)."""
    live_uplinks(inventory)
    path = inventory / "datacenter/nx-dc1.yaml"
    text = path.read_text().replace("hostname: nx-dc1-pdu-r01b", "hostname: nx-dc1-pdu-r01a")
    path.write_text(text.replace("{name: r02, u_height: 42, power_budget_w: 5000}",
                                 "{name: r02, u_height: 42, power_budget_w: 100}"))
    return inventory


def test_json_format(broken: Path) -> None:
    code, out = invoke("validate", "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False and data["errors"] == 2
    assert {(p["code"], p["file"]) for p in data["problems"]} == {("SN101", DC), ("SN403", DC)}
    assert all(isinstance(p["line"], int) and p["line"] > 1 for p in data["problems"])


def test_junit_format_has_a_case_per_rule(broken: Path) -> None:
    code, out = invoke("validate", "--format", "junit")
    assert code == 1
    suite = ET.fromstring(out.split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(RULES)
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == {"SN101 duplicate-hostname", "SN403 rack-power"}
    assert suite.get("failures") == "2"


def test_github_annotations(broken: Path) -> None:
    code, out = invoke("validate", "--format", "github")
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"::error file={DC},line=") for line in lines)
    assert any("title=SN403 rack-power::" in line for line in lines)


def test_clean_inventory_in_every_format(inventory: Path) -> None:
    for fmt in ("text", "json", "junit", "github"):
        code, out = invoke("validate", "--format", fmt)
        assert code == 0, (fmt, out)


def test_usage_errors_exit_2(inventory: Path) -> None:
    assert invoke("validate", "--format", "yaml")[0] == 2
    assert invoke("no-such-command")[0] == 2


def test_missing_inventory_directory_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = invoke("inventory", "stats")
    assert code == 2
    assert out == (f"schoolnet: not inside a schoolnet repository: neither {tmp_path} nor a folder above it holds "
                   "inventory/programme.yaml (run it in the repository, or pass --inventory DIR)\n")
    code, out = invoke("inventory", "stats", "--inventory", "nowhere")  # named, and not there: the loader says so
    assert code == 1
    assert "SN012 missing-file: the inventory directory does not exist" in out


@pytest.mark.parametrize(("waves", "expected"), [
    ("max_failure_rate: 2\nwaves:\n  - {name: pilot, limit: ['district:sadarak']}\n",
     "waves.yaml:1:19: error SN010 invalid-value: max_failure_rate: Input should be less than or equal to 1"),
    ("waves:\n  - {name: pilot, limit: ['dist:sadarak']}\n",
     "waves.yaml:2:19: error SN010 invalid-value: waves[0].limit: Value error, 'dist:sadarak': expected one of"),
    ("waves:\n  - {name: pilot, limit: []}\n",
     "waves.yaml:2:19: error SN010 invalid-value: waves[0].limit: List should have at least 1 item"),
    ("waves:\n  - {name: pilot, limits: ['district:sadarak']}\n",
     "waves.yaml:2:19: error SN008 unknown-key: unknown key 'limits' (did you mean 'limit'?)"),
    ("waves: [\n", "waves.yaml:1:8: error SN001 yaml-syntax: the [ here is not closed"),
    ("", "waves.yaml:1:1: error SN005 empty-file:"),
    (None, "waves.yaml:1:1: error SN012 missing-file: cannot read the file: No such file or directory"),
])
def test_a_bad_waves_file_is_file_line_errors_before_any_host(inventory: Path, waves: str | None,
                                                              expected: str) -> None:
    path = inventory.parent / "waves.yaml"
    if waves is not None:
        path.write_text(waves)
    code, out = invoke("deploy", "--env", "lab", "--waves", "waves.yaml", "--yes")
    assert code == 1, out
    assert any(line.startswith(expected) for line in out.splitlines()), out
    assert "connecting" not in out


def test_a_path_the_system_refuses_is_one_line_not_a_traceback(inventory: Path) -> None:
    code, out = invoke("schema", "--out", "/proc/1/schoolnet-schema")  # /proc takes no new directory
    assert code == 1
    assert out.strip() == ("schoolnet: /proc/1/schoolnet-schema: No such file or directory "
                           "(check the path and its permissions)")


@pytest.mark.parametrize(("name", "kind", "where"), [
    ("nx-ord-001", "school", "inventory/schools/ordubad/nx-ord-001.yaml:2:"),
    ("nx-ord-001-edge", "edge", "inventory/schools/ordubad/nx-ord-001.yaml:"),
    ("nx-dc1-vpn-01", "server", "inventory/datacenter/nx-dc1.yaml:"),
])
def test_show_finds_and_locates(inventory: Path, name: str, kind: str, where: str) -> None:
    code, out = invoke("inventory", "show", name, "--format", "json")
    assert code == 0, out
    (found,) = json.loads(out)
    assert found["kind"] == kind and found["defined_at"].startswith(where)


def test_show_a_tablet_by_serial(inventory: Path) -> None:
    text = (inventory / "schools/ordubad/nx-ord-001.yaml").read_text()
    lines = text.splitlines()
    line = next(n for n, t in enumerate(lines, 1) if t.strip().startswith("serial: R9"))
    serial = lines[line - 1].split(": ")[1]
    code, out = invoke("inventory", "show", serial.lower())
    assert code == 0
    assert f"tablet {serial}  (defined at inventory/schools/ordubad/nx-ord-001.yaml:{line - 1}:5)" in out
    assert invoke("inventory", "show", "NOPE")[0] == 1


def test_committed_schemas_are_current() -> None:
    for kind in SCHEMAS:
        committed = (ROOT / "schema" / f"{kind}.schema.json").read_text()
        assert committed == schema_text(kind), f"schema/{kind}.schema.json is stale: run `make docs`"


def test_schema_rejects_what_validate_rejects() -> None:
    school = json.loads(schema_text("school"))
    assert school["additionalProperties"] is False
    assert set(school["required"]) >= {"id", "name", "district", "coordinates"}


def test_rules_doc_is_current_and_complete() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text()
    assert committed == render_rules_doc(), "docs/rules.md is stale: run `make docs`"
    for code in RULES:
        assert f"### {code}" in committed


def test_warnings_alone_exit_0_unless_strict(inventory: Path) -> None:
    school = inventory / "schools/ordubad/nx-ord-001.yaml"
    school.write_text(school.read_text().replace("    status: handed_over\n", "    status: in_stock\n", 1))
    code, out = invoke("validate")
    assert code == 0 and "warning SN609 stock-with-handover" in out
    assert invoke("validate", "--strict")[0] == 1


def test_demo_script_runs_on_the_reference_programme() -> None:
    """Steps 1-4 and 10 of `make demo`; its lab steps are what tests/test_deploy.py proves."""
    import os
    import subprocess

    result = subprocess.run(["bash", str(ROOT / "scripts" / "demo.sh")], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "SCHOOLNET_DEMO_LAB": "0"})
    assert result.returncode == 0, result.stderr
    assert "inventory valid: 216 schools" in result.stdout + result.stderr
    # a build left by an earlier run keeps its unchanged hosts: rendered + kept is every host
    rendered = re.search(r"rendered (\d+) host\(s\)(?:, kept (\d+) unchanged)?; build/ holds 3,192 files for 781 hosts",
                         result.stderr)
    assert rendered and int(rendered.group(1)) + int(rendered.group(2) or 0) == 781, result.stderr
    assert "checked 3,192 files" in result.stderr
    assert "steps 5-10, the lab, and 12, NetBox, skipped" in result.stdout
    # step 9, the auditors' view, runs with or without the lab
    assert "✓ report: site/index.html" in result.stderr
    assert (ROOT / "site" / "schools" / "nx-sad-001.html").is_file()
    assert (ROOT / "handover" / "nx-sad-001.pdf").read_bytes().startswith(b"%PDF")
