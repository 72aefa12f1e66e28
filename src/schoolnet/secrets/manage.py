"""generate, rotate, prune, check: change the encrypted file without a plaintext copy on disk.

A change touches only the entries it changes: `sops set` replaces each top-level section that
differs (wifi, wireguard, ...) and keeps the ciphertext of every value it already held (sops
reuses a value's IV when the value and its path are unchanged), so the git diff is the
entries added, changed or removed plus sops' own lastmodified and mac.  Values travel to sops
on a pipe (--value-stdin), never on a command line; sops works on a copy beside the file,
renamed over it when done, so an interrupted run changes nothing.  The first file is made by
`sops encrypt`, to the recipients in inventory/.sops.yaml, as sops users expect.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from schoolnet.atomic import write_atomically
from schoolnet.inventory.yamlload import display_name
from schoolnet.model.fleet import Fleet
from schoolnet.problems import InventoryError, Location, Problem
from schoolnet.rulebook import declare, problem
from schoolnet.secrets.generate import new_value
from schoolnet.secrets.names import Use, referenced_secrets, required_secrets
from schoolnet.secrets.store import SECRETS_FILE, SopsSecrets, sops_program

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

SOPS_CONFIG = ".sops.yaml"
declare("SN904", "secret-unused", "The encrypted file holds a secret nothing refers to any more.",
        bad="wireguard/nx-ord-099-edge/private_key   # school closed",
        good="schoolnet secrets prune   # removes what nothing uses",
        stage="secrets")
declare("SN905", "sops-config", "inventory/.sops.yaml is missing or names no age recipient.",
        bad="creation_rules: []", good="creation_rules:\n  - path_regex: secrets\\.sops\\.yaml$\n    age: age1...",
        stage="secrets")


@dataclass
class Audit:
    missing: list[str]  # needed, not in the file
    unused: list[str]  # in the file, needed by nothing: what `secrets prune` removes
    pending: list[str]  # NAME-previous of a switch login being rotated: kept until `switches rotate` finishes


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
    """A new file holding `values`, encrypted to the recipients of inventory/.sops.yaml."""
    plain = yaml.safe_dump(nest(values), sort_keys=True, default_flow_style=False)
    result = subprocess.run([sops_program(), "encrypt", "--age", ",".join(recipients(inventory)),
                             "--input-type", "yaml", "--output-type", "yaml", "/dev/stdin"],
                            input=plain, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise _sops_failed(inventory / SECRETS_FILE, "encrypt", result.stderr)
    write_atomically(inventory / SECRETS_FILE, result.stdout)


def _sops_failed(path: Path, what: str, stderr: str) -> InventoryError:
    return InventoryError([problem("SN902", Location(display_name(path)),
                                   f"sops could not {what}: {' '.join(stderr.split())[:200]}",
                                   "check inventory/.sops.yaml recipients and SOPS_AGE_KEY_FILE")])


def write_values(store: SopsSecrets, values: dict[str, str]) -> None:
    """Make the file hold exactly `values`, re-encrypting only the sections that change and, within
    them, only the values that change (see the module's doc)."""
    path = store.path
    if not path.exists() or not values:
        write_encrypted(path.parent, values)
        store.replace(values)
        return
    old, new = nest(store.values), nest(values)
    changed = [key for key in new if new[key] != old.get(key)]
    gone = [key for key in old if key not in new]
    if not changed and not gone:
        return
    descriptor, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".sops.yaml", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(path.read_bytes())
        for key in changed:
            _sops_edit(temp, "set", key, json.dumps(new[key], sort_keys=True))
        for key in gone:
            _sops_edit(temp, "unset", key, None)
        with open(temp, "rb+") as handle:
            os.fchmod(handle.fileno(), path.stat().st_mode & 0o777)
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    store.replace(values)


def _sops_edit(file: str, verb: str, key: str, value: str | None) -> None:
    index = f'[{json.dumps(key)}]'
    result = subprocess.run([sops_program(), verb, "--input-type", "yaml", "--output-type", "yaml",
                             *(["--value-stdin"] if value is not None else []), file, index],
                            input=value or "", capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise _sops_failed(Path(file).parent / SECRETS_FILE, verb, result.stderr)


def _current(store: SopsSecrets) -> dict[str, str]:
    return dict(store.values) if store.path.exists() else {}


def generate(fleet: Fleet, store: SopsSecrets) -> list[str]:
    """Create every secret the fleet needs and the file lacks; existing values are kept."""
    values = _current(store)
    added = [name for name in required_secrets(fleet) if name not in values]
    if added:
        write_values(store, values | {name: new_value(name) for name in added})
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
                                  f"with `schoolnet switches rotate --env ENV --limit school:{pending_school(name)}` "
                                  "first")
        change[name + PREVIOUS] = current[name]
    write_values(store, current | change)


def finish_rotations(store: SopsSecrets, names: list[str]) -> None:
    """Every switch holds the new value of each of `names`: their old values go, in one write."""
    current = _current(store)
    gone = {name + PREVIOUS for name in names} & set(current)
    if gone:
        write_values(store, {k: v for k, v in current.items() if k not in gone})


def audit(fleet: Fleet, store: SopsSecrets) -> Audit:
    needed = list(required_secrets(fleet))
    held = store.values
    pending = {n + PREVIOUS for n in needed if is_switch_login(n)} & set(held)  # a switch rotation under way
    named = set(referenced_secrets(fleet))  # put there by a person: used, never made here
    return Audit([n for n in needed if n not in held], sorted(set(held) - set(needed) - named - pending),
                 sorted(pending))


def entry_lines(path: Path) -> dict[str, int]:
    """Each secret's name -> the line of the encrypted file where its key is written (1-based), for
    problems a person can jump to; {} when the file cannot be read as YAML."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    lines: dict[str, int] = {}
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while stack:
        node, prefix = stack.pop()
        if not isinstance(node, yaml.MappingNode):
            continue
        for key, value in node.value:
            if prefix == "" and key.value == "sops":
                continue  # sops' own metadata
            name = f"{prefix}{key.value}"
            if isinstance(value, yaml.MappingNode):
                stack.append((value, name + "/"))
            else:
                lines[name] = key.start_mark.line + 1
    return lines


def problems(fleet: Fleet, store: SopsSecrets, found: Audit | None = None) -> list[Problem]:
    """`secrets check` as problems: SN903 for each missing secret, SN904 at the line of each unused one."""
    found = found or audit(fleet, store)
    file = display_name(store.path)
    lines = entry_lines(store.path) if found.unused else {}
    return ([problem("SN903", Location(file), f"secret {n!r} is missing", "run `schoolnet secrets generate`")
             for n in found.missing]
            + [problem("SN904", Location(file, lines.get(n, 1), 1), f"secret {n!r} is not used by any host",
                       "remove the unused ones with `schoolnet secrets prune`") for n in found.unused])


def prune(fleet: Fleet, store: SopsSecrets, names: list[str]) -> None:
    """Remove `names` (what `audit` found unused) in one write.  A name the fleet needs, or the old value of
    a switch login still being rotated (the only password some switch may still accept), is never removed."""
    keep = set(required_secrets(fleet)) | {n + PREVIOUS for n in required_secrets(fleet) if is_switch_login(n)}
    keep |= set(referenced_secrets(fleet))
    if keep & set(names):
        raise ValueError(f"refusing to remove secrets still needed: {', '.join(sorted(keep & set(names)))}")
    current = _current(store)
    if set(names) & set(current):
        write_values(store, {k: v for k, v in current.items() if k not in set(names)})


def suggestions(name: str, names: list[str]) -> list[str]:
    """The names closest to a mistyped one (a school id off by a digit, a missing -edge, ...)."""
    return difflib.get_close_matches(name, names, n=3, cutoff=0.75)


def pending_school(name: str) -> str:
    """switch/<school>/admin-previous -> <school>."""
    return name.split("/")[1]


@dataclass(frozen=True)
class Step:
    """What one host needs once a secret it uses has a new value: the command that gets it there."""

    use: Use
    command: str


def finishing(name: str, uses: list[Use], env: str) -> tuple[str, list[Step]]:
    """The render to run first, then per host the command that finishes the rotation of `name`: a server gets
    the new files by `deploy`; a switch its new login by `switches rotate` (which sets it, proves it with a
    fresh login and then drops NAME-previous) and any other secret by `switches push`."""
    hosts = list(dict.fromkeys(u.hostname for u in uses))
    render = "schoolnet render" + ("".join(f" --limit host:{h}" for h in hosts) if len(hosts) <= LISTED else "")
    steps = []
    for use in uses:
        verb = "switches rotate" if use.switch and is_switch_login(name) else "switches push" if use.switch \
            else "deploy"
        steps.append(Step(use, f"schoolnet {verb} --env {env} --limit host:{use.hostname}"))
    return render, steps


LISTED = 8  # hosts named one by one in a --limit; more are rendered whole (unchanged ones are kept)
