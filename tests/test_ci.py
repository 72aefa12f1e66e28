"""schoolnet ci: the gate reviewers rely on."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from tests.conftest import ROOT, invoke
from tests.test_cli import live_uplinks


def test_ci_passes_every_stage(inventory: Path) -> None:
    code, out = invoke("ci", "--templates", str(ROOT / "templates"), "--format", "json")
    assert code == 0, out
    data = json.loads(out[: out.rindex("}") + 1])
    assert data["ok"] and [s["status"] for s in data["stages"]] == ["passed"] * 3
    assert Path("build/manifest.json").exists()


def test_ci_stops_at_the_first_failing_stage_and_says_where(inventory: Path) -> None:
    live_uplinks(inventory)  # no SN612 warning: a warning is a junit failure too
    school = inventory / "schools/ordubad/nx-ord-001.yaml"
    school.write_text(school.read_text().replace("uplink_port: XGigabitEthernet0/0/1", "uplink_port: Gi9", 1))
    code, out = invoke("ci", "--templates", str(ROOT / "templates"), "--format", "junit")
    assert code == 1
    root = ET.fromstring(out[out.index("<testsuites"): out.index("</testsuites>") + len("</testsuites>")])
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert suites["schoolnet.validate"].get("failures") == "1"
    failed = [c for c in suites["schoolnet.validate"].findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["SN203 unknown-port"]
    assert "inventory/schools/ordubad/nx-ord-001.yaml:" in (failed[0].find("failure").text or "")  # type: ignore[union-attr]
    assert all(c.find("skipped") is not None for c in suites["schoolnet.check"].findall("testcase"))
    assert not Path("build").exists()


def test_ci_github_annotations_for_a_broken_template(inventory: Path, templates: Path) -> None:
    template = templates / "dhcp/etc/dnsmasq.d/school.conf.j2"
    template.write_text(template.read_text().replace("log-dhcp", "log-dhcpp"))
    code, out = invoke("ci", "--templates", str(templates), "--format", "github")
    assert code == 1
    lines = [line for line in out.splitlines() if line.startswith("::error ")]
    assert lines and all("title=SN801 dnsmasq-rejected::" in line for line in lines)
    assert "file=build/hosts/nx-" in lines[0]
