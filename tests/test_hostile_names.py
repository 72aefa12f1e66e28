"""Hostile inventory values never reach a path, a cgroup or a shell word.

A table of values (path traversal, `..`, shell metacharacters, an option-looking value,
an over-long name, NUL, a Unicode look-alike) in every name field that becomes a path or
a word.  Each must be refused, with its rule code at the file and line it is written on,
and exit 1, by every command that acts: validate, render, lab up, plan and deploy; and
nothing may appear outside the project's directories.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, SCHOOLNET, invoke

CANARIES = [Path("/tmp/pwned"), Path("/tmp/x"), Path("/x")]
VALUES = {
    "traversal": "../../../../tmp/x;touch /tmp/pwned",
    "dot-dot": "..",
    "substitution": "$(touch /tmp/pwned)",
    "option": "-oProxyCommand=touch /tmp/pwned",
    "over-long": "a" * 300,
    "nul": "nx-dc1\0vpn",
    "look-alike": "nx-dc1-vрn-01",  # a Cyrillic р
    "backtick": "`touch /tmp/pwned`",
}


@dataclass(frozen=True)
class Field:
    name: str
    file: str  # under inventory/
    old: str  # text holding the value, replaced once
    new: str  # the same with {v} for the hostile value, written as a YAML double-quoted string
    codes: tuple[str, ...]  # the rule that names the problem; a schema code where the type refuses first


SCHEMA = ("SN005", "SN007", "SN008", "SN010", "SN013")  # SN013: a NUL is not one line of printable text
FIELDS = [
    Field("dc-hostname", "datacenter/nx-dc1.yaml", "hostname: nx-dc1-vpn-01", "hostname: {v}", ("SN501", *SCHEMA)),
    Field("dc-site", "datacenter/nx-dc1.yaml", "site: nx-dc1", "site: {v}", ("SN504", *SCHEMA)),
    Field("dc-network", "datacenter/nx-dc1.yaml", "{name: servers, vid: 120", "{{name: {v}, vid: 120",
          ("SN504", *SCHEMA)),
    Field("rack", "datacenter/nx-dc1.yaml", "{name: r03,", "{{name: {v},", ("SN504", *SCHEMA)),
    Field("role", "datacenter/nx-dc1.yaml", "roles: [base, vpn-hub]", "roles: [base, {v}]", ("SN504", *SCHEMA)),
    Field("school-id", "schools/ordubad/nx-ord-001.yaml", "id: nx-ord-001", "id: {v}", ("SN505", "SN504", *SCHEMA)),
    Field("district", "programme.yaml", "{id: sadarak, name: Sadarak", "{{id: {v}, name: Sadarak",
          ("SN504", *SCHEMA)),
    Field("vlan", "programme.yaml", "  - name: guest", "  - name: {v}", ("SN504", *SCHEMA)),
    Field("provider", "programme.yaml", "{id: arazline,", "{{id: {v},", ("SN504", *SCHEMA)),
]
CASES = [(f, v) for f in FIELDS for v in VALUES]


def plant(inventory: Path, field: Field, value: str) -> int:
    """Write `value` into the field; the line it is on."""
    path = inventory / field.file
    text = path.read_text()
    assert field.old in text, f"fixture drifted: {field.old!r} not in {field.file}"
    at = text.index(field.old)
    path.write_text(text[:at] + field.new.format(v=json.dumps(value)) + text[at + len(field.old):])
    return text.count("\n", 0, at) + 1


def refused(code: int, out: str, field: Field, line: int) -> None:
    assert code == 1, out
    assert "Traceback" not in out
    where = f"inventory/{field.file}:{line}:"
    hits = [o for o in out.splitlines() if o.startswith(where) and re.search(r" error (SN\d{3}) ", o)]
    found = {re.search(r" error (SN\d{3}) ", o).group(1) for o in hits}  # type: ignore[union-attr]
    assert found & set(field.codes), f"no {'/'.join(field.codes)} at {where} in:\n{out}"


@pytest.fixture(autouse=True)
def no_canaries() -> None:
    for canary in CANARIES:
        assert not canary.exists(), f"{canary} exists before the test: remove it"


def lab_up(inventory: Path, lab_dir: Path) -> tuple[int, str]:
    env = {**os.environ, "SCHOOLNET_LAB_DIR": str(lab_dir), "SCHOOLNET_LAB_RUN": str(lab_dir) + "-run",
           "SCHOOLNET_LAB_CACHE": str(lab_dir) + "-cache", "SCHOOLNET_LAB_PREFIX": "snh",
           "SCHOOLNET_LAB_LOOPBACK": "24", "SCHOOLNET_LAB_APT_PORT": "3146"}
    result = subprocess.run([SCHOOLNET, "lab", "up", "--limit", "kind:server", "--inventory", "inventory"],
                            cwd=inventory.parent, env=env, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
def test_every_acting_command_refuses_a_hostile_name(field: Field, inventory: Path, tmp_path: Path) -> None:
    """For each hostile value in this field: validate, render, lab up, plan and deploy each refuse it
    with the rule code at its file:line and exit 1, and create nothing outside the project."""
    pristine = {p.relative_to(inventory): p.read_bytes() for p in inventory.rglob("*") if p.is_file()}
    cases = []
    for number, (name, value) in enumerate(VALUES.items()):
        copy = tmp_path / f"case-{number}" / "inventory"
        copy.mkdir(parents=True)
        for relative, data in pristine.items():
            (copy / relative).parent.mkdir(parents=True, exist_ok=True)
            (copy / relative).write_bytes(data)
        cases.append((name, copy, plant(copy, field, value)))
    with ThreadPoolExecutor(max_workers=4) as pool:  # each `lab up` is a process of its own, in a lab of its own
        ups = list(pool.map(lambda c: lab_up(c[1], tmp_path / f"lab-{c[0]}"), cases))
    for (name, copy, line), up in zip(cases, ups, strict=True):
        os.chdir(copy.parent)
        for command in (["validate"], ["render", "--templates", str(ROOT / "templates")],
                        ["plan", "--env", "lab"], ["deploy", "--env", "lab", "--yes"]):
            code, out = invoke(*command, "--inventory", "inventory")
            refused(code, out, field, line)
        refused(*up, field, line)
        assert not (copy.parent / "build").exists(), f"{name}: render wrote a build"
        assert not (tmp_path / f"lab-{name}").exists(), f"{name}: lab up created its directory"
    for canary in CANARIES:
        assert not canary.exists(), f"{canary} was created"
