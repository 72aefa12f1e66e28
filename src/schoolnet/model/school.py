"""One school file: a site survey of what the school itself has."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schoolnet.model.types import (
    CircuitStatus,
    DeviceStatus,
    LaxDate,
    LongText,
    Mbps,
    Name,
    OptionalText,
    ReceiverRole,
    Strict,
    TabletStatus,
    Text,
)

SchoolDeviceKind = Literal["edge", "switch", "access_point"]
SCHOOL_DEVICE_SUFFIX = {"edge": "edge", "switch": "sw", "access_point": "ap"}


class Coordinates(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Circuit(Strict):
    """A fiber circuit from a provider: a school uplink or a data-center line."""

    provider: Name
    circuit_id: Text
    bandwidth_mbps: Mbps
    status: CircuitStatus
    purpose: OptionalText = ""


class SchoolDevice(Strict):
    kind: SchoolDeviceKind
    model: Name
    serial: Text
    hostname: Name | None = Field(None, description="derived as <school>-edge, <school>-swN, <school>-apN")
    asset_tag: Text | None = None
    status: DeviceStatus = "active"
    roles: list[Name] | None = None
    uplink_port: Text | None = Field(None, description="the port of this device that faces the edge server")
    ssh_host_key: LongText | None = Field(None, description="pinned public host key, 'ssh-ed25519 AAAA...'")
    ssh_host_key_fingerprint: Text | None = Field(
        None, description="'SHA256:...' of the host key, as recorded at delivery or read at the console; "
                          "`schoolnet switches onboard` pins the key only when it matches")


class Handover(Strict):
    """The signed handover record; no personal names, only the receiving role."""

    certificate: Text
    date: LaxDate
    received_by: ReceiverRole


def tablet_name(school_id: str, slot: int) -> str:
    """A tablet's one name everywhere (DHCP, DNS, IPAM, NetBox): the school's id, then t and its slot in
    three digits: nx-sad-001-t007."""
    return f"{school_id}-t{slot:03d}"


class Tablet(Strict):
    slot: int = Field(ge=1, description="the school's own number for the tablet (sticker T07)")
    serial: Text
    model: Name
    mac: Text
    status: TabletStatus
    asset_tag: Text | None = None
    handover: Handover | None = None


class School(Strict):
    id: Name
    name: Text
    district: Name
    address: Text
    coordinates: Coordinates
    students: int = Field(ge=0)
    synthetic: bool = False
    uplinks: list[Circuit] = Field(default_factory=list)
    devices: list[SchoolDevice] = Field(default_factory=list)
    tablets: list[Tablet] = Field(default_factory=list)

    def device_hostnames(self) -> list[str]:
        """Hostnames of `devices`, in order: explicit ones as written, others derived by kind."""
        counters: dict[str, int] = {}
        names = []
        for device in self.devices:
            counters[device.kind] = counters.get(device.kind, 0) + 1
            if device.hostname:
                names.append(device.hostname)
                continue
            suffix = SCHOOL_DEVICE_SUFFIX.get(device.kind, device.kind)
            number = "" if device.kind == "edge" else str(counters[device.kind])
            names.append(f"{self.id}-{suffix}{number}")
        return names

    def device_ordinals(self) -> list[int]:
        """1-based number of each device among the school's devices of its kind."""
        counters: dict[str, int] = {}
        ordinals = []
        for device in self.devices:
            counters[device.kind] = counters.get(device.kind, 0) + 1
            ordinals.append(counters[device.kind])
        return ordinals
