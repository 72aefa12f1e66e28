"""The decrypted secrets kept in the cache sealed, so sops runs once per version of the file.

A sops run costs seconds on a large fleet and gives the same values for the same bytes.  The
values are kept under the sha256 of the encrypted file, encrypted with AES-256-GCM under a key
derived from the age identities sops itself reads: opening the entry takes what decrypting the
file takes, so the cache holds no value in plain text and nothing for anyone without the key.
Another key, another file, or an edited entry fails authentication and is a miss: sops runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from schoolnet.cache import Cache

INFO = b"schoolnet sealed secrets v1"
NONCE_BYTES = 12


def file_digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def _identity_files(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """Where sops 3.x looks for identities besides SOPS_AGE_KEY (age/keysource.go, loadIdentities):
    it loads every one it finds, not the first."""
    files = [("SOPS_AGE_KEY_FILE", environ.get("SOPS_AGE_KEY_FILE", "")),
             ("SOPS_AGE_SSH_PRIVATE_KEY_FILE", environ.get("SOPS_AGE_SSH_PRIVATE_KEY_FILE", ""))]
    home = environ.get("HOME", "")
    if home:
        config = environ.get("XDG_CONFIG_HOME") or str(
            Path(home) / ("Library/Application Support" if sys.platform == "darwin" else ".config"))
        files += [("default", str(Path(config) / "sops/age/keys.txt")),
                  ("ssh-ed25519", str(Path(home) / ".ssh/id_ed25519")), ("ssh-rsa", str(Path(home) / ".ssh/id_rsa"))]
    return files


def identity_material(environ: Mapping[str, str] = os.environ) -> bytes | None:
    """The bytes of every age identity sops would try, or None (seal nothing) when one comes from a
    command (SOPS_AGE_KEY_CMD) or cannot be read here: an entry is never sealed under less than
    sops could have used, so a key that did not open the file cannot open the entry."""
    if "SOPS_AGE_KEY_CMD" in environ:
        return None
    parts = [b"SOPS_AGE_KEY\0" + environ["SOPS_AGE_KEY"].encode()] if "SOPS_AGE_KEY" in environ else []
    for label, name in _identity_files(environ):
        if not name:
            continue
        try:
            parts.append(label.encode() + b"\0" + Path(name).read_bytes())
        except FileNotFoundError:
            continue
        except OSError:
            return None
    return b"\0\0".join(parts) if parts else None


def _aead(material: bytes, digest: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=digest, info=INFO).derive(material)
    return AESGCM(key)


def entry_name(digest: bytes) -> str:
    return f"secrets/sealed/{digest.hex()}"


def unseal(cache: Cache, digest: bytes, material: bytes) -> dict[str, str] | None:
    """The values sealed for the file whose sha256 is `digest`, or None: absent, or not opened by
    this key for this file (InvalidTag), which is the same to the caller."""
    entry = cache.get(entry_name(digest))
    if not (isinstance(entry, tuple) and len(entry) == 2 and all(isinstance(part, bytes) for part in entry)):
        return None
    nonce, sealed = entry
    if len(nonce) != NONCE_BYTES:
        return None
    try:
        values = json.loads(_aead(material, digest).decrypt(nonce, sealed, digest))
    except InvalidTag:
        return None
    if not (isinstance(values, dict) and all(isinstance(v, str) for v in values.values())):
        return None
    return values


def seal(cache: Cache, digest: bytes, material: bytes, values: dict[str, str]) -> None:
    nonce = os.urandom(NONCE_BYTES)  # random per entry: a key is reused only for the same file's bytes
    sealed = _aead(material, digest).encrypt(nonce, json.dumps(values).encode(), digest)
    cache.put(entry_name(digest), (nonce, sealed))
