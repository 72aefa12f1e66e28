"""Managing the encrypted file: generate touches only what it adds, list/prune/rotate say what they act on,
ci fails on secrets nothing uses, render names each missing secret once.  Real sops and age throughout."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from schoolnet.model import load_fleet_or_raise
from schoolnet.secrets import open_store
from schoolnet.secrets.manage import entry_lines
from schoolnet.secrets.names import DERIVES, secret_uses
from schoolnet.secrets.store import sops_program
from tests.conftest import ROOT, invoke

FILE = "inventory/secrets.sops.yaml"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def tracked(inventory: Path) -> Path:
    """The small programme's inventory in a git repository of its own, committed."""
    git("init", "-q")
    git("add", "inventory")
    git("-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "base")
    return inventory


def unset(inventory: Path, *names: str) -> None:
    """Take `names` out of the file as if never generated: each by its highest branch holding nothing else."""
    held = set(open_store(inventory).values)
    branches = set()
    for name in names:
        parts = name.split("/")
        branches.add(next("/".join(parts[:i]) for i in range(1, len(parts) + 1)
                          if {n for n in held if n.startswith("/".join(parts[:i]) + "/")} <= set(names)))
    for branch in sorted(branches):
        index = "".join(f'["{part}"]' for part in branch.split("/"))
        subprocess.run([sops_program(), "unset", str(inventory / "secrets.sops.yaml"), index], check=True,
                       capture_output=True)


def commit() -> None:
    git("-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qam", "step")


def changed_lines() -> tuple[list[str], list[str]]:
    diff = git("diff", "-U0", "--", FILE).splitlines()
    return ([line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")],
            [line[1:] for line in diff if line.startswith("-") and not line.startswith("---")])


SOPS_OWN = ("    lastmodified:", "    mac:")


@pytest.mark.parametrize("names", [
    ["wifi/nx-ord-001/tablets"],
    ["wifi/nx-ord-001/tablets", "wifi/nx-ord-002/tablets", "wireguard/nx-ord-001-edge/private_key",
     "snmp/nx-ord-003/auth", "snmp/nx-ord-003/priv"],
    ["switch/nx-ord-001/admin", "switch/nx-ord-002/admin", "switch/nx-ord-003/admin"],
], ids=["one", "five-across-sections", "three-in-one-section"])
def test_generate_changes_only_the_entries_it_adds(names: list[str], tracked: Path) -> None:
    before = dict(open_store(tracked).values)
    unset(tracked, *names)
    commit()
    code, out = invoke("secrets", "generate")
    assert code == 0 and sorted(line.strip("+ ") for line in out.splitlines() if line.startswith("  + ")) == \
        sorted(names)
    added, removed = changed_lines()
    assert all(line.startswith(SOPS_OWN) for line in removed) and len(removed) <= 2  # the same second: 1
    entries = [line for line in added if "ENC[AES256_GCM" in line and not line.startswith(SOPS_OWN)]
    assert len(entries) == len(names)
    parents = [line for line in added if line not in entries and not line.startswith(SOPS_OWN)]
    assert all(line.strip().endswith(":") for line in parents)  # a new school's or host's key, nothing else
    after = open_store(tracked).values
    assert {n: v for n, v in after.items() if n not in names} == {n: v for n, v in before.items() if n not in names}
    assert all(after[n] != before[n] for n in names)  # new values, not the old ones back


def test_rotate_changes_one_line_and_sops_metadata(tracked: Path) -> None:
    code, _ = invoke("secrets", "rotate", "wifi/nx-ord-003/tablets")
    assert code == 0
    added, removed = changed_lines()
    assert len([line for line in added if not line.startswith(SOPS_OWN)]) == 1
    assert len([line for line in removed if not line.startswith(SOPS_OWN)]) == 1


def close_school(inventory: Path, school: str = "nx-ord-001") -> list[str]:
    (inventory / f"schools/ordubad/{school}.yaml").unlink()
    ledger = inventory / "ipam.yaml"
    ledger.write_text("".join(line for line in ledger.read_text().splitlines(keepends=True)
                              if not line.lstrip().startswith(f"{school}:")))
    return sorted(n for n in open_store(inventory).values if f"/{school}/" in n or f"/{school}-edge/" in n)


def test_prune_removes_only_what_nothing_uses(tracked: Path) -> None:
    invoke("secrets", "rotate", "switch/nx-ord-002/admin")  # a rotation in progress: its old value stays
    invoke("secrets", "rotate", "switch/nx-ord-001/admin")  # ... and one whose school then closes: it goes
    commit()
    gone = close_school(tracked)
    assert "switch/nx-ord-001/admin-previous" in gone
    before = dict(open_store(tracked).values)
    code, out = invoke("secrets", "list", "--unused")
    assert code == 0 and [line for line in out.splitlines() if not line.startswith("✗")] == gone
    code, out = invoke("secrets", "prune")  # asks; no answer: nothing changes
    assert code == 1 and all(f"  - {n}" in out for n in gone) and open_store(tracked).values == before
    assert "  = switch/nx-ord-002/admin-previous (kept: a rotation in progress" in out
    code, out = invoke("secrets", "prune", "--yes")
    assert code == 0 and f"✓ removed {len(gone)} unused secret(s)" in out
    after = open_store(tracked).values
    assert after == {n: v for n, v in before.items() if n not in gone}
    assert "switch/nx-ord-002/admin-previous" in after
    added, removed = changed_lines()
    assert [line for line in added if not line.startswith(SOPS_OWN)] == []
    assert len([line for line in removed if "ENC[" in line and not line.startswith(SOPS_OWN)]) == len(gone)
    assert invoke("secrets", "check")[0] == 0
    assert invoke("secrets", "prune")[1].count("nothing to prune") == 1


def test_a_secret_nothing_uses_fails_ci_at_its_line(tracked: Path) -> None:
    gone = ["wifi/nx-ord-099/tablets", "wireguard/nx-ord-099-edge/private_key"]  # a school closed long ago
    for name in gone:
        index = "".join(f'["{part}"]' for part in name.split("/"))
        subprocess.run([sops_program(), "set", "--value-stdin", str(tracked / "secrets.sops.yaml"), index],
                       input='"left-over-value-of-a-closed-school"', text=True, check=True, capture_output=True)
    lines = entry_lines(tracked / "secrets.sops.yaml")
    code, out = invoke("ci", "--templates", str(ROOT / "templates"))
    assert code == 1, out
    found = [line for line in out.splitlines() if " SN904 " in line]
    assert found == [f"{FILE}:{lines[n]}:1: error SN904 secret-unused: secret {n!r} is not used by any host "
                     "(remove the unused ones with `schoolnet secrets prune`)" for n in gone]
    assert "✗ render" in out and "✓ check" in out  # every rendered file was still checked
    invoke("secrets", "prune", "--yes")
    assert invoke("ci", "--templates", str(ROOT / "templates"))[0] == 0


def test_list_names_each_secret_and_its_hosts_never_a_value(inventory: Path) -> None:
    values = open_store(inventory).values
    code, out = invoke("secrets", "list")
    assert code == 0 and not any(v in out for v in values.values())
    rows = dict(line.split(None, 1) for line in out.splitlines() if not line.startswith("✓"))
    assert set(rows) == set(values)
    assert rows["switch/nx-ord-001/admin"].startswith("nx-ord-001-sw1")
    assert rows["wireguard/nx-ord-001-edge/private_key"] == "nx-ord-001-edge; its public key: nx-dc1-vpn-01"
    assert "its public key: 16 hosts (" in rows["wireguard/nx-dc1-vpn-01/private_key"]
    code, out = invoke("secrets", "list", "--format", "json")
    listed = {row["name"]: row for row in json.loads(out[:out.rindex("]") + 1])}
    assert listed["wireguard/nx-dc1-vpn-01/private_key"]["public_key_hosts"][0] == "nx-bab-001-edge"
    assert not any(v in out for v in values.values())


def test_secret_uses_match_what_render_writes(inventory: Path, tmp_path: Path) -> None:
    assert invoke("render", "--templates", str(ROOT / "templates"), "--out", str(tmp_path / "build"))[0] == 0
    manifest = json.loads((tmp_path / "build/manifest.json").read_text())
    written: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for host, entry in manifest["hosts"].items():
        for spec in entry["files"]:
            written.update({n: written[n] | {(host, "holds it")} for n in spec["secrets"]})
            written.update({n: written[n] | {(host, DERIVES)} for n in spec["derived"]})
    uses = secret_uses(load_fleet_or_raise(inventory))
    assert {n: {(u.hostname, u.how) for u in us} for n, us in uses.items()} == dict(written)


@pytest.mark.parametrize(("name", "said"), [
    ("wireguard/nx-ord-01-edge/private_key", "did you mean 'wireguard/nx-ord-001-edge/private_key'"),
    ("wifi/nx-ord-001/tablet", "did you mean 'wifi/nx-ord-001/tablets'"),
    ("switch/nx-ord-001/admn", "did you mean 'switch/nx-ord-001/admin'"),
    ("nothing/like/this", "is used by this inventory; (`schoolnet secrets list` lists them)"),
])
def test_rotate_a_wrong_name_suggests_the_right_one(name: str, said: str, inventory: Path) -> None:
    before = (inventory / "secrets.sops.yaml").read_bytes()
    code, out = invoke("secrets", "rotate", name)
    assert code == 2 and said in out and len(out.strip().splitlines()) == 1
    assert (inventory / "secrets.sops.yaml").read_bytes() == before


@pytest.mark.parametrize(("name", "expected"), [
    ("wireguard/nx-ord-001-edge/private_key",
     ["first:  schoolnet render --limit host:nx-ord-001-edge --limit host:nx-dc1-vpn-01",
      "nx-ord-001-edge  holds it              schoolnet deploy --env prod --limit host:nx-ord-001-edge",
      "nx-dc1-vpn-01    holds its public key  schoolnet deploy --env prod --limit host:nx-dc1-vpn-01"]),
    ("switch/nx-ord-001/admin",
     ["first:  schoolnet render --limit host:nx-ord-001-sw1",
      "nx-ord-001-sw1  holds it              schoolnet switches rotate --env prod --limit host:nx-ord-001-sw1"]),
    ("snmp/nx-ord-001/auth",
     ["nx-ord-001-sw1  holds it              schoolnet switches push --env prod --limit host:nx-ord-001-sw1"]),
    ("wifi/nx-ord-001/tablets",
     ["first:  schoolnet render --limit host:nx-dc1-mdm-01",
      "nx-dc1-mdm-01  holds it              schoolnet deploy --env prod --limit host:nx-dc1-mdm-01"]),
])
def test_rotate_names_each_host_and_the_command_that_finishes_it(name: str, expected: list[str],
                                                                inventory: Path) -> None:
    code, out = invoke("secrets", "rotate", name, "--env", "prod")
    assert code == 0, out
    lines = [line.strip() for line in out.splitlines()]
    assert all(line in lines for line in expected), out
    uses = secret_uses(load_fleet_or_raise(inventory))[name]
    assert f"{len(uses)} host(s) must get the new value" in out
    assert sum(" --limit host:" in line and "render" not in line for line in lines) == len(uses)


def test_render_names_each_missing_secret_once_with_one_hint(inventory: Path) -> None:
    missing = ["wireguard/nx-ord-001-edge/private_key", "wireguard/nx-ord-002-edge/private_key",
               "wireguard/nx-dc1-vpn-01/private_key", "snmp/nx-ord-001/auth"]
    unset(inventory, *missing)
    code, out = invoke("render", "--templates", str(ROOT / "templates"), "--no-cache")
    assert code == 1
    found = [line for line in out.splitlines() if " SN903 " in line]
    assert sorted(n for line in found for n in missing if repr(n) in line) == sorted(missing)
    assert len(found) == len(missing) and all(line.count("schoolnet secrets generate") == 1 for line in found)
    by_name = {n: line for line in found for n in missing if repr(n) in line}
    assert by_name["wireguard/nx-ord-001-edge/private_key"].startswith("templates/vpn-hub/etc/wireguard/wg0.conf.j2:")
    assert "(needed by nx-dc1-vpn-01, nx-ord-001-edge)" in by_name["wireguard/nx-ord-001-edge/private_key"]
    assert "(needed by 17 hosts: nx-bab-001-edge, " in by_name["wireguard/nx-dc1-vpn-01/private_key"]
