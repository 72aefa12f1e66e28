"""The secrets a fleet needs, by name: one place that both templates and `secrets generate` use."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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


def referenced_secrets(fleet: Fleet) -> dict[str, str]:
    """Secrets a person puts in the file and the inventory names (a NetBox API token per environment):
    used, so never unused, but not made by `secrets generate` nor replaced by `secrets rotate`.
    name -> who names it."""
    return {env.netbox.token_secret: f"environments/{name}.yaml (netbox.token_secret)"
            for name, env in sorted(fleet.environments.items()) if env.netbox is not None}


HOLDS, DERIVES = "holds it", "holds its public key"


@dataclass(frozen=True)
class Use:
    """One host whose rendered files carry a secret, or the public half derived from it."""

    hostname: str
    kind: str  # the host's kind: edge, server, switch, ...
    how: str  # HOLDS or DERIVES

    @property
    def switch(self) -> bool:
        return self.kind == "switch"


def secret_uses(fleet: Fleet) -> dict[str, list[Use]]:
    """Every secret the fleet needs -> the hosts whose files hold it (or its public half), as the templates
    use them: a WireGuard key is held by its host and its public half by the peers (the hub for an edge,
    every edge for the hub), a Wi-Fi passphrase by the MDM server, a school's SNMP and switch login by
    its switches.  A test holds this to the manifest of a real render."""
    uses: dict[str, list[Use]] = {name: [] for name in required_secrets(fleet)}
    with_role = {role: [h for h in fleet.hosts if role in h.roles] for role in ("vpn", "vpn-hub", "mdm")}
    hub = with_role["vpn-hub"][0].hostname if with_role["vpn-hub"] else None
    for host in fleet.hosts:
        if host.kind == "edge" or "vpn-hub" in host.roles:
            name = wireguard_key(host.hostname)
            if {"vpn", "vpn-hub"} & set(host.roles):
                uses[name].append(Use(host.hostname, host.kind, HOLDS))
            peers = with_role["vpn"] if host.hostname == hub else with_role["vpn-hub"] if host.kind == "edge" else []
            uses[name] += [Use(p.hostname, p.kind, DERIVES) for p in peers]
        elif host.school is not None and any(role.startswith("switch-") for role in host.roles):
            for name in (snmp_auth(host.school.id), snmp_priv(host.school.id), switch_admin(host.school.id)):
                uses[name].append(Use(host.hostname, host.kind, HOLDS))
    wifi = [v.name for v in fleet.programme.vlans if v.wifi]
    for school in fleet.schools:
        for vlan in wifi:
            uses[wifi_passphrase(school.id, vlan)] += [Use(h.hostname, h.kind, HOLDS) for h in with_role["mdm"]]
    return uses
