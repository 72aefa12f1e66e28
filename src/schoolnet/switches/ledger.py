"""Which version of each secret a switch holds, where its printout cannot say.

VRP prints a password as `irreversible-cipher $1c$…$`, salted with an undocumented algorithm, and
IOS never prints an SNMPv3 user at all (`show snmp user` names it, not its keys).  Neither can be
checked against the wanted secret.  So when schoolnet sets a secret it records, per switch and
per line, which version it set (a keyed digest of the value, never the value) and what the switch
printed right after (the hash; "" for a line the switch hides).  A later audit finds the secret
compliant when the switch still prints that very string and the wanted secret is still that
version; then it is never typed again.  Anything else (a hash set by hand, a secret rotated in the
store, a machine without the ledger) is not proven, and a push sets the secret again.

The ledger is local state beside the deploy record (`deploys/switch-secrets.json`, 0600), and so is
its key (`deploys/.switch-secrets.key`): a digest never leaves this machine with the key that made it."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from pathlib import Path

from schoolnet.atomic import write_atomically

LEDGER = Path("deploys") / "switch-secrets.json"
KEY = Path("deploys") / ".switch-secrets.key"


class Ledger:
    def __init__(self, root: Path) -> None:
        self.path = root / LEDGER
        self.key_path = root / KEY
        self.lock = threading.Lock()
        self.changed = False
        try:
            self.held: dict[str, dict[str, dict[str, str]]] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.held = {}
        except (OSError, ValueError):  # unreadable: nothing is proven, and the next push records afresh
            self.held = {}
        self.key = self.key_path.read_text(encoding="ascii").strip().encode() if self.key_path.is_file() else b""
        self.versions: dict[tuple[str, str], str] = {}

    def version(self, slot: str, secret: str) -> str:
        """A keyed digest naming one value of one secret line; cached (one per school's secret, not per switch)."""
        with self.lock:
            if not self.key:
                return ""
            found = self.versions.get((slot, secret))
            if found is None:
                found = hmac.new(self.key, f"{slot}\0{secret}".encode(), hashlib.sha256).hexdigest()[:32]
                self.versions[(slot, secret)] = found
            return found

    def holds(self, hostname: str, slot: str, secret: str, printed: str) -> bool:
        """The switch was given this version of the secret by schoolnet, and printed `printed` for it then."""
        entry = self.held.get(hostname, {}).get(slot)
        return (entry is not None and bool(self.key) and hmac.compare_digest(entry.get("printed", ""), printed)
                and hmac.compare_digest(entry.get("version", ""), self.version(slot, secret)))

    def record(self, hostname: str, slot: str, secret: str, printed: str) -> None:
        with self.lock:
            if not self.key:
                key = secrets.token_hex(32)
                self.key_path.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(self.key_path, key + "\n", 0o600)
                self.key = key.encode()
        version = self.version(slot, secret)
        with self.lock:
            self.held.setdefault(hostname, {})[slot] = {"version": version, "printed": printed}
            self.changed = True

    def save(self) -> None:
        with self.lock:
            if self.changed:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(self.path, json.dumps(self.held, indent=1, sort_keys=True) + "\n", 0o600)
                self.changed = False
