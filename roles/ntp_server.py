"""ntp-server: The programme's time source (chrony)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["chrony"]
SERVICES = ["chrony"]


@deploy("ntp-server")
def apply() -> None:
    apply_role("ntp-server", PACKAGES, SERVICES)
