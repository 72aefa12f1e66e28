"""dns: The school's caching resolver (unbound)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role


@deploy("dns")
def apply() -> None:
    apply_role("dns", packages=['unbound', 'dns-root-data'], services=['unbound'])
