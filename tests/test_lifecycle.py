"""`schoolnet tablets move` and `schoolnet ipam release`: a school's life after day 1, as edits a reviewer reads.

Each case moves tablets of the small programme and holds the result to what a reviewer and `validate` expect:
the lines that changed, the inventory valid afterwards (or the refusal, with nothing written)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from tests.conftest import invoke


def school_file(inventory: Path, school: str) -> Path:
    return next((inventory / "schools").glob(f"*/{school}.yaml"))


def tablets_of(inventory: Path, school: str) -> list[dict[str, object]]:
    return list(yaml.safe_load(school_file(inventory, school).read_text())["tablets"])


def stock_of(inventory: Path) -> list[dict[str, object]]:
    return list(yaml.safe_load(next((inventory / "datacenter").glob("*.yaml")).read_text()).get("stock") or [])


def digest(inventory: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(inventory.rglob("*.yaml")))).hexdigest()


def valid(inventory: Path) -> tuple[int, str]:
    return invoke("validate", "--inventory", str(inventory))


def test_a_tablet_moves_to_another_school_in_stock_with_the_next_slot(inventory: Path) -> None:
    moving = tablets_of(inventory, "nx-sad-001")[0]
    before = max(int(str(t["slot"])) for t in tablets_of(inventory, "nx-bab-001"))
    code, out = invoke("tablets", "move", str(moving["serial"]).lower(), "--to", "nx-bab-001",
                       "--inventory", str(inventory))
    assert code == 0, out
    arrived = tablets_of(inventory, "nx-bab-001")[-1]
    assert arrived == {"slot": before + 1, "serial": moving["serial"], "mac": moving["mac"], "status": "in_stock"}
    assert moving["serial"] not in {t["serial"] for t in tablets_of(inventory, "nx-sad-001")}
    # the procured total holds: a school has one tablet less, another one more
    code, out = valid(inventory)
    assert code == 0, out


def test_a_tablet_goes_to_the_stock_with_where_it_came_from_and_back_out(inventory: Path) -> None:
    moving = tablets_of(inventory, "nx-sad-001")[1]
    code, out = invoke("tablets", "move", str(moving["serial"]), "--to", "stock", "--on", "2026-12-01",
                       "--inventory", str(inventory))
    assert code == 0, out
    assert stock_of(inventory) == [{"serial": moving["serial"], "model": moving.get("model", stock_of(inventory)[0]
                                    ["model"]), "mac": moving["mac"], "status": "in_stock",
                                    "returned_from": "nx-sad-001", "returned_on": yaml.safe_load("2026-12-01")}]
    code, out = valid(inventory)
    assert code == 0, out
    code, out = invoke("tablets", "move", str(moving["serial"]), "--to", "nx-sad-001", "--inventory", str(inventory))
    assert code == 0, out
    assert stock_of(inventory) == []  # the emptied stock stays a list, so the file still types
    code, out = valid(inventory)
    assert code == 0, out


def test_the_stock_counts_towards_the_procured_total_and_its_serials_are_unique(inventory: Path) -> None:
    first, second = tablets_of(inventory, "nx-sad-001")[:2]
    assert invoke("tablets", "move", str(first["serial"]), "--to", "stock", "--inventory", str(inventory))[0] == 0
    dc = next((inventory / "datacenter").glob("*.yaml"))
    # a stocked tablet written again by hand with another tablet's serial and MAC: both repeats are found
    text = dc.read_text()
    dc.write_text(text.replace(str(first["serial"]), str(second["serial"])).replace(
        str(first["mac"]), str(second["mac"])))
    code, out = valid(inventory)
    assert code == 1
    assert "SN102" in out and "SN104" in out
    assert f"{dc.relative_to(inventory.parent)}:" in out


@pytest.mark.parametrize(("serial", "target", "message"), [
    ("R9NOSUCHONE", "nx-bab-001", "no tablet with serial R9NOSUCHONE"),
    ("{first}x", "nx-bab-001", "did you mean {first}?"),
    ("{first}", "nx-bab-01", "no school nx-bab-01; did you mean nx-bab-001?"),
    ("{first}", "nx-sad-001", "is already at nx-sad-001"),
    ("{lost}", "nx-bab-001", "is lost: a school receives only tablets that exist and work"),
])
def test_a_move_that_cannot_be_made_is_one_line_and_writes_nothing(inventory: Path, serial: str, target: str,
                                                                   message: str) -> None:
    first = str(tablets_of(inventory, "nx-sad-001")[0]["serial"])
    path = school_file(inventory, "nx-sad-001")
    if "{lost}" in serial:
        assert invoke("tablets", "move", first, "--to", "stock", "--inventory", str(inventory))[0] == 0
        dc = next((inventory / "datacenter").glob("*.yaml"))
        dc.write_text(dc.read_text().replace("status: in_stock\n    returned_from", "status: lost\n    returned_from"))
        path = dc
    before = digest(inventory)
    code, out = invoke("tablets", "move", serial.format(first=first, lost=first), "--to", target,
                       "--inventory", str(inventory))
    assert code == 1
    assert message.format(first=first) in out
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out
    assert digest(inventory) == before, path


def test_closing_a_school_keeps_every_tablet_and_frees_its_prefix(inventory: Path) -> None:
    serials = [str(t["serial"]) for t in tablets_of(inventory, "nx-bab-001")]
    code, out = invoke("ipam", "release", "nx-bab-001", "--inventory", str(inventory))
    assert code == 1 and "still has a school file" in out
    code, out = invoke("tablets", "move", *serials[:2], "--to", "nx-sad-001", "--inventory", str(inventory))
    assert code == 0, out
    code, out = invoke("tablets", "move", *serials[2:], "--to", "stock", "--inventory", str(inventory))
    assert code == 0, out
    school_file(inventory, "nx-bab-001").unlink()
    programme = inventory / "programme.yaml"
    data = yaml.safe_load(programme.read_text())
    programme.write_text(programme.read_text().replace(f"schools: {data['expected']['schools']}",
                                                       f"schools: {data['expected']['schools'] - 1}"))
    code, out = valid(inventory)
    assert code == 1 and "SN305" in out and "schoolnet ipam release nx-bab-001" in out
    ledger = (inventory / "ipam.yaml").read_text()
    code, out = invoke("ipam", "release", "nx-bab-001", "--inventory", str(inventory))
    assert code == 0, out
    after = (inventory / "ipam.yaml").read_text()
    assert len(ledger.splitlines()) - len(after.splitlines()) == 1 and "nx-bab-001" not in after
    code, out = valid(inventory)
    assert code == 0, out
    kept = {str(t["serial"]) for t in tablets_of(inventory, "nx-sad-001")} | {str(t["serial"]) for t in
                                                                               stock_of(inventory)}
    assert set(serials) <= kept


def test_a_render_after_a_school_closed_and_its_secrets_pruned_renders_what_changed(inventory: Path,
                                                                                  templates: Path) -> None:
    """The VPN hub's last render used the closed school's WireGuard public key: that secret is gone, so the
    hub's inputs changed and it is rendered again (once, this ended in a traceback)."""
    code, out = invoke("render", "--inventory", str(inventory))
    assert code == 0, out
    serials = [str(t["serial"]) for t in tablets_of(inventory, "nx-bab-001")]
    assert invoke("tablets", "move", *serials, "--to", "stock", "--inventory", str(inventory))[0] == 0
    school_file(inventory, "nx-bab-001").unlink()
    programme = inventory / "programme.yaml"
    expected = yaml.safe_load(programme.read_text())["expected"]["schools"]
    programme.write_text(programme.read_text().replace(f"schools: {expected}", f"schools: {expected - 1}"))
    assert invoke("ipam", "release", "nx-bab-001", "--inventory", str(inventory))[0] == 0
    code, out = invoke("secrets", "prune", "--yes", "--inventory", str(inventory))
    assert code == 0 and "wireguard/nx-bab-001-edge/private_key" in out, out
    code, out = invoke("render", "--inventory", str(inventory))
    assert code == 0, out
    hub = next(p for p in (inventory.parent / "build" / "hosts").glob("*vpn*/**/*") if p.is_file() and "wg" in p.name)
    assert "nx-bab-001" not in hub.read_text()


def test_inventory_stats_count_the_stock_apart_from_the_schools(inventory: Path) -> None:
    import json

    before = json.loads(invoke("inventory", "stats", "--format", "json", "--inventory", str(inventory))[1])
    serial = str(tablets_of(inventory, "nx-sad-001")[0]["serial"])
    assert invoke("tablets", "move", serial, "--to", "stock", "--inventory", str(inventory))[0] == 0
    after = json.loads(invoke("inventory", "stats", "--format", "json", "--inventory", str(inventory))[1])
    assert before["tablets_in_stock_at_the_data_center"] == 0
    assert (after["tablets"], after["tablets_in_stock_at_the_data_center"]) == (before["tablets"] - 1, 1)
