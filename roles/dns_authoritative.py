"""dns-authoritative: The programme's zones (BIND)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["bind9"]
SERVICES = ["named"]


@deploy("dns-authoritative")
def apply() -> None:
    apply_role("dns-authoritative", PACKAGES, SERVICES, reload=True)
