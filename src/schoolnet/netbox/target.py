"""Which NetBox a command talks to, and with which token.

In order: an environment's `netbox:` (`--env NAME`, its token from the encrypted secrets);
NETBOX_URL and NETBOX_TOKEN; the local NetBox `schoolnet netbox up` started.  The token is
never printed: messages name where it came from instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from schoolnet.model.fleet import Fleet
from schoolnet.netbox.errors import NetboxError
from schoolnet.netbox.service import local_instance
from schoolnet.secrets.store import SecretError, SecretStore


@dataclass(frozen=True)
class Target:
    url: str
    token: str = field(repr=False)
    source: str


def resolve_target(fleet: Fleet, environment: str | None, store: SecretStore) -> Target:
    if environment is not None:
        env = fleet.environments.get(environment)
        if env is None:
            raise NetboxError(f"no environment {environment!r}: inventory/environments/ has "
                              f"{', '.join(sorted(fleet.environments)) or 'none'}")
        if env.netbox is None:
            raise NetboxError(f"environments/{environment}.yaml names no NetBox: add "
                              "'netbox: {url: https://..., token_secret: netbox/token}'")
        try:
            secret = store.get(env.netbox.token_secret)
        except SecretError as exc:
            raise NetboxError(str(exc)) from None
        return Target(env.netbox.url.rstrip("/"), secret, f"environments/{environment}.yaml")
    url, token = os.environ.get("NETBOX_URL", ""), os.environ.get("NETBOX_TOKEN", "")
    if url or token:
        if not (url and token):
            raise NetboxError("set both NETBOX_URL and NETBOX_TOKEN (one of them is empty)")
        return Target(url.rstrip("/"), token, "NETBOX_URL/NETBOX_TOKEN")
    instance = local_instance()
    if instance is None:
        raise NetboxError("no NetBox to talk to: run 'schoolnet netbox up' for a local one, or set NETBOX_URL "
                          "and NETBOX_TOKEN, or pass --env NAME with a netbox: entry")
    return Target(instance.url, instance.token, "the local NetBox that schoolnet netbox up started")
