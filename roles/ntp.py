"""ntp: Time from the data center, served to the school (chrony)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["chrony"]
SERVICES = ["chrony"]


@deploy("ntp")
def apply() -> None:
    apply_role("ntp", PACKAGES, SERVICES)
