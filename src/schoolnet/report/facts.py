"""What the report shows, gathered once from the fleet: plain rows, each with where it is written.

An auditor's first question about any fact is "says who?": every row carries the inventory
file and line it comes from (a path relative to the repository, and the forge's address of that
line when programme.yaml names a repository), so the site never shows a value it cannot source.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schoolnet.ipam.plan import Addressing
from schoolnet.model.datacenter import Datacenter
from schoolnet.model.fleet import Fleet, Host
from schoolnet.model.school import Circuit, School
from schoolnet.model.stats import TABLET_STATUSES
from schoolnet.model.types import CircuitStatus

CIRCUIT_STATUSES: tuple[str, ...] = CircuitStatus.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Source:
    """Where a fact is written: `path:line`, and the forge's link to that line when there is one."""

    path: str
    line: int
    url: str | None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


class Sources:
    """Locations of model objects, as repository-relative paths (the report may be read anywhere)."""

    def __init__(self, fleet: Fleet, repository: Path) -> None:
        self.fleet = fleet
        self.repository = repository.resolve()
        self._paths: dict[int, str] = {}
        forge = fleet.programme.repository
        self._pattern = forge.file_url.replace("{url}", forge.url.rstrip("/")) if forge else None

    def of(self, obj: Any, *path: Any) -> Source:
        document = self.fleet.doc(obj)
        relative = self._paths.get(id(document))
        if relative is None:
            relative = Path(os.path.relpath(document.path.resolve(), self.repository)).as_posix()
            self._paths[id(document)] = relative
        line = document.location(tuple(path)).line
        url = self._pattern.replace("{path}", relative).replace("{line}", str(line)) if self._pattern else None
        return Source(relative, line, url)


@dataclass(frozen=True)
class RenderedFile:
    path: str
    role: str
    sha256: str


@dataclass(frozen=True)
class LastDeploy:
    time: str
    environment: str
    status: str
    commit: str
    reason: str


@dataclass
class DeviceRow:
    hostname: str
    kind: str
    vendor: str
    model: str
    serial: str
    asset_tag: str
    status: str
    management: str
    roles: tuple[str, ...]
    source: Source
    rack: str = ""
    position: int | None = None
    u_height: int = 0
    power_w: int = 0
    files: list[RenderedFile] = field(default_factory=list)
    last_deploy: LastDeploy | None = None


@dataclass(frozen=True)
class CircuitRow:
    site: str
    provider: str
    circuit_id: str
    bandwidth_mbps: int
    status: str
    purpose: str
    source: Source


@dataclass(frozen=True)
class TabletRow:
    district: str
    school: str
    slot: int
    serial: str
    model: str
    mac: str
    status: str
    asset_tag: str
    certificate: str
    handover_date: str
    received_by: str
    address: str
    source: Source


@dataclass(frozen=True)
class CertificateView:
    """The school's acceptance certificate as the report shows it: its number now, the date of handover from
    the tablets' records, how many are handed over, and whether (and where) the certificate was printed."""

    number: str
    handover_date: str
    handed_over: int
    tablets: int
    status: str  # "printed", "outdated" (printed from an earlier version of the file) or "not printed"
    printed_number: str  # the number on the printed paper, when one is found
    link: str  # relative to the school's page: the PDF (or the HTML when no PDF was printed); "" when none


@dataclass(frozen=True)
class VlanRow:
    name: str
    vid: int
    network: str
    gateway: str
    purpose: str


@dataclass
class SchoolView:
    id: str
    name: str
    district: str
    district_name: str
    address: str
    lat: float
    lon: float
    students: int
    synthetic: bool
    prefix: str
    prefix_source: Source | None
    source: Source
    vlans: list[VlanRow]
    devices: list[DeviceRow]
    uplinks: list[CircuitRow]
    tablets: list[TabletRow]
    certificate: CertificateView | None = None  # None when programme.yaml names no signatories

    @property
    def uplink_status(self) -> str:
        """The status the topology colours the school by: its first uplink still in service."""
        live = [u.status for u in self.uplinks if u.status not in ("decommissioned", "deprovisioning")]
        return (live or [u.status for u in self.uplinks] or ["none"])[0]

    @property
    def tablets_by_status(self) -> dict[str, int]:
        counts = Counter(t.status for t in self.tablets)
        return {status: counts[status] for status in TABLET_STATUSES}


@dataclass
class RackView:
    name: str
    u_height: int
    power_budget_w: int
    source: Source
    devices: list[DeviceRow]

    @property
    def power_w(self) -> int:
        return sum(d.power_w for d in self.devices)

    @property
    def mounted(self) -> list[DeviceRow]:
        return [d for d in self.devices if d.position is not None and d.u_height > 0]

    @property
    def zero_u(self) -> list[DeviceRow]:
        return [d for d in self.devices if d not in self.mounted]


