"""mdm: Headwind MDM enrollment payloads, one per school (files only)."""

from pyinfra.api import deploy

from schoolnet.deploy.steps import apply_role

PACKAGES = []
SERVICES = []


@deploy("mdm")
def apply() -> None:
    apply_role("mdm", PACKAGES, SERVICES)
