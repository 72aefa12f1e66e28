"""New secret values, shaped by kind: WireGuard keys, passphrases people type, random tokens."""

from __future__ import annotations

import base64
import os

from schoolnet.secrets.names import PASSPHRASE, WIREGUARD, kind_of


def new_value(name: str) -> str:
    return shape(kind_of(name), os.urandom(32))


def shape(kind: str, entropy: bytes) -> str:
    """32 bytes of entropy as a value of `kind`."""
    if kind == WIREGUARD:
        key = bytearray(entropy[:32])
        key[0] &= 248  # X25519 clamping, as `wg genkey` does
        key[31] = (key[31] & 127) | 64
        return base64.b64encode(bytes(key)).decode()
    if kind == PASSPHRASE:
        return base64.b32encode(entropy[:15]).decode().lower()  # 24 characters, easy to type
    return base64.urlsafe_b64encode(entropy[:18]).decode()  # 24 characters
