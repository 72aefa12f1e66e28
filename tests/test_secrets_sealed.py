"""The sealed secrets in the cache: sops runs once per version of the encrypted file, the cache holds
no value in plain text, and anything but the same file opened with the same age key runs sops again.

Every run is the real sops with the demo key; a wrapper on the way counts the runs."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyrage import x25519

from schoolnet.cache import Cache
from schoolnet.problems import InventoryError
from schoolnet.secrets import sealed
from schoolnet.secrets.generate import new_value
from schoolnet.secrets.manage import recipients, write_encrypted
from schoolnet.secrets.store import SECRETS_FILE, SopsSecrets, flatten
from tests.conftest import DEMO_KEY, ROOT

SOPS = str(Path(sys.executable).parent / "sops")


class Counted:
    """A sops on the way to the real one that appends a line per run to a log: the count is of processes."""

    def __init__(self, directory: Path) -> None:
        self.log = directory / "sops-runs.log"
        self.program = str(directory / "sops")
        Path(self.program).write_text(f'#!/bin/sh\necho "$*" >> {shlex.quote(str(self.log))}\n'
                                      f'exec {shlex.quote(SOPS)} "$@"\n')
        Path(self.program).chmod(0o755)

    @property
    def runs(self) -> int:
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0

    def load(self, path: Path, cache: Cache | None = None) -> dict[str, str]:
        return SopsSecrets(path, cache, program=self.program).values


@pytest.fixture
def sops(tmp_path: Path) -> Counted:
    return Counted(tmp_path)


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


def truth(path: Path) -> dict[str, str]:
    """What the store gave before the cache and the YAML output: sops' JSON, flattened."""
    result = subprocess.run([SOPS, "decrypt", "--output-type", "json", str(path)], capture_output=True, text=True,
                            check=True)
    return flatten(json.loads(result.stdout))


def entry_files(cache: Cache) -> list[Path]:
    return [path for path in cache.directory.rglob("*") if path.is_file()]


def test_a_second_load_of_the_same_file_runs_no_sops(inventory: Path, sops: Counted, cache: Cache) -> None:
    path = inventory / SECRETS_FILE
    first = sops.load(path, cache)
    assert sops.runs == 1 and first == truth(path) and len(first) > 50
    assert sops.load(path, cache) == first and sops.runs == 1
    never = SopsSecrets(path, cache, program=str(inventory / "no-such-sops"))  # would raise if it were run
    assert never.values == first
    assert (cache.hits, cache.misses) == (2, 1)


def test_the_cache_holds_no_secret_value(inventory: Path, sops: Counted, cache: Cache) -> None:
    values = sops.load(inventory / SECRETS_FILE, cache)
    files = entry_files(cache)
    assert len(files) == 1
    for file in files:
        data = file.read_bytes()
        assert not [name for name, value in values.items() if value.encode() in data], file
        assert not [name for name in values if name.encode() in data], "the names travel sealed too"


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


