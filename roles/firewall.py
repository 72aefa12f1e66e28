"""firewall: Default-drop firewall (nftables)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["nftables"]
SERVICES = ["nftables"]


@deploy("firewall")
def apply() -> None:
    apply_role("firewall", PACKAGES, SERVICES)
