"""monitoring: Node exporter on the management address."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = ["prometheus-node-exporter"]
SERVICES = ["prometheus-node-exporter"]


@deploy("monitoring")
def apply() -> None:
    apply_role("monitoring", PACKAGES, SERVICES)
