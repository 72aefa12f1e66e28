"""content: Learning content for the school caches (nginx)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role


@deploy("content")
def apply() -> None:
    apply_role("content", packages=['nginx-light'], services=['nginx'], reload=True)
