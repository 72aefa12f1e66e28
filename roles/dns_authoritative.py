"""dns-authoritative: The programme's zones (BIND)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role


@deploy("dns-authoritative")
def apply() -> None:
    apply_role("dns-authoritative", packages=['bind9'], services=['named'], reload=True)
