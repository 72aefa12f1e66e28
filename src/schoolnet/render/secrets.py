"""How templates reach secrets: one function, `secret("NAME")`.

Until the inventory's encrypted secrets are wired in, values come from
`DemoSecrets`: derived deterministically from the name and a fixed, public demo
seed, and valid for their format (a WireGuard private key is a real X25519 key),
so every rendered file passes its checks.  They protect nothing: never deploy them
outside the lab.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DEMO_SEED = b"schoolnet public demo seed -- NOT A SECRET -- lab and tests only"


class SecretStore(Protocol):
    def get(self, name: str) -> str: ...


class SecretError(LookupError):
    """A template asked for a secret the store cannot give."""


def wireguard_public_key(private_key: str) -> str:
    """The public half of a base64 WireGuard private key (derived, never stored)."""
    raw = base64.b64decode(private_key)
    public = X25519PrivateKey.from_private_bytes(raw).public_key()
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


class DemoSecrets:
    """Deterministic stand-ins, shaped by the secret's name."""

    def get(self, name: str) -> str:
        digest = hmac.new(DEMO_SEED, name.encode(), hashlib.sha256).digest()
        if name.startswith("wireguard/") and name.endswith("/private_key"):
            key = bytearray(digest)
            key[0] &= 248  # X25519 clamping, as `wg genkey` does
            key[31] = (key[31] & 127) | 64
            return base64.b64encode(bytes(key)).decode()
        if name.startswith("wifi/"):
            return base64.b32encode(digest[:15]).decode().lower()  # 24 characters, easy to type
        return base64.urlsafe_b64encode(digest[:18]).decode()  # 24 characters


def mask(text: str, names: list[str], store: SecretStore) -> str:
    """`text` with each named secret's value replaced by <secret:NAME>: for diffs, logs and golden files."""
    for name in sorted(names, key=lambda n: -len(store.get(n))):
        text = text.replace(store.get(name), f"<secret:{name}>")
    return text
