"""cache: Caching proxy for content and updates (nginx)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role


@deploy("cache")
def apply() -> None:
    apply_role("cache", packages=['nginx-light'], services=['nginx'], reload=True)
