"""generate, rotate, check: change the encrypted file without a plaintext copy on disk.

Values travel from this process to `sops encrypt` on a pipe; the encrypted result is
written beside the old file and renamed over it, so an interrupted run changes nothing.
Recipients come from inventory/.sops.yaml, as sops users expect.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from schoolnet.atomic import write_atomically
from schoolnet.inventory.yamlload import display_name
from schoolnet.model.fleet import Fleet
from schoolnet.problems import InventoryError, Location
from schoolnet.rulebook import declare, problem
from schoolnet.secrets.generate import new_value
from schoolnet.secrets.names import required_secrets
from schoolnet.secrets.store import SECRETS_FILE, SopsSecrets, sops_program

SOPS_CONFIG = ".sops.yaml"
declare("SN904", "secret-unused", "The encrypted file holds a secret nothing refers to any more.",
        bad="wireguard/nx-ord-099-edge/private_key   # school closed", good="schoolnet secrets rotate ... / remove it",
        stage="secrets")
declare("SN905", "sops-config", "inventory/.sops.yaml is missing or names no age recipient.",
        bad="creation_rules: []", good="creation_rules:\n  - path_regex: secrets\\.sops\\.yaml$\n    age: age1...",
        stage="secrets")


@dataclass
class Audit:
    missing: list[str]
    unused: list[str]


def recipients(inventory: Path) -> list[str]:
    path = inventory / SOPS_CONFIG
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        keys = [key.strip() for rule in config.get("creation_rules", []) for key in str(rule.get("age", "")).split(",")
                if key.strip()]
    except (OSError, yaml.YAMLError, AttributeError):
        keys = []
    if not keys:
        raise InventoryError([problem("SN905", Location(display_name(path)), "no age recipient to encrypt to",
                                      "list the administrators' age public keys under creation_rules[].age")])
    return keys


def nest(values: dict[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, value in sorted(values.items()):
        node = tree
        *parents, leaf = name.split("/")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def write_encrypted(inventory: Path, values: dict[str, str]) -> None:
    plain = yaml.safe_dump(nest(values), sort_keys=True, default_flow_style=False)
    result = subprocess.run([sops_program(), "encrypt", "--age", ",".join(recipients(inventory)),
                             "--input-type", "yaml", "--output-type", "yaml", "/dev/stdin"],
                            input=plain, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise InventoryError([problem("SN902", Location(display_name(inventory / SECRETS_FILE)),
                                      f"sops could not encrypt: {result.stderr.strip()[:200]}",
                                      "check inventory/.sops.yaml recipients")])
    write_atomically(inventory / SECRETS_FILE, result.stdout)


def _current(store: SopsSecrets) -> dict[str, str]:
    return dict(store.values) if store.path.exists() else {}


def generate(fleet: Fleet, store: SopsSecrets) -> list[str]:
    """Create every secret the fleet needs and the file lacks; existing values are kept."""
    values = _current(store)
    added = [name for name in required_secrets(fleet) if name not in values]
    if added:
        write_encrypted(store.path.parent, values | {name: new_value(name) for name in added})
    return added


PREVIOUS = "-previous"  # a switch login's value until every switch holds the new one (`switches rotate`)


class RotationPending(ValueError):
    """A switch login was rotated and not every switch holds the new value yet."""


def is_switch_login(name: str) -> bool:
    return name.startswith("switch/") and name.endswith("/admin")


def rotate(fleet: Fleet, store: SopsSecrets, name: str) -> None:
    """A new value for `name`.  A switch login keeps its old value beside it (NAME-previous): the switches
    hold the old one until `schoolnet switches rotate` sets, proves and records the new one on each."""
    known = set(required_secrets(fleet))
    if name not in known:
        raise KeyError(name)
    current = _current(store)
    change = {name: new_value(name)}
    if is_switch_login(name):
        if name + PREVIOUS in current:
            raise RotationPending(f"{name} was rotated already and not every switch holds the new value: finish "
                                  "with `schoolnet switches rotate` first")
        change[name + PREVIOUS] = current[name]
    write_encrypted(store.path.parent, current | change)


def finish_rotations(store: SopsSecrets, names: list[str]) -> None:
    """Every switch holds the new value of each of `names`: their old values go, in one write."""
    current = _current(store)
    gone = {name + PREVIOUS for name in names} & set(current)
    if gone:
        write_encrypted(store.path.parent, {k: v for k, v in current.items() if k not in gone})


def audit(fleet: Fleet, store: SopsSecrets) -> Audit:
    needed = list(required_secrets(fleet))
    held = store.values
    pending = {n + PREVIOUS for n in needed if is_switch_login(n)}  # a switch rotation under way
    return Audit([n for n in needed if n not in held], sorted(set(held) - set(needed) - pending))
