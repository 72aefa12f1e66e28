"""One-way secret hashes as switches print them: made (for the lab's emulator) and verified (for compliance).

IOS prints a `secret` as crypt-style hashes whose algorithms are public, so a printed hash can be
checked against the wanted secret offline: type 5 is MD5-crypt (`$1$SALT$HASH`, 4-character salt on
IOS), type 8 PBKDF2-HMAC-SHA256 with 20,000 iterations and type 9 scrypt (N=16384, r=1, p=1), both
`$8$`/`$9$` + a 14-character salt + `$` + the 32-byte key in Cisco's base64 alphabet.  (Checked
against hashcat's published examples for modes 500, 9200 and 9300 and `openssl passwd -1`.)
VRP's `irreversible-cipher` (`$1c$…$`) is salted and undocumented: it cannot be verified (see
ledger.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

CISCO64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_STANDARD64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_TO_CISCO = str.maketrans(_STANDARD64, CISCO64)


def _salt(length: int) -> str:
    return "".join(secrets.choice(CISCO64) for _ in range(length))


def _cisco64(key: bytes) -> str:
    return base64.b64encode(key).decode().rstrip("=").translate(_TO_CISCO)


def _scrypt(secret: str, salt: str) -> str:
    return _cisco64(hashlib.scrypt(secret.encode(), salt=salt.encode(), n=16384, r=1, p=1, dklen=32))


def _pbkdf2(secret: str, salt: str) -> str:
    return _cisco64(hashlib.pbkdf2_hmac("sha256", secret.encode(), salt.encode(), 20000, 32))


def md5_crypt(secret: str, salt: str) -> str:
    """`$1$SALT$HASH`, Poul-Henning Kamp's MD5-crypt as in FreeBSD and glibc."""
    password, salt_bytes = secret.encode(), salt.encode()[:8]
    alternate = hashlib.md5(password + salt_bytes + password).digest()
    context = hashlib.md5(password + b"$1$" + salt_bytes)
    for left in range(len(password), 0, -16):
        context.update(alternate[:min(16, left)])
    length = len(password)
    while length:
        context.update(b"\0" if length & 1 else password[:1])
        length >>= 1
    digest = context.digest()
    for round_ in range(1000):
        step = hashlib.md5(password if round_ & 1 else digest)
        if round_ % 3:
            step.update(salt_bytes)
        if round_ % 7:
            step.update(password)
        step.update(digest if round_ & 1 else password)
        digest = step.digest()
    text = ""
    for a, b, c in ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)):
        value = digest[a] << 16 | digest[b] << 8 | digest[c]
        text += "".join(CISCO64[value >> (6 * i) & 0x3F] for i in range(4))
    text += "".join(CISCO64[digest[11] >> (6 * i) & 0x3F] for i in range(2))
    return f"$1${salt_bytes.decode()}${text}"


def ios_secret(secret: str, kind: int) -> str:
    """A new hash of `secret` as IOS prints it after `secret 5|8|9`: a fresh salt each time."""
    if kind == 5:
        return md5_crypt(secret, _salt(4))
    salt = _salt(14)
    return f"$8${salt}${_pbkdf2(secret, salt)}" if kind == 8 else f"$9${salt}${_scrypt(secret, salt)}"


def ios_verifies(kind: str, printed: str, secret: str) -> bool:
    """Whether IOS's `secret KIND PRINTED` is a hash of `secret`; False for a kind that cannot be checked."""
    parts = printed.split("$")
    if kind == "5" and len(parts) == 4 and parts[1] == "1":
        return hmac.compare_digest(md5_crypt(secret, parts[2]), printed)
    if kind in ("8", "9") and len(parts) == 4 and parts[1] == kind and len(parts[2]) == 14:
        wanted = _pbkdf2(secret, parts[2]) if kind == "8" else _scrypt(secret, parts[2])
        return hmac.compare_digest(wanted, parts[3])
    return False
