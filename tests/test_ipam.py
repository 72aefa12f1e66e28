"""The address ledger: allocation appends, never renumbers; derived addresses follow the VLAN plan."""

from __future__ import annotations

import json
import re
from ipaddress import IPv4Network
from pathlib import Path

from tests.conftest import invoke

NEW = "nx-ord-099"


def add_school(inventory: Path) -> None:
    """A new school file, as a sysadmin would copy one; the contract numbers grow with it."""
    source = (inventory / "schools/ordubad/nx-ord-001.yaml").read_text()
    tablets = source.count("- slot:")
    body = source.replace("id: nx-ord-001", f"id: {NEW}").replace("ORD-0001", "ORD-0099")
    body = re.sub(r"serial: (R9\w+)", lambda m: f"serial: X{m.group(1)[1:]}", body)
    body = re.sub(r'mac: "02:5c', 'mac: "02:77', body)
    body = re.sub(r"certificate: NX-HO-2025-ORD001", "certificate: NX-HO-2025-ORD099", body)
    body = re.sub(r"serial: (\w+)\n    asset_tag: NX-ORD-001", r"serial: \g<1>9\n    asset_tag: NX-ORD-099", body)
    (inventory / f"schools/ordubad/{NEW}.yaml").write_text(body)
    programme = inventory / "programme.yaml"
    text = programme.read_text().replace("schools: 16", "schools: 17")
    programme.write_text(text.replace("tablets: 160", f"tablets: {160 + tablets}"))


def test_a_new_school_without_prefix_is_reported(inventory: Path) -> None:
    add_school(inventory)
    code, out = invoke("validate", "--inventory", "inventory")
    assert code == 1
    assert f"SN304 ipam-missing: {NEW} has no prefix" in out


def test_allocate_appends_one_line_and_renumbers_nobody(inventory: Path) -> None:
    add_school(inventory)
    ledger = inventory / "ipam.yaml"
    before = ledger.read_text()
    taken = [IPv4Network(p) for p in re.findall(r": (\d+\.\d+\.\d+\.\d+/\d+)$", before, re.M)]
    code, out = invoke("ipam", "allocate", NEW, "--inventory", "inventory")
    assert code == 0, out
    after = ledger.read_text()
    assert after.startswith(before), "existing lines are untouched"
    added = after[len(before):]
    match = re.fullmatch(rf"  {NEW}: (\S+)\n", added)
    assert match, added
    prefix = IPv4Network(match.group(1))
    assert prefix.prefixlen == 22 and not any(prefix.overlaps(t) for t in taken)
    assert prefix == IPv4Network("10.64.64.0/22"), "the lowest free /22 after the 16 taken"
    assert invoke("validate", "--inventory", "inventory")[0] == 0


def test_allocating_twice_or_for_unknown_school_fails_cleanly(inventory: Path) -> None:
    ledger = (inventory / "ipam.yaml").read_text()
    code, out = invoke("ipam", "allocate", "nx-ord-001", "--inventory", "inventory")
    assert code == 1 and "never renumbered" in out
    code, out = invoke("ipam", "allocate", "nx-ord-777", "--inventory", "inventory")
    assert code == 1 and "no school nx-ord-777" in out
    assert (inventory / "ipam.yaml").read_text() == ledger


def test_allocate_reuses_a_released_prefix_first(inventory: Path) -> None:
    """A closed school's line is removed in review; the next new school gets its prefix."""
    ledger = inventory / "ipam.yaml"
    released = re.search(r"^  nx-bab-002: (\S+)$", ledger.read_text(), re.M)
    assert released
    ledger.write_text(ledger.read_text().replace(released.group(0) + "\n", ""))
    closed = inventory / "schools/babek/nx-bab-002.yaml"
    closed_tablets = closed.read_text().count("- slot:")
    closed.unlink()
    add_school(inventory)
    programme = inventory / "programme.yaml"
    text = re.sub(r"schools: 17", "schools: 16", programme.read_text())
    programme.write_text(re.sub(r"tablets: (\d+)", lambda m: f"tablets: {int(m.group(1)) - closed_tablets}", text))
    code, out = invoke("ipam", "allocate", NEW, "--inventory", "inventory")
    assert code == 0, out
    assert f"{NEW}: {released.group(1)}" in out
    assert invoke("validate", "--inventory", "inventory")[0] == 0


def test_show_derives_vlans_and_reservations(inventory: Path) -> None:
    code, out = invoke("ipam", "show", "nx-ord-001", "--inventory", "inventory", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    prefix = IPv4Network(data["prefix"])
    vlans = {v["name"]: v for v in data["vlans"]}
    assert [v["vid"] for v in data["vlans"]] == [10, 20, 40, 30]
    assert IPv4Network(vlans["tablets"]["subnet"]) == IPv4Network((int(prefix.network_address) + 512, 23))
    assert vlans["management"]["gateway"] == str(prefix.network_address + 1)
    addresses = {a["name"]: a["address"] for a in data["addresses"]}
    assert addresses["nx-ord-001-sw1"] == str(prefix.network_address + 11)
    assert addresses["nx-ord-001-t001"] == str(prefix.network_address + 512 + 16)


def test_show_whole_ledger(inventory: Path) -> None:
    code, out = invoke("ipam", "show", "--inventory", "inventory", "--format", "json")
    assert code == 0
    assert len(json.loads(out)) == 16


def test_allocations_at_once_give_distinct_prefixes_and_lose_no_line(inventory: Path) -> None:
    """Each allocation decides on the ledger as the file holds it, one at a time: sysadmins allocating
    at once get different prefixes, and no line overwrites another."""
    import subprocess

    from tests.conftest import SCHOOLNET

    source = (inventory / "schools/ordubad/nx-ord-001.yaml").read_text()
    new = [f"nx-ord-{n:03d}" for n in range(91, 99)]
    for school in new:
        (inventory / f"schools/ordubad/{school}.yaml").write_text(source.replace("id: nx-ord-001", f"id: {school}"))
    runs = [subprocess.Popen([SCHOOLNET, "ipam", "allocate", school, "--inventory", str(inventory)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for school in new]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0] * len(new), outputs
    ledger = dict(re.findall(r"^  (\S+): (\S+)$", (inventory / "ipam.yaml").read_text(), re.M))
    assert set(new) <= set(ledger) and len(ledger) == 16 + len(new)
    prefixes = [IPv4Network(p) for p in ledger.values()]
    assert not any(a.overlaps(b) for i, a in enumerate(prefixes) for b in prefixes[i + 1:]), ledger
