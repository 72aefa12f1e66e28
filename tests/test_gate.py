"""The gate before any host is touched: a build that is missing, stale, of another version or edited
since render is refused, naming each host, before a connection is opened (no lab needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schoolnet.deploy.gate import prepare
from schoolnet.problems import InventoryError
from tests.conftest import ROOT, invoke

EDGE, OTHER = "nx-ord-001-edge", "nx-ord-002-edge"


def refusal(inventory: Path, *limits: str) -> str:
    with pytest.raises(InventoryError) as refused:
        prepare(inventory, Path("build"), list(limits))
    return "\n".join(p.line() for p in refused.value.problems)


@pytest.fixture
def rendered(inventory: Path) -> Path:
    (inventory.parent / "templates").symlink_to(ROOT / "templates")
    assert invoke("render", "--limit", f"host:{EDGE}")[0] == 0
    return inventory


def test_a_host_never_rendered_is_refused_by_name(rendered: Path) -> None:
    assert prepare(rendered, Path("build"), [f"host:{EDGE}"]).hosts[0].hostname == EDGE
    assert f"SN820 stale-build: build/ is stale for {OTHER}: it has never been rendered" in refusal(
        rendered, f"host:{OTHER}")


def test_a_change_to_a_hosts_inputs_makes_it_stale(rendered: Path) -> None:
    school = rendered / "schools/ordubad/nx-ord-001.yaml"
    school.write_text(school.read_text().replace("students: ", "students: 1", 1))
    assert f"stale for {EDGE}: its inventory data, templates or secrets changed" in refusal(rendered, f"host:{EDGE}")


def test_a_build_of_another_version_is_refused(rendered: Path) -> None:
    manifest = Path("build/manifest.json")
    manifest.write_text(manifest.read_text().replace('"version": 2', '"version": 1', 1))
    assert f"stale for {EDGE}: build/ was written by another version of schoolnet" in refusal(
        rendered, f"host:{EDGE}")


def test_a_file_edited_in_build_is_refused(rendered: Path) -> None:
    edited = Path("build/hosts") / EDGE / "etc/dnsmasq.d/school.conf"
    edited.write_text(edited.read_text() + "# by hand\n")
    assert f"build/hosts/{EDGE}/etc/dnsmasq.d/school.conf:1:1: error SN818" in refusal(rendered, f"host:{EDGE}")


def test_a_manifest_path_leading_out_of_build_is_refused(rendered: Path) -> None:
    manifest = Path("build/manifest.json")
    data = json.loads(manifest.read_text())
    data["hosts"][EDGE]["files"][0]["path"] = "/../../../etc/passwd"
    manifest.write_text(json.dumps(data))
    assert "'..' is not a plain name" in refusal(rendered, f"host:{EDGE}").split("SN818")[1]
