"""vpn: The tunnel to the data-center hub (WireGuard)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["wireguard-tools"]
SERVICES = ["wg-quick@wg0"]


@deploy("vpn")
def apply() -> None:
    apply_role("vpn", PACKAGES, SERVICES)
