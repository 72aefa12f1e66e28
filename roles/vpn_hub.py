"""vpn-hub: The WireGuard hub, one peer per school."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role


@deploy("vpn-hub")
def apply() -> None:
    apply_role("vpn-hub", packages=['wireguard-tools'], services=['wg-quick@wg0'])
