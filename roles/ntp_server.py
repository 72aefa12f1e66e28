"""ntp-server: The programme's time source (chrony)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role


@deploy("ntp-server")
def apply() -> None:
    apply_role("ntp-server", packages=['chrony'], services=['chrony'])
