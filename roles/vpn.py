"""vpn: The tunnel to the data-center hub (WireGuard)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role


@deploy("vpn")
def apply() -> None:
    apply_role("vpn", packages=['wireguard-tools'], services=['wg-quick@wg0'])
