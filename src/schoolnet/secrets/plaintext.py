"""Find secrets written in plain text outside the encrypted file.

Looks in every inventory value, every template and every file git tracks, for what a
leak looks like: private key blocks, age identities, WireGuard keys, a password-like
field with a literal value, and (in inventory values) high-entropy tokens.  Public
material that looks random on purpose (SSH host keys, checksums) is named and skipped.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from schoolnet.inventory.yamlload import Document, display_name
from schoolnet.problems import Location, Problem
from schoolnet.rulebook import declare, problem

declare("SN901", "plaintext-secret", "Something that looks like a secret is written in plain text outside "
        "inventory/secrets.sops.yaml: a private key, an age identity, a WireGuard key, a password-like field "
        "with a literal value, or a high-entropy token.", bad="wifi_password: correct-horse-battery",
        good='(in the template) {{ secret("wifi/nx-ord-012/tablets") }}', stage="validate")

PATTERNS = [
    ("a private key block", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    ("an age identity", re.compile(r"AGE-SECRET-KEY-1[0-9A-Z]{58}")),
    ("a WireGuard key", re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=(?![A-Za-z0-9+/=])")),
    ("a password-like assignment", re.compile(
        r"(?i)\b(?:password|passphrase|psk|private_?key|api_?key|secret_?key|token)\b\s*[:=]\s*['\"]?"
        r"(?![{<$%])[^\s'\"]{6,}")),
]
SECRET_FIELD = re.compile(r"(?i)(pass(word|phrase)?|secret|psk|private_?key|token|community|api_?key)")
TOKEN = re.compile(r"^[A-Za-z0-9+/=_]{24,}$")
SOURCE_SUFFIXES = frozenset({".py", ".pyi"})
PUBLIC_FIELDS = frozenset({"ssh_host_key", "launcher_checksum"})  # random-looking on purpose, and public
# Files that hold secret-shaped text by design: the encrypted store and the public demo identity.
EXEMPT_FILES = frozenset({"inventory/secrets.sops.yaml", "keys/demo.agekey"})


def entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_like_token(text: str) -> bool:
    return (bool(TOKEN.match(text)) and entropy(text) >= 4.2 and any(c.isdigit() for c in text)
            and any(c.islower() for c in text) and any(c.isupper() for c in text))


def scan_document(doc: Document) -> list[Problem]:
    return [_found(doc.location(path), what) for path, what in _document_hits(doc.data, ())]


def _document_hits(data: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Only containers recurse: a fleet holds a million scalars, nearly all too short to be a secret."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in PUBLIC_FIELDS:
                continue
            if _secret_field(key) and isinstance(value, (str, int)) and str(value):
                yield (*path, key), f"a literal value for the password-like field '{key}'"
            elif isinstance(value, (dict, list)):
                yield from _document_hits(value, (*path, key))
            elif isinstance(value, str) and len(value) >= SHORTEST and (what := _string_hit(value)):
                yield (*path, key), what
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if isinstance(value, (dict, list)):
                yield from _document_hits(value, (*path, index))
            elif isinstance(value, str) and len(value) >= SHORTEST and (what := _string_hit(value)):
                yield (*path, index), what
    elif isinstance(data, str) and len(data) >= SHORTEST and (what := _string_hit(data)):
        yield path, what


# No pattern matches fewer characters: a token is 24 or more, a WireGuard key 44, a key block's
# header 27, an age identity 74.
SHORTEST = 24


def _string_hit(text: str) -> str:
    for what, pattern in PATTERNS[:3]:
        if pattern.search(text):
            return what
    return "a high-entropy token" if looks_like_token(text) else ""


@cache
def _secret_field(key: Any) -> bool:
    """Keys repeat across a fleet (serial, mac, status, ...): each is matched once."""
    return isinstance(key, str) and bool(SECRET_FIELD.search(key))


def scan_text(path: Path, name: str) -> list[Problem]:
    """Key material anywhere; password-like assignments only outside program source, where
    `TOKEN = "token"` is a constant, not a credential."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    patterns = PATTERNS[:3] if path.suffix in SOURCE_SUFFIXES else PATTERNS
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for what, pattern in patterns:
            match = pattern.search(line)
            if match:
                found.append(_found(Location(name, number, match.start() + 1), what))
                break
    return found


def scan_repository(root: Path) -> list[Problem]:
    """Every template, and every file git tracks under `root` (when it is a git work tree)."""
    files = {p.relative_to(root).as_posix() for p in (root / "templates").rglob("*.j2")}
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, timeout=60)
    if listed.returncode == 0:
        files |= {f for f in listed.stdout.decode().split("\0") if f}
    problems = []
    for relative in sorted(files - EXEMPT_FILES):
        path = root / relative
        if path.is_file() and path.stat().st_size < 2_000_000 and not relative.startswith("inventory/"):
            problems += scan_text(path, display_name(path))
    return problems


def _found(where: Location, what: str) -> Problem:
    return problem("SN901", where, f"{what} is written in plain text",
                   "move the value into inventory/secrets.sops.yaml and refer to it with secret(\"NAME\")")
