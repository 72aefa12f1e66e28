"""What every role does, inside a pyinfra deploy: packages, its rendered files, checks, services.

Roles stay tiny: they name their packages and services and call `apply_role`.  Rendering
is not theirs: the files come from build/, byte for byte as `check` passed them; each is
read once and pushed only if its sha256 is the one the manifest recorded.

What a host holds now is read once for all its roles (`expect` names everything they
manage, deploy/site.py calls it), and an operation is added only where the host differs:
an idempotent redeploy is one command per host, not sixty.  A role whose files changed
is changed by one script on the host (`schoolnet.deploy.transaction`): all its files or
none, its services checked active afterwards, everything restored otherwise.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from pyinfra.context import host
from pyinfra.facts.files import FileContents
from pyinfra.operations import apt, files, python, server, systemd

from schoolnet.contained import beneath, child
from schoolnet.deploy import transaction
from schoolnet.deploy.facts import HostState, HostStateFact, unit_name
from schoolnet.deploy.session import confirm_new_session

STAGING = "/var/lib/schoolnet/staged"
# In a dry run, what each changing file holds now on its host and its mode there, for `schoolnet plan` to diff.
CURRENT: dict[str, dict[str, tuple[list[str] | None, int | None]]] = {}
# Per host: every package and service its roles manage (set by `expect`), and what was read of them.
EXPECTED: dict[str, tuple[list[str], list[str]]] = {}
READ: dict[str, HostState] = {}


class BuildChanged(RuntimeError):
    """A file in build/ is not the one check passed: the deploy refuses to push it."""


def expect(packages: list[str], services: list[str]) -> None:
    """Name everything this host's roles manage, so that one read (per deploy) serves them all, and
    install every missing package in one apt run: one dependency solve and one round of triggers
    instead of one per role."""
    EXPECTED[host.name] = (sorted(set(packages)), sorted(set(services)))
    READ.pop(host.name, None)
    now = host_state(packages, services)
    missing = sorted(set(packages) - now.packages)
    if missing:
        apt.packages(name="packages: " + ", ".join(missing), packages=missing, update=True, cache_time=86400)
        now.packages.update(missing)  # what the roles will find, since this runs before them


def host_state(packages: list[str], services: list[str]) -> HostState:
    """What the host holds now: read once per deploy when `expect` was called (pyinfra 3 caches no
    fact), else read for this role alone."""
    if host.name in READ:
        return READ[host.name]
    packages, services = EXPECTED.get(host.name, (packages, services))
    paths = sorted(f["path"] for f in host.data.schoolnet_files)
    state: HostState = host.get_fact(HostStateFact, paths=paths, packages=packages, services=services)
    if host.name in EXPECTED:
        READ[host.name] = state
    return state


def role_files(role: str) -> list[dict[str, Any]]:
    return [f for f in host.data.schoolnet_files if f["role"] == role]


def verified_bytes(spec: dict[str, Any]) -> bytes:
    """The file as build/ holds it, if it is still the one the manifest (and check) vouched for."""
    path = beneath(child(Path(host.data.schoolnet_build) / "hosts", host.name), spec["path"])
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != spec["sha256"]:
        raise BuildChanged(f"{path} changed since it was checked (a render ran meanwhile?): refusing to push it; "
                           "render, check and deploy again")
    return data


def apply_role(role: str, packages: list[str], services: list[str], reload: bool = False) -> None:
    """Install `packages`; change the role's files all together, checked first, its services taking
    them and staying active (or nothing changes); keep `services` enabled and running."""
    unavailable = set(host.data.get("schoolnet_unavailable_services", []))
    if not host.data.get("schoolnet_start_services", True):
        services = []
    services = [s for s in services if s not in unavailable]
    now = host_state(packages, services)
    if not now.packages.issuperset(packages):
        apt.packages(name=f"{role}: packages", packages=packages, update=True, cache_time=86400)
    changes = []
    staging = f"{STAGING}/{host.data.schoolnet_run}/{role}"
    for spec in role_files(role):
        destination = spec["path"]
        current = now.files.get(destination)
        if current is not None and current.sha256 == spec["sha256"]:
            if (current.mode, current.owner, current.group) != (int(spec["mode"], 8), spec["owner"], spec["group"]):
                files.file(name=f"{role}: {destination} mode", path=destination, mode=spec["mode"],
                           user=spec["owner"], group=spec["group"])
            continue
        if host.data.get("schoolnet_dry"):
            CURRENT.setdefault(host.name, {})[destination] = (host.get_fact(FileContents, path=destination),
                                                              current.mode if current is not None else None)
        staged = f"{staging}{destination}"
        files.put(name=f"{role}: upload {destination}", src=io.BytesIO(verified_bytes(spec)), dest=staged,
                  mode="0600", user="root", group="root", create_remote_dir=True)
        changes.append(transaction.FileChange(destination, staged, spec["mode"], spec["owner"], spec["group"],
                                              spec["validator"]))
    if changes:
        run = host.data.schoolnet_run
        server.shell(name=f"{role}: check and install {', '.join(c.destination for c in changes)}",
                     commands=[transaction.transaction(role, changes, services, reload, staging, run)])
        if transaction.needs_confirmation(services):
            python.call(name=f"{role}: a new SSH session still gets in", function=confirm_new_session, role=role,
                        run=run)
            server.shell(name=f"{role}: confirmed", commands=[transaction.confirm(role, run)])
        return  # the change itself started, enabled and checked the services
    for service in services:
        unit = unit_name(service)
        if unit in now.running and unit in now.enabled:
            continue
        systemd.service(name=f"{role}: {service}", service=service, running=True, enabled=True)
