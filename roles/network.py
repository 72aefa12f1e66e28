"""network: the uplink and VLAN interfaces, applied at the next boot (a remote network change
could cut the very session that makes it)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["ifupdown"]
SERVICES = []


@deploy("network")
def apply() -> None:
    apply_role("network", PACKAGES, SERVICES)
