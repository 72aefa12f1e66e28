"""base: SSH hardening, journald limits, unattended upgrades."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role


@deploy("base")
def apply() -> None:
    apply_role("base", packages=['openssh-server', 'unattended-upgrades'], services=['ssh'], reload=True)
