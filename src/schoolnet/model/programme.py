"""programme.yaml and hardware.yaml: what every school shares."""

from __future__ import annotations

import re

from pydantic import Field

from schoolnet.model.types import (
    Address,
    DeviceKind,
    LongText,
    MultilineText,
    Name,
    Network,
    OptionalText,
    Strict,
    Text,
    VlanId,
    Watts,
)


class District(Strict):
    id: Name
    name: Text
    code: Name = Field(description="three letters used in school ids: nx-<code>-NNN")


class DhcpRange(Strict):
    first: int = Field(ge=1, description="host index of the first dynamic address")
    last: int = Field(ge=1, description="host index of the last dynamic address")


class Vlan(Strict):
    """One slice of a school's prefix, identical at every school."""

    name: Name
    vid: VlanId
    purpose: Text
    offset: int = Field(ge=0, description="address offset of the subnet inside the school prefix")
    prefix_length: int = Field(ge=16, le=30)
    gateway: int = Field(1, ge=1, description="host index of the edge server on this VLAN")
    dhcp: DhcpRange | None = None
    reservations: dict[DeviceKind, int] = Field(
        default_factory=dict,
        description="first host index reserved per device kind (switch 1 gets it, switch 2 the next)")
    access_ports: str | None = Field(
        None, pattern=r"^\d+(-\d+)?(,\d+(-\d+)?)*$",
        description="access-switch port numbers in this VLAN, e.g. '1-8' or '9-20,23'")
    wifi: bool = Field(False, description="broadcast as SSID <programme code>-<vlan name>, per-school passphrase")


class Provider(Strict):
    id: Name
    name: Text


class KindDefaults(Strict):
    model: Name | None = None
    roles: list[Name] | None = None


class Supernets(Strict):
    schools: Network
    datacenter: Network
    tunnels: Network


class VpnHub(Strict):
    """Where school edge servers reach the data center's WireGuard hub (its public address)."""

    endpoint: Address
    port: int = Field(51820, ge=1, le=65535)


class Mdm(Strict):
    """Headwind MDM enrollment: what every tablet's provisioning QR code carries."""

    base_url: LongText
    configuration: Name
    launcher_url: LongText
    launcher_checksum: Text = Field(description="URL-safe base64 SHA-256 of the launcher APK")


class Expected(Strict):
    """Fleet invariants the procurement contract fixes; validation holds the inventory to them."""

    schools: int = Field(ge=0)
    districts: int = Field(ge=0)
    tablets: int = Field(ge=0)


class Party(Strict):
    """One side of a handover, as an office, never a person: whoever holds the role signs."""

    role: Text
    organisation: Text | None = Field(None, description="omit on the receiving side: the school itself")


class HandoverParties(Strict):
    """Who signs a school's acceptance certificate, and how its number starts."""

    certificate_prefix: Name = Field(description="e.g. NX-AC: certificates read NX-AC-<SCHOOL>-<digest>")
    handing_over: Party
    receiving: Party


class Repository(Strict):
    """Where the inventory is kept, so the report can link each fact to its line on the forge."""

    url: LongText = Field(pattern=r"^https://[^\s\"'<>]+$")
    file_url: LongText = Field("{url}/blob/main/{path}#L{line}", pattern=r"^[^\s\"'<>]+$",
                           description="a file's line on the forge: {url}, {path} and {line} are filled in")


class SwitchFeature(Strict):
    """A part of a switch's configuration that schoolnet manages: the top-level lines (regular
    expressions, per switch OS) that make it up.  Lines outside every feature are unmanaged:
    reported, never removed."""

    name: Name
    sections: dict[Name, list[Text]] = Field(description="switch OS (as in hardware.yaml) -> regexes of "
                                                          "the feature's top-level lines; `TOP >> INSIDE` "
                                                          "takes only the lines matching INSIDE inside them")


class Observing(Strict):
    """How `schoolnet reconcile` judges what `schoolnet observe` saw."""

    unseen_days: int = Field(14, ge=1, le=3650, description="a handed-over tablet not seen on the school's "
                             "network for this many days is a difference (SN954)")
    watched_vlans: list[Name] = Field(default_factory=lambda: ["tablets", "staff"],
                                      description="VLANs where a MAC the inventory does not know is a difference "
                                      "(SN955)")


class Programme(Strict):
    name: Text
    code: Name
    synthetic: bool = False
    description: MultilineText = ""
    domain: Name = Field(description="DNS domain of the programme; each school is <school-id>.<domain>")
    time_zone: Text = Field("Asia/Baku", description="IANA time zone of every school and data center (NetBox sites)")
    vpn: VpnHub
    supernets: Supernets
    school_prefix_length: int = Field(ge=16, le=28)
    vlans: list[Vlan] = Field(min_length=1)
    districts: list[District] = Field(min_length=1)
    providers: list[Provider] = Field(default_factory=list)
    expected: Expected
    mdm: Mdm
    defaults: dict[DeviceKind, KindDefaults] = Field(default_factory=dict)
    handover: HandoverParties | None = None
    repository: Repository | None = None
    switch_features: list[SwitchFeature] = Field(default_factory=list)
    observe: Observing = Field(default_factory=Observing)


class HardwareModel(Strict):
    id: Name
    vendor: Text
    model: Text
    kind: DeviceKind
    u_height: int = Field(0, ge=0, le=60)
    power_w: Watts = 0
    os: OptionalText = ""
    ports: list[Text] = Field(default_factory=list, description="port names; a trailing N-M is a range")

    def port_names(self) -> list[str]:
        return expand_ports(self.ports)


class Hardware(Strict):
    models: list[HardwareModel]


_RANGE = re.compile(r"^(?P<stem>.*?)(?P<first>\d+)-(?P<last>\d+)$")


def expand_ports(specs: list[str]) -> list[str]:
    """`GigabitEthernet0/0/1-24` -> 24 port names; other specs stand for themselves."""
    names: list[str] = []
    for spec in specs:
        match = _RANGE.match(spec)
        if match and int(match["first"]) <= int(match["last"]):
            names.extend(f"{match['stem']}{n}" for n in range(int(match["first"]), int(match["last"]) + 1))
        else:
            names.append(spec)
    return names
