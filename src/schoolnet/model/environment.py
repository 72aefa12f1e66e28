"""environments/<env>.yaml: how the hosts of one environment are reached.

`prod` takes each host's management address from IPAM and its pinned key from the
inventory; `lab` is written by `schoolnet lab up` with loopback addresses and the
keys the lab generated.  Deploys check host keys strictly against these.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schoolnet.model.types import Address, LongText, Name, Strict, Text


class EnvironmentHost(Strict):
    address: Address
    port: int = Field(22, ge=1, le=65535)
    host_key: LongText = Field(description="pinned public host key, 'ssh-ed25519 AAAA...'")


class NetboxEndpoint(Strict):
    """The NetBox this environment publishes to; its API token is a secret, never written here."""

    url: LongText = Field(pattern=r"^https?://[^\s\"'<>]+$")
    token_secret: Name = Field("netbox/token", description="name of the API token in secrets.sops.yaml")


class Environment(Strict):
    name: Name
    ssh_user: Name = "schoolnet"
    ssh_port: int = Field(22, ge=1, le=65535)
    ssh_key: Text | None = Field(None, description="private key file of the deploying user")
    switch_user: Name = Field("admin", description="the switches' local user; its password is the secret "
                                                    "switch/<school>/admin")
    sudo: bool = True
    jump_host: Text | None = None
    addresses: Literal["management", "explicit"] = Field(
        "management", description="management: from IPAM; explicit: the hosts map below")
    hosts: dict[Name, EnvironmentHost] = Field(default_factory=dict)
    unavailable_services: list[Name] = Field(
        default_factory=list, description="services this environment cannot run (the lab: no WireGuard module, "
        "no clock control); deploys install and check their files but do not start them")
    netbox: NetboxEndpoint | None = Field(
        None, description="the NetBox `schoolnet netbox plan|apply|drift --env NAME` keeps in step")
    start_services: bool = Field(
        True, description="false where hosts run no init (the lab's chroot fallback): deploys install packages "
        "and check and install files, and start no service")