@dataclass
class DatacenterView:
    site: str
    name: str
    address: str
    source: Source
    racks: list[RackView]
    devices: list[DeviceRow]
    circuits: list[CircuitRow]
    networks: list[VlanRow]


@dataclass
class DistrictView:
    id: str
    name: str
    code: str
    source: Source
    schools: list[SchoolView]


class FactBuilder:
    """Turns the fleet into views; addresses come from the same derivation render uses."""

    def __init__(self, fleet: Fleet, sources: Sources, manifest: dict[str, Any] | None,
                 last_deploys: dict[str, LastDeploy]) -> None:
        self.fleet = fleet
        self.sources = sources
        self.addressing = Addressing(fleet)
        self.hosts_manifest: dict[str, Any] = (manifest or {}).get("hosts", {})
        self.last_deploys = last_deploys
        self.hosts: dict[tuple[int, int], Host] = {(id(h.owner), h.path[1]): h for h in fleet.hosts}
        self.district_names = {d.id: d.name for d in fleet.programme.districts}

    def device(self, host: Host, management: str) -> DeviceRow:
        model = self.fleet.catalog.get(host.model)
        entry = self.hosts_manifest.get(host.hostname, {})
        files = [RenderedFile(f["path"], f["role"], f["sha256"]) for f in entry.get("files", [])]
        device = host.device
        row = DeviceRow(host.hostname, host.kind, model.vendor if model else "", model.model if model else host.model,
                        host.serial, device.asset_tag or "", host.status, management, host.roles,
                        self.sources.of(host.owner, *host.path), files=files,
                        last_deploy=self.last_deploys.get(host.hostname))
        if model is not None:
            row.u_height, row.power_w = model.u_height, model.power_w
        return row

    def circuit(self, owner: School | Datacenter, site: str, index: int, circuit: Circuit, key: str) -> CircuitRow:
        provider = next((p.name for p in self.fleet.programme.providers if p.id == circuit.provider),
                        circuit.provider)
        return CircuitRow(site, provider, circuit.circuit_id, circuit.bandwidth_mbps, circuit.status,
                          circuit.purpose, self.sources.of(owner, key, index))

    def school(self, school: School) -> SchoolView:
        addressing = self.addressing.school(school)
        hostnames = school.device_hostnames()
        devices = []
        for index, _ in enumerate(school.devices):
            host = self.hosts[(id(school), index)]
            address = addressing.management_address(hostnames[index]) if addressing else None
            devices.append(self.device(host, str(address) if address else ""))
        reservations = {a.path[1]: str(a.address) for a in addressing.tablet_addresses()} if addressing else {}
        tablets = []
        for index, tablet in enumerate(school.tablets):
            handover = tablet.handover
            tablets.append(TabletRow(
                school.district, school.id, tablet.slot, tablet.serial, tablet.model, tablet.mac, tablet.status,
                tablet.asset_tag or "", handover.certificate if handover else "",
                handover.date.isoformat() if handover else "", handover.received_by if handover else "",
                reservations.get(index, ""), self.sources.of(school, "tablets", index)))
        vlans = [VlanRow(v.vlan.name, v.vlan.vid, str(v.network), str(v.gateway), v.vlan.purpose)
                 for v in addressing.vlans] if addressing else []
        prefix = self.fleet.ledger.allocations.get(school.id)
        return SchoolView(
            school.id, school.name, school.district, self.district_names.get(school.district, school.district),
            school.address, school.coordinates.lat, school.coordinates.lon, school.students, school.synthetic,
            str(prefix) if prefix else "", self.sources.of(self.fleet.ledger, "allocations", school.id)
            if prefix else None, self.sources.of(school), vlans, devices,
            [self.circuit(school, school.id, i, c, "uplinks") for i, c in enumerate(school.uplinks)], tablets)

    def datacenter(self, site: Datacenter) -> DatacenterView:
        devices = []
        for index, device in enumerate(site.devices):
            host = self.hosts[(id(site), index)]
            management = next((str(i.address) for i in device.interfaces if i.address is not None), "")
            row = self.device(host, management)
            row.rack, row.position = device.rack or "", device.position
            devices.append(row)
        racks = [RackView(r.name, r.u_height, r.power_budget_w, self.sources.of(site, "racks", i),
                          [d for d in devices if d.rack == r.name]) for i, r in enumerate(site.racks)]
        networks = [VlanRow(n.name, n.vid, str(n.prefix), "", n.purpose) for n in site.networks]
        circuits = [self.circuit(site, site.site, i, c, "circuits") for i, c in enumerate(site.circuits)]
        return DatacenterView(site.site, site.name, site.address, self.sources.of(site), racks, devices, circuits,
                              networks)

    def districts(self, schools: list[SchoolView]) -> list[DistrictView]:
        views = []
        for index, district in enumerate(self.fleet.programme.districts):
            members = [s for s in schools if s.district == district.id]
            if members:
                views.append(DistrictView(district.id, district.name, district.code,
                                          self.sources.of(self.fleet.programme, "districts", index), members))
        return views
