"""Onboarding: pin a switch's SSH host key once, and only when it is the key recorded for it.

Every later audit and push trusts the pinned key alone, so the pinning is the one moment a wrong
key could slip in.  The key a switch offers is pinned only when its SHA256 fingerprint equals the
one recorded for that switch outside the network (`ssh_host_key_fingerprint` in the inventory:
from the delivery record, or read at the console with `display ssh server-info` / `show ip ssh`).
Anything else (no fingerprint recorded, a different key, no answer) pins nothing and says why.
The key is written into the switch's entry in its school file, where `validate` reads it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import paramiko

from schoolnet.atomic import write_atomically
from schoolnet.model.fleet import Fleet, Host


@dataclass
class Onboarding:
    hostname: str
    status: str  # pinned, refused, failed, already
    reason: str = ""
    key: str = ""
    where: str = ""  # file:line the key was written at

    def as_dict(self) -> dict[str, str]:
        return {"host": self.hostname, "status": self.status, "reason": self.reason, "where": self.where}


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's `SHA256:…` of a public key (base64, no padding), as switches and ssh-keygen -l print it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


def offered_key(address: str, port: int, timeout: float) -> paramiko.PKey:
    """The host key a switch offers, read in the key exchange: no login, nothing sent after it."""
    sock = socket.create_connection((address, port), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    finally:
        transport.close()


def check_one(host: Host, address: str, port: int, timeout: float) -> Onboarding:
    """Fetch the key `host` offers and say whether it may be pinned."""
    recorded = getattr(host.device, "ssh_host_key_fingerprint", None)
    if host.device.ssh_host_key:
        return Onboarding(host.hostname, "already", "its host key is pinned already")
    if not recorded:
        return Onboarding(host.hostname, "refused", "no ssh_host_key_fingerprint recorded: read it at the console "
                                                    "(`display ssh server-info` / `show ip ssh`) or take it from "
                                                    "the delivery record, then onboard again")
    try:
        key = offered_key(address, port, timeout)
    except (OSError, EOFError, paramiko.SSHException) as exc:
        return Onboarding(host.hostname, "failed", f"cannot read the host key at {address}:{port}: {exc}")
    offered = fingerprint(key)
    if not hmac.compare_digest(offered.encode(), recorded.strip().encode()):
        return Onboarding(host.hostname, "refused", f"{address}:{port} offers {offered}, not the recorded "
                                                    f"{recorded.strip()}: not pinned (a different switch, or a "
                                                    "key changed since delivery)")
    return Onboarding(host.hostname, "pinned", key=f"{key.get_name()} {key.get_base64()}")


def write_keys(fleet: Fleet, inventory: Path, results: Iterable[tuple[Host, Onboarding]]) -> None:
    """Write each pinned key into its switch's entry (after its last line), bottom up in each file so
    the lines found before any write stay right; each file replaced whole."""
    by_file: dict[str, list[tuple[int, Onboarding]]] = {}
    for host, result in results:
        if result.status == "pinned":
            location = fleet.host_location(host)
            by_file.setdefault(location.file, []).append((location.line, result))
    root = inventory.resolve().parent
    for name, entries in by_file.items():
        path = root / name
        lines = path.read_text(encoding="utf-8").split("\n")
        for line, result in sorted(entries, key=lambda e: -e[0]):
            end = line
            while end < len(lines) and lines[end].startswith("    ") and lines[end].strip():
                end += 1
            lines.insert(end, f"    ssh_host_key: {result.key}")
            above = sum(1 for other, _ in entries if other < line)  # written after this one, above it
            result.where = f"{name}:{end + 1 + above}"
        write_atomically(path, "\n".join(lines), 0o644)