# (what, how the stored entry (nonce, sealed values) is changed through the cache, whose own check it passes)
TAMPERED: list[tuple[str, Callable[[Any], Any]]] = [
    ("a flipped bit in the sealed values", lambda e: (e[0], _flip(e[1], len(e[1]) // 2))),
    ("a flipped bit in the tag", lambda e: (e[0], _flip(e[1], len(e[1]) - 1))),
    ("a flipped bit in the nonce", lambda e: (_flip(e[0], 0), e[1])),
    ("a nonce of another length", lambda e: (e[0] + b"\0", e[1])),
    ("the sealed values cut short", lambda e: (e[0], e[1][:100])),
    ("values in plain JSON", lambda e: (e[0], b'{"snmp/x/auth": "plain"}')),
    ("another shape", lambda e: "plain"),
]


@pytest.mark.parametrize("change", [c[1] for c in TAMPERED], ids=[c[0] for c in TAMPERED])
def test_a_tampered_entry_is_a_miss_and_sops_runs(change: Callable[[Any], Any], inventory: Path, sops: Counted,
                                                  cache: Cache) -> None:
    path = inventory / SECRETS_FILE
    values = sops.load(path, cache)
    name = sealed.entry_name(sealed.file_digest(path))
    cache.put(name, change(cache.get(name)))
    assert sops.load(path, cache) == values and sops.runs == 2
    assert sops.load(path, cache) == values and sops.runs == 2, "sealed again after the miss"


# (what, how the entry's file on disk is changed): the cache's own digest turns these away first
ON_DISK: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("a flipped byte on disk", lambda b: _flip(b, len(b) // 2)),
    ("a file cut short on disk", lambda b: b[: len(b) // 2]),
    ("an empty file", lambda b: b""),
]


@pytest.mark.parametrize("change", [c[1] for c in ON_DISK], ids=[c[0] for c in ON_DISK])
def test_an_entry_edited_on_disk_is_a_miss(change: Callable[[bytes], bytes], inventory: Path, sops: Counted,
                                           cache: Cache) -> None:
    path = inventory / SECRETS_FILE
    values = sops.load(path, cache)
    [file] = entry_files(cache)
    file.write_bytes(change(file.read_bytes()))
    assert sops.load(path, cache) == values and sops.runs == 2


def test_a_changed_file_misses_and_an_old_entry_does_not_open_it(inventory: Path, sops: Counted,
                                                                 cache: Cache) -> None:
    path = inventory / SECRETS_FILE
    before = sops.load(path, cache)
    old = cache.get(sealed.entry_name(sealed.file_digest(path)))
    name = "wireguard/nx-ord-001-edge/private_key"
    write_encrypted(inventory, before | {name: new_value(name)})
    after = sops.load(path, cache)
    assert sops.runs == 2 and after[name] != before[name] and after == truth(path)
    # the old file's entry put where the new file's is looked for: bound to the old bytes, it does not open
    cache.put(sealed.entry_name(sealed.file_digest(path)), old)
    assert sops.load(path, cache) == after and sops.runs == 3


def test_another_age_key_misses_then_fails_as_sops_fails(inventory: Path, sops: Counted, cache: Cache,
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = inventory / SECRETS_FILE
    sops.load(path, cache)
    wrong = tmp_path / "wrong.agekey"
    wrong.write_text(str(x25519.Identity.generate()) + "\n")
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(wrong))
    with pytest.raises(InventoryError) as failed:
        sops.load(path, cache)
    assert sops.runs == 2
    assert "SN902" in str(failed.value) and "cannot decrypt: no age identity given can decrypt it" in str(failed.value)
    # the right key beside the wrong one: sops decrypts, but the entry is not the one it was sealed for
    monkeypatch.setenv("SOPS_AGE_KEY", DEMO_KEY.read_text())
    assert sops.load(path, cache) == truth(path) and sops.runs == 3


# (what, environment) checked before the cache is looked at, with the store's messages as before
LOCKED = [
    ("no key configured", {"SOPS_AGE_KEY_FILE": None}, "SOPS_AGE_KEY_FILE is not set"),
    ("the key file is missing", {"SOPS_AGE_KEY_FILE": "/nonexistent/keys.txt"},
     "SOPS_AGE_KEY_FILE=/nonexistent/keys.txt does not exist"),
]


@pytest.mark.parametrize("environment, message", [c[1:] for c in LOCKED], ids=[c[0] for c in LOCKED])
def test_a_sealed_entry_is_not_a_way_around_the_key(environment: dict[str, str | None], message: str,
                                                    inventory: Path, sops: Counted, cache: Cache,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = inventory / SECRETS_FILE
    sops.load(path, cache)
    for variable, value in environment.items():
        if value is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, value)
    with pytest.raises(InventoryError, match=re.escape(message)):
        sops.load(path, cache)
    assert sops.runs == 1 and cache.hits == 0


def test_a_missing_file_is_the_same_error_with_a_cache(inventory: Path, sops: Counted, cache: Cache) -> None:
    (inventory / SECRETS_FILE).unlink()
    with pytest.raises(InventoryError, match="there is no encrypted secrets file"):
        sops.load(inventory / SECRETS_FILE, cache)
    assert sops.runs == 0 and entry_files(cache) == []


@pytest.mark.parametrize("enabled", [None, False], ids=["no cache", "--no-cache"])
def test_without_the_cache_sops_runs_every_time(enabled: bool | None, inventory: Path, sops: Counted,
                                                tmp_path: Path) -> None:
    cache = None if enabled is None else Cache(tmp_path / "cache", enabled=False)
    path = inventory / SECRETS_FILE
    first = sops.load(path, cache)
    assert sops.load(path, cache) == first and sops.runs == 2
    assert not (tmp_path / "cache").exists()


def test_a_key_from_a_command_is_not_sealed(inventory: Path, sops: Counted, cache: Cache,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """sops runs SOPS_AGE_KEY_CMD itself; what it prints is not known here, so nothing is sealed under less."""
    monkeypatch.setenv("SOPS_AGE_KEY_CMD", f"cat {DEMO_KEY}")
    path = inventory / SECRETS_FILE
    first = sops.load(path, cache)
    assert sops.load(path, cache) == first and sops.runs == 2 and entry_files(cache) == []


# sops writes YAML (1.2) in half the time it writes JSON; PyYAML reads YAML 1.1.  Strings that read back
# as themselves are taken from the YAML, anything else from JSON, so the values are what JSON gave.
PLAIN_STRINGS = ["yes", "no", "on", "Off", "y", "N", "true", "NULL", "~", "", "123", "0755", "0x1F", "0o17", "1_000",
                 "1:30", "12:30:45", "1.5", ".5", "-.inf", ".NaN", "2024-01-01", "2001-12-14t21:59:43.10-05:00",
                 "-", "a: b", "a #b", "#x", "- x", "[x]", "{x}", "? x", "@x", "`x", "!x", "&x", "*x", "%x", "|", ">",
                 "'", '"', "\\n", "x\ty", "a\r\nb", "x\n", "a\nb\n\n", " lead", "trail ", "\u00a0", "\ufeffx", "\u2028",
                 "şəhər ✓", "\U0001f600", "\x07", "\x7f", "AAAA+/BBBB==", "-abc_DEF-123"]


def encrypt(path: Path, document: str, input_type: str) -> None:
    result = subprocess.run([SOPS, "encrypt", "--age", ",".join(recipients(ROOT / "inventory")), "--input-type",
                             input_type, "--output-type", "yaml", "/dev/stdin"], input=document, text=True,
                            capture_output=True, check=True)
    path.write_text(result.stdout)


def test_strings_are_read_from_sops_yaml_output_as_json_gave_them(tmp_path: Path, sops: Counted) -> None:
    path = tmp_path / SECRETS_FILE
    encrypt(path, json.dumps({"s": {f"k{i}": v for i, v in enumerate(PLAIN_STRINGS)}}), "json")
    values = sops.load(path)
    assert values == truth(path) == {f"s/k{i}": v for i, v in enumerate(PLAIN_STRINGS)}
    assert sops.runs == 1, "one sops run, YAML output"


# (what, the secrets file before encryption): YAML 1.1 and 1.2 disagree, so the store asks sops for JSON
DISAGREE = [
    ("a float Go writes with an exponent", "k: 1000000.0\n", "yaml"),
    ("a string like Go's exponent", '{"k": "1e3"}', "json"),
    ("a timestamp", "k: 2024-01-01\n", "yaml"),
    ("a string PyYAML reads as a timestamp", '{"k": "2001-12-14 21:59:43.10 -5"}', "json"),
    ("a string PyYAML cannot construct", '{"k": "="}', "json"),
    ("a merge key as a value", '{"k": "<<"}', "json"),
    ("a number", "k: 161\n", "yaml"),
    ("a boolean", "k: true\n", "yaml"),
    ("a list", "k: [a, b]\n", "yaml"),
]


@pytest.mark.parametrize("document, input_type", [c[1:] for c in DISAGREE], ids=[c[0] for c in DISAGREE])
def test_values_yaml_would_read_differently_come_from_json(document: str, input_type: str, tmp_path: Path,
                                                           sops: Counted) -> None:
    path = tmp_path / SECRETS_FILE
    encrypt(path, document, input_type)
    assert sops.load(path) == truth(path) and sops.runs == 2
