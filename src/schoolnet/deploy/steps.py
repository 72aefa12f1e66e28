"""What every role does, inside a pyinfra deploy: packages, its rendered files, checks, services.

Roles stay tiny: they name their packages and services and call `apply_role`.  Rendering
is not theirs: the files come from build/, byte for byte as `check` passed them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyinfra.context import host
from pyinfra.facts.files import FileContents, Sha256File
from pyinfra.operations import apt, files, server, systemd

from schoolnet.deploy.checks import install_command

STAGING = "/var/lib/schoolnet/staged"
# In a dry run, what each changing file holds now on its host, for `schoolnet plan` to diff.
CURRENT: dict[str, dict[str, list[str] | None]] = {}


def role_files(role: str) -> list[dict[str, Any]]:
    return [f for f in host.data.schoolnet_files if f["role"] == role]


def apply_role(role: str, packages: list[str], services: list[str], reload: bool = False) -> None:
    """Install `packages`, put each of the role's files in place (checked first), then keep `services`
    enabled and running, restarting (or reloading) them only when a file changed."""
    if packages:
        apt.packages(name=f"{role}: packages", packages=packages, update=True, cache_time=86400)
    changed = False
    build = Path(host.data.schoolnet_build) / "hosts" / host.name
    for spec in role_files(role):
        destination = spec["path"]
        if host.get_fact(Sha256File, path=destination) == spec["sha256"]:
            files.file(name=f"{role}: {destination} mode", path=destination, mode=spec["mode"], user=spec["owner"],
                       group=spec["group"])
            continue
        if host.data.get("schoolnet_dry"):
            CURRENT.setdefault(host.name, {})[destination] = host.get_fact(FileContents, path=destination)
        staged = f"{STAGING}{destination}"
        files.put(name=f"{role}: upload {destination}", src=str(build / destination.lstrip("/")), dest=staged,
                  mode="0600", user="root", group="root", create_remote_dir=True)
        server.shell(name=f"{role}: check and install {destination}",
                     commands=[install_command(spec["validator"], staged, destination, spec["mode"], spec["owner"],
                                               spec["group"])])
        changed = True
    unavailable = set(host.data.get("schoolnet_unavailable_services", []))
    for service in services:
        if service in unavailable:
            continue
        systemd.service(name=f"{role}: {service}", service=service, running=True, enabled=True,
                        restarted=changed and not reload, reloaded=changed and reload)
