"""Secrets: encrypted in git, real where rendered, never in plain text, never in output."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pyrage import x25519

from schoolnet.secrets import open_store, wireguard_public_key
from schoolnet.secrets.plaintext import scan_repository
from tests.conftest import ROOT, invoke


def fresh_wireguard_key() -> str:
    raw = X25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(raw).decode()


@pytest.fixture(scope="module")
def reference_render(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("ref") / "build"
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        code, out = invoke("render", "--out", str(build))
    finally:
        os.chdir(cwd)
    assert code == 0, out
    return build


def test_the_repository_holds_no_plaintext_secret(reference_render: Path) -> None:
    values = open_store(ROOT / "inventory").values
    assert len(values) > 1000
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True)
    for name in filter(None, tracked.stdout.decode().split("\0")):
        path = ROOT / name
        if name == "inventory/secrets.sops.yaml" or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        leaked = [n for n, v in values.items() if v in text]
        assert not leaked, f"{name} holds the value of {leaked[:3]}"
    assert scan_repository(ROOT) == [], "the plain-text scan finds nothing in the tree"


def test_rendered_secrets_stay_in_files_marked_secret(reference_render: Path) -> None:
    values = open_store(ROOT / "inventory").values
    manifest = json.loads((reference_render / "manifest.json").read_text())
    holding = 0
    for host, entry in manifest["hosts"].items():
        for spec in entry["files"]:
            path = reference_render / "hosts" / host / spec["path"].lstrip("/")
            text = path.read_text()
            inside = [n for n in spec["secrets"] if values[n] in text]
            assert inside == spec["secrets"], f"{path}: manifest names {spec['secrets']}"
            if spec["secret"]:
                holding += 1
                assert stat.S_IMODE(path.stat().st_mode) == 0o600 and spec["mode"] in ("0600", "0640")
            else:
                assert not any(v in text for v in (values[n] for n in values if len(values[n]) >= 20)), path
    assert holding >= 216 + 1 + 216


def test_hub_and_edges_agree_on_each_others_public_keys(reference_render: Path) -> None:
    hub = (reference_render / "hosts/nx-dc1-vpn-01/etc/wireguard/wg0.conf").read_text()
    hub_private = re.search(r"^PrivateKey = (\S+)$", hub, re.M).group(1)  # type: ignore[union-attr]
    peers = dict(re.findall(r"# (nx-\w+-\d+) .*\nPublicKey = (\S+)", hub))
    assert len(peers) == 216
    for edge_conf in sorted(reference_render.glob("hosts/*-edge/etc/wireguard/wg0.conf")):
        text = edge_conf.read_text()
        school = edge_conf.parts[-4].removesuffix("-edge")
        edge_private = re.search(r"^PrivateKey = (\S+)$", text, re.M).group(1)  # type: ignore[union-attr]
        assert peers[school] == wireguard_public_key(edge_private), school
        assert f"PublicKey = {wireguard_public_key(hub_private)}" in text, school


@pytest.mark.parametrize("where", ["school file", "template", "data file"])
def test_a_planted_key_fails_validate_at_its_line(where: str, inventory: Path, tmp_path: Path) -> None:
    key = fresh_wireguard_key()
    if where == "school file":
        path = inventory / "schools/ordubad/nx-ord-002.yaml"
        text = re.sub(r"^address: .*$", f'address: "{key}"', path.read_text(), count=1, flags=re.M)
        path.write_text(text)
        expected = f"inventory/schools/ordubad/nx-ord-002.yaml:{_line(text, key)}:"
    else:
        # the inventory inside a git work tree beside its templates and a committed data file
        shutil.copytree(ROOT / "templates", tmp_path / "templates")
        data = tmp_path / "data" / "handover-export.csv"
        data.parent.mkdir()
        target = tmp_path / "templates/ntp/etc/chrony/conf.d/schoolnet.conf.j2" if where == "template" else data
        lines = target.read_text().splitlines() if target.exists() else ["serial,school"]
        lines.insert(2, f"# key {key}" if where == "template" else f"R9ABCDEFGH,{key}")
        target.write_text("\n".join(lines) + "\n")
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
        subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
        expected = f"{target.relative_to(tmp_path)}:{_line(target.read_text(), key)}:"
    code, out = invoke("validate")
    assert code == 1, out
    assert any(line.startswith(expected) and "SN901 plaintext-secret" in line for line in out.splitlines()), out


def _line(text: str, needle: str) -> int:
    return next(n for n, t in enumerate(text.splitlines(), 1) if needle in t)


@pytest.mark.parametrize("field", ["wifi_password: correct-horse-battery", "snmp_community: public123"])
def test_password_like_fields_with_literal_values(field: str, inventory: Path) -> None:
    path = inventory / "schools/ordubad/nx-ord-002.yaml"
    path.write_text(path.read_text().replace("students:", f"{field}\nstudents:", 1))
    code, out = invoke("validate")
    assert code == 1 and f"inventory/schools/ordubad/nx-ord-002.yaml:{_line(path.read_text(), field)}:" in out
    assert "SN901" in out and "SN008" in out


def test_public_keys_and_checksums_are_not_flagged(inventory: Path) -> None:
    code, out = invoke("validate")
    assert code == 0 and "SN901" not in out


def test_missing_age_key_is_one_clear_error_and_nothing_is_written(inventory: Path) -> None:
    code, out = invoke("render", "--templates", str(ROOT / "templates"), env={"SOPS_AGE_KEY_FILE": None})
    assert code == 1
    assert re.search(r"^inventory/secrets.sops.yaml:1:1: error SN902 secrets-locked: SOPS_AGE_KEY_FILE is not set",
                     out, re.M), out
    assert "Traceback" not in out and not Path("build").exists()
    assert not [p for p in Path(".").iterdir() if p.name.startswith(".build")]


def test_wrong_age_key_is_one_clear_error_and_nothing_is_written(inventory: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.agekey"
    wrong.write_text(str(x25519.Identity.generate()) + "\n")
    code, out = invoke("render", "--templates", str(ROOT / "templates"), env={"SOPS_AGE_KEY_FILE": str(wrong)})
    assert code == 1 and "SN902 secrets-locked: cannot decrypt: no age identity given can decrypt it" in out
    assert len([line for line in out.splitlines() if " error SN" in line]) == 1
    assert not Path("build").exists()


def test_generate_adds_only_what_is_missing_and_rotate_changes_one(inventory: Path) -> None:
    before = dict(open_store(inventory).values)
    assert invoke("secrets", "generate")[1].count("+ ") == 0
    name = "wireguard/nx-ord-001-edge/private_key"
    code, out = invoke("secrets", "rotate", name)
    assert code == 0, out
    after = dict(open_store(inventory).values)
    assert after[name] != before[name] and wireguard_public_key(after[name])
    assert {k: v for k, v in after.items() if k != name} == {k: v for k, v in before.items() if k != name}
    assert before[name] not in out and after[name] not in out
    assert invoke("secrets", "rotate", "wireguard/nx-nope-edge/private_key")[0] == 2  # a usage error


def test_check_finds_missing_and_unused(inventory: Path) -> None:
    assert invoke("secrets", "check")[0] == 0
    ledger = inventory / "ipam.yaml"
    source = (inventory / "schools/ordubad/nx-ord-001.yaml").read_text()
    (inventory / "schools/ordubad/nx-ord-001.yaml").unlink()
    code, out = invoke("secrets", "check")
    assert code == 1 and "SN904 secret-unused" in out and "nx-ord-001" in out
    (inventory / "schools/ordubad/nx-ord-001.yaml").write_text(source.replace("nx-ord-001", "nx-ord-009"))
    ledger.write_text(ledger.read_text().replace("nx-ord-001:", "nx-ord-009:"))
    code, out = invoke("secrets", "check")
    assert code == 1 and "SN903 secret-missing" in out and "nx-ord-009" in out
    code, out = invoke("secrets", "generate")
    assert code == 0 and "+ wireguard/nx-ord-009-edge/private_key" in out


def test_json_outputs_carry_no_secret_value(inventory: Path, templates: Path) -> None:
    values = open_store(inventory).values
    template = templates / "vpn/etc/wireguard/wg0.conf.j2"
    template.write_text(template.read_text().replace("PersistentKeepalive = 25", "PersistentKeepalive = often"))
    assert invoke("render", "--templates", str(templates), "--limit", "host:nx-ord-001-edge")[0] == 0
    for args in (["check", "--format", "json"], ["check"],
                 ["inventory", "show", "nx-ord-001-edge", "--format", "json"]):
        _, out = invoke(*args)
        assert not [n for n, v in values.items() if v in out], args


def test_a_rejected_line_holding_a_secret_is_masked_in_check_output(inventory: Path, templates: Path) -> None:
    """wg quotes the line it cannot parse; when that line holds the private key, the key must not be printed."""
    template = templates / "vpn/etc/wireguard/wg0.conf.j2"
    template.write_text(template.read_text().replace("PrivateKey = {{", "PrivateKey = x{{"))
    assert invoke("render", "--templates", str(templates), "--limit", "host:nx-ord-001-edge")[0] == 0
    key = open_store(inventory).get("wireguard/nx-ord-001-edge/private_key")
    code, out = invoke("check")
    assert code == 1 and "SN809" in out
    assert key not in out and "<secret:wireguard/nx-ord-001-edge/private_key>" in out
    code, out = invoke("check", env={"SOPS_AGE_KEY_FILE": None})
    assert code == 1 and key not in out and "withheld" in out


class _Store:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def load(self) -> None:
        pass

    def get(self, name: str) -> str:
        return self.values[name]


REDACT_CASES = [
    # (what, host's lines, new lines, secrets the new file holds, expected host's side, expected new side)
    ("a rotated key is named, never shown", ["PrivateKey = OLDoldOLDold=", "ListenPort = 51820"],
     ["PrivateKey = NEWnewNEWnew=", "ListenPort = 51820"], {"wg": "NEWnewNEWnew="},
     ["PrivateKey = <secret:wg, an earlier value>", "ListenPort = 51820"],
     ["PrivateKey = <secret:wg>", "ListenPort = 51820"]),
    ("a re-indented passphrase line is still named", ['    "WIFI_PASSWORD": "old-pass-phrase",'],
     ['  "WIFI_PASSWORD": "new-pass-phrase",'], {"wifi": "new-pass-phrase"},
     ["<a line of the host's file, withheld: the file holds secrets>"],
     ['  "WIFI_PASSWORD": "<secret:wifi>",']),
    ("a line the new file no longer has is withheld", ["PresharedKey = c2VjcmV0c2VjcmV0", "Address = 10.1.0.2/16"],
     ["Address = 10.1.0.2/16"], {},
     ["<a line of the host's file, withheld: the file holds secrets>", "Address = 10.1.0.2/16"],
     ["Address = 10.1.0.2/16"]),
    ("today's value on the host's side is masked too", ["PrivateKey = NEWnewNEWnew="],
     ["# rotated\n", "PrivateKey = NEWnewNEWnew="], {"wg": "NEWnewNEWnew="},
     ["PrivateKey = <secret:wg>"], ["# rotated\n", "PrivateKey = <secret:wg>"]),
]


@pytest.mark.parametrize("case", REDACT_CASES, ids=[c[0] for c in REDACT_CASES])
def test_a_diff_of_a_secret_file_shows_no_secret_from_either_side(case: tuple[Any, ...]) -> None:
    from schoolnet.secrets.redact import redact

    _, old, new, values, want_old, want_new = case
    got_old, got_new = redact(old, new, list(values), _Store(values))
    assert (got_old, got_new) == (want_old, want_new)
    shown = "\n".join(got_old + got_new)
    assert not any(secret in shown for secret in ("OLDoldOLDold=", "NEWnewNEWnew=", "old-pass-phrase",
                                                   "new-pass-phrase", "c2VjcmV0c2VjcmV0"))
