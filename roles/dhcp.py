"""dhcp: DHCP ranges and reservations (dnsmasq)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["dnsmasq"]
SERVICES = ["dnsmasq"]


@deploy("dhcp")
def apply() -> None:
    apply_role("dhcp", PACKAGES, SERVICES)
