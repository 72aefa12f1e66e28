"""base: SSH hardening, journald limits, unattended upgrades."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["openssh-server", "unattended-upgrades"]
SERVICES = ["ssh"]


@deploy("base")
def apply() -> None:
    apply_role("base", PACKAGES, SERVICES, reload=True)
