"""monitoring: Node exporter on the management address."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role


@deploy("monitoring")
def apply() -> None:
    apply_role("monitoring", packages=['prometheus-node-exporter'], services=['prometheus-node-exporter'])
