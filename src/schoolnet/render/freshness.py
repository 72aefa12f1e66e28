"""A host's build is fresh while the inputs its files were rendered from are unchanged.

The digest of a host covers exactly what its files depend on: its template context (all
the inventory says that reaches the host: its own data, its school's, the data center's
services and, for data-center hosts, the whole fleet), the templates of its roles, and
the secrets its files hold or derive a public key from.  `render` stores it per host in the manifest; `plan` and
`deploy` compute it again for the hosts they select and refuse, by name, any whose build
was made from other inputs.  Adding a school changes the VPN hub's context: a render
limited to another school leaves the hub stale, and a deploy to the hub refuses it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from schoolnet.model.fleet import Fleet, Host
from schoolnet.render.context import ContextBuilder
from schoolnet.render.templates import TemplateSpec
from schoolnet.secrets.store import SecretError, SecretStore


def _json_digest(value: Any) -> bytes:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()).digest()


class Inputs:
    """Digests of hosts' inputs as they are now; what all data-center hosts share is hashed once."""

    def __init__(self, fleet: Fleet, specs: dict[str, list[TemplateSpec]], templates_dir: Path,
                 secrets: SecretStore, contexts: ContextBuilder | None = None) -> None:
        self.contexts = contexts or ContextBuilder(fleet)
        self.specs = specs
        self.templates_dir = templates_dir
        self.secrets = secrets
        self._template_digests: dict[str, bytes] = {}
        self._shared: dict[int, bytes] = {}
        self._shared_ids: set[int] | None = None
        self._with_fleet = False

    def context(self, host: Host) -> dict[str, Any]:
        return self.contexts.for_host(host)

    def digest(self, host: Host, secret_names: Iterable[str], context: dict[str, Any] | None = None) -> str:
        context = context if context is not None else self.context(host)
        digest = hashlib.sha256()
        for key in sorted(context):
            digest.update(key.encode() + b"\0" + self._value_digest(context[key]))
        for role in host.roles:
            for spec in self.specs.get(role, []):
                digest.update(b"\0template\0" + spec.name.encode() + b"\0" + self._template_digest(spec.name))
        for name in sorted(set(secret_names)):
            try:
                value = self.secrets.get(name)
            except SecretError:  # a secret the last render used is gone: the host's inputs changed
                return ""
            digest.update(b"\0secret\0" + name.encode() + b"\0" + value.encode())
        return digest.hexdigest()

    def _value_digest(self, value: Any) -> bytes:
        shared = self._shared_values()
        if id(value) not in shared:
            return _json_digest(value)
        if id(value) not in self._shared:
            self._shared[id(value)] = _json_digest(value)
        return self._shared[id(value)]

    def _shared_values(self) -> set[int]:
        """The context values many hosts hold by reference: the data center's services and, once a
        data-center host asked for them, the fleet-wide summaries (a one-school render never does)."""
        with_fleet = "fleet_wide" in vars(self.contexts)
        if self._shared_ids is None or with_fleet != self._with_fleet:
            values = [self.contexts.dc_services, self.contexts.vpn_hub]
            if with_fleet:
                values += list(self.contexts.fleet_wide.values())
            self._shared_ids, self._with_fleet = {id(v) for v in values}, with_fleet
        return self._shared_ids

    def _template_digest(self, name: str) -> bytes:
        if name not in self._template_digests:
            self._template_digests[name] = hashlib.sha256((self.templates_dir / name).read_bytes()).digest()
        return self._template_digests[name]


def stale_hosts(inputs: Inputs, hosts: list[Host], manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(hostname, why) for each of `hosts` whose build was not made from its inputs as they are now."""
    stale = []
    entries = manifest.get("hosts", {})
    for host in hosts:
        entry = entries.get(host.hostname)
        if entry is None:
            stale.append((host.hostname, "it has never been rendered"))
            continue
        recorded = entry.get("inputs_sha256")
        if recorded is None:
            stale.append((host.hostname, "it was rendered by an older schoolnet, without an inputs digest"))
            continue
        names = [name for spec in entry.get("files", []) for name in (*spec.get("secrets", []),
                                                                       *spec.get("derived", []))]
        if inputs.digest(host, names) != recorded:
            stale.append((host.hostname, "its inventory data, templates or secrets changed since it was rendered"))
    return stale
