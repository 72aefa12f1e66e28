"""Platforms named as the automation tools name them, so no consumer of NetBox writes a table of its own.

Nornir's NetBox inventory (nornir-netbox's NetBoxInventory2) sets `host.platform` to the platform's
name, or its slug with `use_platform_slug`; Nornir's netmiko and scrapli plugins read that as the
device type.  So a platform's name and slug are both netmiko's device type (`cisco_ios`,
`huawei_vrp`), and the inventory's own OS name (`cisco-ios`) is its description.

Ansible's `netbox.netbox.nb_inventory` gives a host only its platform's slug (`platforms`); what
Ansible needs to speak to a network device (`ansible_network_os`, `ansible_connection`) it reads
from the device's config context (`config_context: true`, flattened with
`flatten_config_context: true`).  So each platform with an Ansible network OS gets a config context
scoped to that platform (NetBox 4's Platform has no field for it), named `schoolnet platform <slug>`.

NetBox 4 dropped the platform's `napalm_driver`: netmiko's device type is the identifier both
loaders surface.  tests/test_netbox_mapping.py checks every entry against netmiko's own CLASS_MAPPER
and Ansible's installed collections.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    """What the tools call one OS of hardware.yaml."""

    netmiko: str            # netmiko's device type: the platform's slug and name
    label: str              # what a person calls it (the platform's description)
    network_os: str = ""    # Ansible's ansible_network_os; "" where Ansible speaks to it as a plain SSH host
    connection: str = ""    # Ansible's ansible_connection for that network_os


# hardware.yaml's `os` -> the platform.  Huawei VRP has no network_os in Ansible 12: the CloudEngine
# modules (community.network.ce) left the package with community.network; Nornir and netmiko cover it.
PLATFORMS: dict[str, Platform] = {
    "cisco-ios": Platform("cisco_ios", "Cisco IOS", "cisco.ios.ios", "ansible.netcommon.network_cli"),
    "huawei-vrp": Platform("huawei_vrp", "Huawei VRP"),
    "fortios": Platform("fortinet", "Fortinet FortiOS", "fortinet.fortios.fortios", "ansible.netcommon.httpapi"),
    "debian-12": Platform("linux", "Debian 12"),
    "ontap": Platform("netapp_cdot", "NetApp ONTAP"),
    "powervault-me5": Platform("generic", "Dell PowerVault ME5 (netmiko's generic SSH)"),
    "apc-aos": Platform("apc_aos", "APC Network Management Card AOS"),
}

CONTEXT_PREFIX = "schoolnet platform "  # + the slug: the config context that carries Ansible's names
CONTEXT_WEIGHT = 1000                   # NetBox's default weight: another team's heavier context wins


def platform_of(os: str) -> Platform | None:
    return PLATFORMS.get(os)


def context_data(platform: Platform) -> dict[str, str]:
    """The host variables Ansible (and Nornir's host.data) receive for devices of this platform."""
    return {"ansible_network_os": platform.network_os, "ansible_connection": platform.connection}
