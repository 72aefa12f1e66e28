"""The secrets a fleet needs, by name: one place that both templates and `secrets generate` use."""

from __future__ import annotations

from collections.abc import Iterator

from schoolnet.model.fleet import Fleet

WIREGUARD, PASSPHRASE, TOKEN = "wireguard-key", "passphrase", "token"


def wireguard_key(hostname: str) -> str:
    return f"wireguard/{hostname}/private_key"


def wifi_passphrase(school_id: str, vlan: str) -> str:
    return f"wifi/{school_id}/{vlan}"


def snmp_auth(school_id: str) -> str:
    return f"snmp/{school_id}/auth"


def snmp_priv(school_id: str) -> str:
    return f"snmp/{school_id}/priv"


def switch_admin(school_id: str) -> str:
    return f"switch/{school_id}/admin"


def kind_of(name: str) -> str:
    """How a secret's value is made: WireGuard keys, passphrases people type, or random tokens."""
    if name.startswith("wireguard/") and name.endswith("/private_key"):
        return WIREGUARD
    if name.startswith("wifi/"):
        return PASSPHRASE
    return TOKEN


def required_secrets(fleet: Fleet) -> Iterator[str]:
    """Every secret the fleet's configuration refers to, in a stable order."""
    wifi = [v.name for v in fleet.programme.vlans if v.wifi]
    for host in fleet.hosts:
        if host.kind == "edge" or "vpn-hub" in host.roles:
            yield wireguard_key(host.hostname)
    for school in fleet.schools:
        for vlan in wifi:
            yield wifi_passphrase(school.id, vlan)
        if any(d.kind == "switch" for d in school.devices):
            yield snmp_auth(school.id)
            yield snmp_priv(school.id)
            yield switch_admin(school.id)
