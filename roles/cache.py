"""cache: Caching proxy for content and updates (nginx)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["nginx-light"]
SERVICES = ["nginx"]


@deploy("cache")
def apply() -> None:
    apply_role("cache", PACKAGES, SERVICES, reload=True)
