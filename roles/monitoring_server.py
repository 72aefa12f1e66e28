"""monitoring-server: Prometheus and its file_sd targets."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["prometheus"]
SERVICES = ["prometheus"]


@deploy("monitoring-server")
def apply() -> None:
    apply_role("monitoring-server", PACKAGES, SERVICES, reload=True)
