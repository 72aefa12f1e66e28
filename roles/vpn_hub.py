"""vpn-hub: The WireGuard hub, one peer per school."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["wireguard-tools"]
SERVICES = ["wg-quick@wg0"]


@deploy("vpn-hub")
def apply() -> None:
    apply_role("vpn-hub", PACKAGES, SERVICES)
