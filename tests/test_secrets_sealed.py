"""How the store reads sops' output.

Every run is the real sops with the demo key; a wrapper on the way counts the runs."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from schoolnet.secrets.manage import recipients
from schoolnet.secrets.store import SECRETS_FILE, SopsSecrets, flatten
from tests.conftest import ROOT

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

    def load(self, path: Path) -> dict[str, str]:
        return SopsSecrets(path, program=self.program).values


@pytest.fixture
def sops(tmp_path: Path) -> Counted:
    return Counted(tmp_path)


def truth(path: Path) -> dict[str, str]:
    """What the store gave before the cache and the YAML output: sops' JSON, flattened."""
    result = subprocess.run([SOPS, "decrypt", "--output-type", "json", str(path)], capture_output=True, text=True,
                            check=True)
    return flatten(json.loads(result.stdout))


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
