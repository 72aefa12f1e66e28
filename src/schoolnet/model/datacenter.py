"""A data-center site: racks, networks, servers and network gear."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schoolnet.model.school import Circuit, Coordinates
from schoolnet.model.types import (
    Address,
    DeviceKind,
    DeviceStatus,
    LaxDate,
    LongText,
    Name,
    Network,
    Strict,
    Text,
    VlanId,
    Watts,
)


class Rack(Strict):
    name: Name
    u_height: int = Field(42, ge=1, le=60)
    power_budget_w: Watts


class DcNetwork(Strict):
    name: Name
    vid: VlanId
    prefix: Network
    purpose: Text


class Interface(Strict):
    name: Text
    network: Name | None = None
    address: Address | None = None
    mac: Text | None = None


class DcDevice(Strict):
    hostname: Name
    kind: DeviceKind
    model: Name
    serial: Text
    asset_tag: Text | None = None
    status: DeviceStatus = "active"
    rack: Name | None = None
    position: int | None = Field(None, ge=1, description="lowest rack unit; omit for zero-U gear")
    roles: list[Name] = Field(default_factory=list)
    interfaces: list[Interface] = Field(default_factory=list)
    ssh_host_key: LongText | None = None


class DcLink(Strict):
    """A cable in the server room, from a device's port to another device's port or to a circuit's A side:
    NetBox draws it, so a port traces to the provider."""

    device: Name
    port: Text = Field(description="a port of the device's hardware model, or one of its interfaces")
    peer: Name | None = Field(None, description="the device at the far end (or give `circuit`)")
    peer_port: Text | None = None
    circuit: Text | None = Field(None, description="the id of one of this site's circuits, at the far end")


StockStatus = Literal["in_stock", "in_repair", "lost", "retired"]


class StockTablet(Strict):
    """A procured tablet no school holds: returned from a closed school, or not yet sent to one.  It keeps
    its serial, MAC and where it came from, so its trail does not end when its school's file goes."""

    serial: Text
    model: Name
    mac: Text
    status: StockStatus = "in_stock"
    asset_tag: Text | None = None
    returned_from: Name | None = Field(None, description="the school it came back from, if any")
    returned_on: LaxDate | None = None


class Datacenter(Strict):
    site: Name
    name: Text
    address: Text
    coordinates: Coordinates
    synthetic: bool = False
    racks: list[Rack] = Field(default_factory=list)
    networks: list[DcNetwork] = Field(default_factory=list)
    devices: list[DcDevice] = Field(default_factory=list)
    circuits: list[Circuit] = Field(default_factory=list)
    links: list[DcLink] = Field(default_factory=list, description="the server room's cables")
    stock: list[StockTablet] = Field(default_factory=list, description="tablets in the programme's store")
