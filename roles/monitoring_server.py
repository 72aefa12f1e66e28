"""monitoring-server: Prometheus and its file_sd targets."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role


@deploy("monitoring-server")
def apply() -> None:
    apply_role("monitoring-server", packages=['prometheus'], services=['prometheus'], reload=True)
