"""dns: The school's caching resolver (unbound)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["unbound", "dns-root-data"]
SERVICES = ["unbound"]


@deploy("dns")
def apply() -> None:
    apply_role("dns", PACKAGES, SERVICES)
