"""The Fleet: the whole inventory as typed objects, handed to every later stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from schoolnet.inventory.yamlload import Document, PathKey
from schoolnet.model.datacenter import Datacenter, DcDevice
from schoolnet.model.environment import Environment
from schoolnet.model.ledger import Ledger
from schoolnet.model.programme import Hardware, HardwareModel, Programme
from schoolnet.model.school import School, SchoolDevice
from schoolnet.problems import Location


class UnvalidatedFleet(RuntimeError):
    """A stage that acts was handed a fleet no one validated: a programming error, never bad input."""


@dataclass(frozen=True)
class Host:
    """A managed device with a hostname: a school's edge/switch/AP or a data-center device."""

    hostname: str
    kind: str
    model: str
    serial: str
    roles: tuple[str, ...]
    status: str
    school: School | None
    datacenter: Datacenter | None
    ordinal: int
    device: SchoolDevice | DcDevice
    path: PathKey

    @property
    def owner(self) -> School | Datacenter:
        """The file-level object the host is written in."""
        owner = self.school if self.school is not None else self.datacenter
        assert owner is not None
        return owner

    @property
    def site(self) -> str:
        if self.school is not None:
            return self.school.id
        assert self.datacenter is not None
        return self.datacenter.site


@dataclass
class Fleet:
    """Everything loaded: programme, catalog, ledger, sites; and where each came from."""

    root: Path
    programme: Programme
    hardware: Hardware
    ledger: Ledger
    schools: list[School]
    datacenters: list[Datacenter]
    documents: dict[int, Document] = field(default_factory=dict, repr=False)
    environments: dict[str, Environment] = field(default_factory=dict)
    # Inventory files found that did not load or type: the fleet is the rest, and a rule that counts or
    # matches across the whole fleet would find what is missing, not what is wrong (validate/run.py).
    absent: tuple[str, ...] = ()
    # Set only by `schoolnet.validate.load_for_action`, after every rule passed: a stage that acts
    # (render, the lab, deploy) refuses a fleet without it, whoever calls it.
    validated: bool = field(default=False, repr=False)

    def require_validated(self, what: str) -> None:
        if not self.validated:
            raise UnvalidatedFleet(f"{what} needs a validated fleet: load it with "
                                   "schoolnet.validate.load_for_action(), which runs every rule first")

    def doc(self, obj: Any) -> Document:
        return self.documents[id(obj)]

    def loc(self, obj: Any, *path: Any) -> Location:
        """Where `path` inside the file-level object `obj` is written."""
        return self.doc(obj).location(tuple(path))

    @cached_property
    def catalog(self) -> dict[str, HardwareModel]:
        return {m.id: m for m in self.hardware.models}

    @cached_property
    def hosts(self) -> list[Host]:
        hosts: list[Host] = []
        defaults = self.programme.defaults
        for school in self.schools:
            names = school.device_hostnames()
            ordinals = school.device_ordinals()
            for index, device in enumerate(school.devices):
                default_roles = defaults[device.kind].roles if device.kind in defaults else None
                roles = device.roles if device.roles is not None else (default_roles or [])
                if not roles and device.kind == "switch" and device.model in self.catalog:
                    roles = [f"switch-{self.catalog[device.model].os}"]  # the vendor decides the dialect
                hosts.append(Host(names[index], device.kind, device.model, device.serial, tuple(roles),
                                  device.status, school, None, ordinals[index], device, ("devices", index)))
        for site in self.datacenters:
            for index, dc_device in enumerate(site.devices):
                hosts.append(Host(dc_device.hostname, dc_device.kind, dc_device.model, dc_device.serial,
                                  tuple(dc_device.roles), dc_device.status, None, site, index + 1,
                                  dc_device, ("devices", index)))
        return hosts

    def host_location(self, host: Host, *path: Any) -> Location:
        return self.loc(host.owner, *host.path, *path)

    @cached_property
    def school_hosts(self) -> dict[str, list[Host]]:
        """School id -> its hosts, in inventory order."""
        by_school: dict[str, list[Host]] = {s.id: [] for s in self.schools}
        for host in self.hosts:
            if host.school is not None:
                by_school[host.school.id].append(host)
        return by_school

    @cached_property
    def schools_by_id(self) -> dict[str, School]:
        return {s.id: s for s in self.schools}
