"""content: Learning content for the school caches (nginx)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["nginx-light"]
SERVICES = ["nginx"]


@deploy("content")
def apply() -> None:
    apply_role("content", PACKAGES, SERVICES, reload=True)
