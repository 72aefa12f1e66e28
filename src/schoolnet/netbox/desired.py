"""The fleet as NetBox objects: what git says NetBox should hold, each with the line that says it.

Every object is a mapping type, a key and the owned attrs (references as keys of other
desired objects, resolved to ids only when writing) plus the inventory location it comes
from, so a plan line, a NetBox error or a drift report can point at the file:line to edit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from schoolnet.inventory.yamlload import Document
from schoolnet.ipam.plan import Addressing, SchoolAddressing
from schoolnet.model.datacenter import Datacenter
from schoolnet.model.fleet import Fleet, Host
from schoolnet.model.school import Circuit, School, Tablet, tablet_name
from schoolnet.model.topology import LAN, access_ports, downlinks, school_switch_links, uplink_port
from schoolnet.model.types import DEVICE_KINDS
from schoolnet.netbox.cables import datacenter_cables, school_cables
from schoolnet.netbox.errors import NetboxError
from schoolnet.netbox.mapping import (
    BY_NAME,
    CUSTOM_FIELDS,
    FIELD_DESCRIPTION,
    TAG,
    TAG_DESCRIPTION,
    TYPES,
    Key,
    Value,
    canonical,
    check_names,
    key_of,
)
from schoolnet.netbox.platforms import CONTEXT_PREFIX, CONTEXT_WEIGHT, PLATFORMS, context_data
from schoolnet.netbox.ports import speed_of
from schoolnet.problems import Location
from schoolnet.render.context import ContextBuilder

TABLET_ROLE = "tablet"
# schoolnet's tablet states in NetBox's device statuses.
TABLET_STATUS = {"in_stock": "inventory", "handed_over": "active", "in_repair": "failed", "lost": "offline",
                 "retired": "decommissioning"}
ROLE_COLORS = {"edge": "2196f3", "server": "3f51b5", "switch": "009688", "firewall": "f44336", "storage": "795548",
               "pdu": "9e9e9e", "access_point": "8bc34a", "tablet": "ff9800"}
# Port names -> NetBox interface types; the catalog names ports, not their media.
PORT_TYPES = ((r"^XGigabitEthernet|^10GE|^TenGigabitEthernet|^x\d", "10gbase-x-sfpp"),
              (r"^100GE", "100gbase-x-qsfp28"), (r"^GigabitEthernet\d+/1/", "1000base-x-sfp"),
              (r"^(GigabitEthernet|eno|eth|enp|mgmt|ha$|port\d)", "1000base-t"),
              (r"^wlan", "ieee802.11ac"))
EDGE_PORTS = ("uplink to the provider", "trunk to the school's switches")
MANAGEMENT_PORTS = frozenset({"mgmt"})  # out-of-band ports: NetBox's mgmt_only
CIRCUIT_TYPES = {"school-uplink": "School uplink", "datacenter-line": "Data-center line"}
# A school's whole prefix is a container (its VLAN subnets are the active prefixes) with this role; a VLAN and
# its subnet have the role of the VLAN's name in the plan, a data-center network "dc-" and its name.
SCHOOL_ROLE = "school"
DC_REGION = ("datacenters", "Data centers")  # the data centers' region: they serve every district, in none


def port_type(name: str) -> str:
    return next((kind for pattern, kind in PORT_TYPES if re.match(pattern, name)), "other")


def vlan_interface(os: str, lan: str, vid: int) -> str:
    """The name the device itself gives its interface on a VLAN (as the rendered configs do)."""
    if os == "huawei-vrp":
        return f"Vlanif{vid}"
    if os == "cisco-ios":
        return f"Vlan{vid}"
    if os.startswith("debian"):
        return f"{lan}.{vid}"
    return f"vlan{vid}"


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# Where an owned attr is written inside its inventory object, when the inventory spells it directly:
# a hand edit of that field in NetBox is reported at this line, not at the object's first line.
FIELD_PATHS: dict[str, tuple[str, ...]] = {
    "serial": ("serial",), "asset_tag": ("asset_tag",), "status": ("status",), "position": ("position",),
    "schoolnet_handover_certificate": ("handover", "certificate"), "schoolnet_handover_date": ("handover", "date"),
    "schoolnet_handover_received_by": ("handover", "received_by"), "physical_address": ("address",),
    "latitude": ("coordinates", "lat"), "longitude": ("coordinates", "lon"), "cid": ("circuit_id",),
    "commit_rate": ("bandwidth_mbps",), "description": ("purpose",),
}


@dataclass
class DesiredObject:
    type: str
    key: Key
    attrs: dict[str, Value]
    location: Location
    origin: tuple[Document, tuple[Any, ...]] | None = None  # (its inventory file, the path to it there)


@dataclass
class Desired:
    """Desired objects per type, in the mapping's order."""

    objects: dict[str, dict[Key, DesiredObject]] = field(default_factory=lambda: {t.name: {} for t in TYPES})

    @staticmethod
    def field_location(want: DesiredObject, name: str) -> Location:
        """The line that writes `name` of `want` (looked up only when asked: drift is rare)."""
        if want.origin is None or name not in FIELD_PATHS:
            return want.location
        document, path = want.origin
        return document.location((*path, *FIELD_PATHS[name]))

    def add(self, type_name: str, location: Location, origin: tuple[Document, tuple[Any, ...]] | None = None,
            **attrs: Value) -> Key:
        object_type = BY_NAME[type_name]
        missing = {a.name for a in object_type.attrs} - set(attrs)
        if missing:
            raise ValueError(f"{type_name} lacks {sorted(missing)}")  # a bug in this module, not bad input
        attrs = {a.name: canonical(a, attrs[a.name]) for a in object_type.attrs}  # as NetBox's will read
        check_names(object_type, attrs, str(location))
        key = key_of(object_type, attrs)
        earlier = self.objects[type_name].get(key)
        if earlier is not None:
            if earlier.attrs == attrs:
                return key
            raise NetboxError(f"{location}: {type_name} {' '.join(key)} is also written at {earlier.location} "
                              "with other values; NetBox identifies them as one object (make them differ)")
        self.objects[type_name][key] = DesiredObject(type_name, key, attrs, location, origin)
        return key

    def counts(self) -> dict[str, int]:
        return {name: len(objects) for name, objects in self.objects.items()}

    def all(self) -> list[DesiredObject]:
        return [o for objects in self.objects.values() for o in objects.values()]


class _Builder:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.out = Desired()
        self.addressing = Addressing(fleet)
        self.top = fleet.loc(fleet.programme)
        self.dns_names = ContextBuilder(fleet).dns_names()
        self.vlans: dict[str, dict[int, Key]] = {}  # per school, its VLANs' keys by VID
        self.hosts: dict[int, list[Host]] = {}
        for host in fleet.hosts:
            self.hosts.setdefault(id(host.owner), []).append(host)

    def device(self, location: Location, name: str, model: str, kind: str, site: str, status: str, serial: str,
               asset_tag: str | None, rack: Key | None = None, position: int | None = None,
               handover: tuple[str, str, str] = ("", "", ""),
               origin: tuple[Document, tuple[Any, ...]] | None = None) -> Key:
        os = self.fleet.catalog[model].os if model in self.fleet.catalog else ""
        platform = PLATFORMS[os].netmiko if os in PLATFORMS else None
        return self.out.add("dcim.device", location, origin, name=name, device_type=(model,), role=(slugify(kind),),
                            platform=(platform,) if platform else None, site=(site,), status=status, serial=serial,
                            asset_tag=asset_tag, rack=rack, position=position,
                            face="front" if position is not None else None,
                            schoolnet_handover_certificate=handover[0], schoolnet_handover_date=handover[1],
                            schoolnet_handover_received_by=handover[2], primary_ip4=None)

    def interface(self, location: Location, device: Key, name: str, kind: str | None = None,
                  mac: str | None = None, description: str = "", mode: str | None = None, vlan: Key | None = None,
                  parent: Key | None = None) -> Key:
        kind = kind or port_type(name)
        key = self.out.add("dcim.interface", location, device=device, name=name, type=kind, speed=speed_of(kind),
                           mgmt_only=name in MANAGEMENT_PORTS, description=description, mode=mode,
                           untagged_vlan=vlan, parent=parent, primary_mac_address=(mac.lower(),) if mac else None)
        if mac:
            self.out.add("dcim.macaddress", location, mac_address=mac.lower(), assigned_object=key)
        return key

    def address(self, location: Location, interface: Key, value: IPv4Address, network: IPv4Network,
                primary: bool) -> None:
        """An address on its interface; the device's primary IPv4 only when automation should reach it.

        Ansible's nb_inventory and Nornir's NetBoxInventory2 connect to a device's primary address, and
        with it Ansible's usual `has_primary_ip` filter makes it a target: so only an active device that
        is not a tablet holds one.  A tablet's reserved address stays, with the DHCP status (the edge
        server leases it), and an inactive device's addresses stay on their interfaces."""
        device = self.out.objects["dcim.device"][interface[:-1]]
        tablet = device.attrs["role"] == (TABLET_ROLE,)
        key = self.out.add("ipam.ipaddress", location, address=f"{value}/{network.prefixlen}",
                           assigned_object=interface, status="dhcp" if tablet else "active",
                           dns_name=self.dns_names.get(value, ""), description="")
        if primary and not tablet and device.attrs["status"] == "active":
            device.attrs["primary_ip4"] = key

    def setup(self) -> None:
        self.out.add("extras.tag", self.top, name=TAG, slug=TAG, color="607d8b", description=TAG_DESCRIPTION)
        for name, (kind, object_types, label, visible) in CUSTOM_FIELDS.items():
            self.out.add("extras.customfield", self.top, name=name, type=kind, object_types=object_types,
                         label=label, description=FIELD_DESCRIPTION,
                         ui_visible="always" if visible else "hidden", ui_editable="no" if visible else "hidden")

    def platform(self, location: Location, os: str) -> None:
        """A platform named by netmiko's device type, with Ansible's names in a config context (platforms.py)."""
        known = PLATFORMS.get(os)
        if known is None:
            raise NetboxError(f"{location}: os {os!r} names no platform schoolnet can publish; known: "
                              f"{', '.join(sorted(PLATFORMS))} (add it to schoolnet/netbox/platforms.py)")
        slug = self.out.add("dcim.platform", location, name=known.netmiko, slug=known.netmiko,
                            description=f"{known.label} (os: {os} in hardware.yaml)")
        if known.network_os:
            self.out.add("extras.configcontext", location, name=CONTEXT_PREFIX + known.netmiko,
                         description=FIELD_DESCRIPTION, weight=CONTEXT_WEIGHT, is_active=True, platforms=slug,
                         data=json.dumps(context_data(known)))

    def catalog(self) -> None:
        fleet = self.fleet
        for kind in DEVICE_KINDS:
            location = fleet.loc(fleet.programme, "defaults", kind)
            self.out.add("dcim.devicerole", location, name=kind.replace("_", " ").capitalize(), slug=slugify(kind),
                         color=ROLE_COLORS.get(kind, "9e9e9e"), vm_role=False)
        for index, model in enumerate(fleet.hardware.models):
            location = fleet.loc(fleet.hardware, "models", index)
            vendor = self.out.add("dcim.manufacturer", fleet.loc(fleet.hardware, "models", index, "vendor"),
                                  name=model.vendor, slug=slugify(model.vendor))
            self.out.add("dcim.devicetype", location, manufacturer=vendor, model=model.model, slug=model.id,
                         u_height=model.u_height, schoolnet_power_draw_w=model.power_w or None)
            for name in model.port_names():
                self.out.add("dcim.interfacetemplate", fleet.loc(fleet.hardware, "models", index, "ports"),
                             device_type=(model.id,), name=name, type=port_type(name),
                             mgmt_only=name in MANAGEMENT_PORTS, description=FIELD_DESCRIPTION)
            if model.os:
                self.platform(fleet.loc(fleet.hardware, "models", index, "os"), model.os)
        for index, provider in enumerate(fleet.programme.providers):
            self.out.add("circuits.provider", fleet.loc(fleet.programme, "providers", index), name=provider.name,
                         slug=provider.id)
        self.out.add("ipam.role", fleet.loc(fleet.programme, "supernets", "schools"), name=SCHOOL_ROLE,
                     slug=SCHOOL_ROLE, description="a school's whole prefix (ipam.yaml), its VLANs' subnets inside")
        for index, vlan in enumerate(fleet.programme.vlans):
            self.out.add("ipam.role", fleet.loc(fleet.programme, "vlans", index), name=vlan.name,
                         slug=slugify(vlan.name), description=vlan.purpose)
        for slug, name in CIRCUIT_TYPES.items():
            self.out.add("circuits.circuittype", self.top, name=name, slug=slug)
        for index, district in enumerate(fleet.programme.districts):
            self.out.add("dcim.region", fleet.loc(fleet.programme, "districts", index), name=district.name,
                         slug=district.id)

    def circuits(self, owner: School | Datacenter, site: str, key: str, circuits: list[Circuit], kind: str) -> None:
        for index, circuit in enumerate(circuits):
            location = self.fleet.loc(owner, key, index)
            if (circuit.provider,) not in self.out.objects["circuits.provider"]:
                self.out.add("circuits.provider", location, name=circuit.provider, slug=circuit.provider)
            ckey = self.out.add("circuits.circuit", location, (self.fleet.doc(owner), (key, index)),
                                provider=(circuit.provider,), cid=circuit.circuit_id,
                                type=(kind,), status=circuit.status, commit_rate=circuit.bandwidth_mbps * 1000,
                                description=circuit.purpose)
            self.out.add("circuits.circuittermination", location, circuit=ckey, term_side="A",
                         termination=(site,))

    def vlan_group(self, location: Location, site: str) -> Key:
        return self.out.add("ipam.vlangroup", location, name=site, slug=site, scope=(site,))

    def school(self, school: School) -> None:
        fleet, out = self.fleet, self.out
        site = out.add("dcim.site", fleet.loc(school, "id"), (fleet.doc(school), ()), name=school.name,
                       slug=school.id, status="active",
                       region=(school.district,), physical_address=school.address,
                       latitude=school.coordinates.lat, longitude=school.coordinates.lon,
                       time_zone=fleet.programme.time_zone, facility=school.id.upper(),
                       schoolnet_synthetic=school.synthetic)
        plan = self.addressing.school(school)
        if plan is not None:
            self.school_networks(school, plan)
        for host in self.hosts.get(id(school), []):
            self.school_host(school, host, plan)
        for index, tablet in enumerate(school.tablets):
            self.tablet(school, index, tablet, plan)
        self.circuits(school, site[0], "uplinks", school.uplinks, "school-uplink")
        school_cables(self.out, fleet, school, self.hosts.get(id(school), []))

    def school_networks(self, school: School, plan: SchoolAddressing) -> None:
        fleet = self.fleet
        group = self.vlan_group(fleet.loc(fleet.ledger, "allocations", school.id), school.id)
        self.out.add("ipam.prefix", fleet.loc(fleet.ledger, "allocations", school.id), prefix=str(plan.prefix),
                     scope=(school.id,), vlan=None, status="container", role=(SCHOOL_ROLE,),
                     description=f"{school.id} (ipam.yaml)")
        for index, subnet in enumerate(plan.vlans):
            location = fleet.loc(fleet.programme, "vlans", index)
            role = (slugify(subnet.vlan.name),)
            vlan = self.out.add("ipam.vlan", location, group=group, vid=subnet.vlan.vid, name=subnet.vlan.name,
                                status="active", role=role, description=subnet.vlan.purpose)
            self.vlans.setdefault(school.id, {})[subnet.vlan.vid] = vlan
            self.out.add("ipam.prefix", location, prefix=str(subnet.network), scope=(school.id,), vlan=vlan,
                         status="active", role=role, description=subnet.vlan.purpose)

    def school_host(self, school: School, host: Host, plan: SchoolAddressing | None) -> None:
        fleet = self.fleet
        location = fleet.host_location(host)
        device = self.device(location, host.hostname, host.model, host.kind, school.id, host.status, host.serial,
                             host.device.asset_tag, origin=(fleet.doc(host.owner), host.path))
        model = fleet.catalog.get(host.model)
        ports = model.port_names() if model else []
        uplink = getattr(host.device, "uplink_port", None)
        vlans = self.vlans.get(school.id, {})
        if host.kind == "edge":  # the catalog's first port faces the provider, the second the school (as render)
            for index, name in enumerate(ports):  # the school side carries every VLAN, tagged (eno2.X)
                self.interface(location, device, name, description=EDGE_PORTS[index] if index < 2 else "",
                               mode="tagged-all" if index == LAN else None)
        else:  # every catalogue port (NetBox makes them from the type's template); access ports as render plans them
            if host.kind == "switch":
                uplink = uplink_port(fleet, host)  # as render: a switch's last port by default
            declared = getattr(host.device, "uplink_port", None)
            uplink_at = fleet.host_location(host, "uplink_port") if declared else location
            access = access_ports(fleet, host) if host.kind == "switch" else {}
            trunks = {link.peer_port: link.switch.hostname for link in downlinks(fleet, host)}
            for name in ports:
                if name == uplink:
                    continue
                if name in trunks:
                    self.interface(location, device, name, description=f"downlink to {trunks[name]}", mode="tagged-all")
                    continue
                vid = access.get(name)
                self.interface(location, device, name, mode="access" if vid in vlans else None,
                               vlan=vlans.get(vid) if vid is not None else None)
            if uplink:
                peer = next((link.peer.hostname for link in school_switch_links(fleet, school) if link.switch is host),
                            "the edge server")
                self.interface(uplink_at, device, uplink, description=f"uplink to {peer}", mode="tagged-all")
        if plan is None:
            return
        lan = ports[LAN] if len(ports) > LAN else "eth1"
        parent = (host.hostname, lan) if host.kind == "edge" and lan in ports else None
        management = plan.management_address(host.hostname)
        for assigned in plan.assigned:
            if assigned.name != host.hostname:
                continue
            subnet = plan.vlan(assigned.vlan)
            name = vlan_interface(model.os if model else "", lan, subnet.vlan.vid)
            on_lan = parent is not None  # eno2.X: a sub-interface of the trunk, in its one VLAN
            interface = self.interface(location, device, name, "virtual",
                                       description=f"VLAN {subnet.vlan.vid} {subnet.vlan.name}",
                                       mode="access" if on_lan else None,
                                       vlan=vlans.get(subnet.vlan.vid) if on_lan else None, parent=parent)
            self.address(location, interface, assigned.address, subnet.network, assigned.address == management)

    def tablet(self, school: School, index: int, tablet: Tablet, plan: SchoolAddressing | None) -> None:
        location = self.fleet.loc(school, "tablets", index)
        handover = tablet.handover
        device = self.device(location, tablet_name(school.id, tablet.slot), tablet.model, "tablet", school.id,
                             TABLET_STATUS[tablet.status], tablet.serial, tablet.asset_tag,
                             handover=(handover.certificate, handover.date.isoformat(), handover.received_by)
                             if handover else ("", "", ""), origin=(self.fleet.doc(school), ("tablets", index)))
        interface = self.interface(location, device, "wlan0", mac=tablet.mac)
        subnet = plan.reserving("tablet") if plan else None
        if subnet is not None:
            offset = subnet.vlan.reservations["tablet"] - 1
            self.address(location, interface, subnet.host(offset + tablet.slot), subnet.network, True)

    def datacenter(self, dc: Datacenter) -> None:
        fleet, out = self.fleet, self.out
        region = out.add("dcim.region", fleet.loc(dc, "site"), slug=DC_REGION[0], name=DC_REGION[1])
        out.add("dcim.site", fleet.loc(dc, "site"), name=dc.name, slug=dc.site, status="active", region=region,
                physical_address=dc.address, latitude=dc.coordinates.lat, longitude=dc.coordinates.lon,
                time_zone=fleet.programme.time_zone, facility=dc.site.upper(), schoolnet_synthetic=dc.synthetic)
        for index, rack in enumerate(dc.racks):
            out.add("dcim.rack", fleet.loc(dc, "racks", index), site=(dc.site,), name=rack.name, status="active",
                    u_height=rack.u_height)
        networks: dict[str, IPv4Network] = {}
        if dc.networks:
            group = self.vlan_group(fleet.loc(dc, "networks"), dc.site)
            for index, net in enumerate(dc.networks):
                location = fleet.loc(dc, "networks", index)
                role = out.add("ipam.role", location, name=f"dc-{net.name}", slug=f"dc-{slugify(net.name)}",
                               description=net.purpose)
                vlan = out.add("ipam.vlan", location, group=group, vid=net.vid, name=net.name, status="active",
                               role=role, description=net.purpose)
                out.add("ipam.prefix", location, prefix=str(net.prefix), scope=(dc.site,), vlan=vlan,
                        status="active", role=role, description=net.purpose)
                networks[net.name] = net.prefix
        for host in self.hosts.get(id(dc), []):
            self.dc_host(dc, host, networks)
        self.circuits(dc, dc.site, "circuits", dc.circuits, "datacenter-line")
        datacenter_cables(out, fleet, dc)

    def dc_host(self, dc: Datacenter, host: Host, networks: dict[str, IPv4Network]) -> None:
        device = host.device
        location = self.fleet.host_location(host)
        rack = getattr(device, "rack", None)
        key = self.device(location, host.hostname, host.model, host.kind, dc.site, host.status, host.serial,
                          device.asset_tag, (dc.site, rack) if rack else None, getattr(device, "position", None),
                          origin=(self.fleet.doc(host.owner), host.path))
        primary = True
        named = {port.name for port in getattr(device, "interfaces", [])}
        model = self.fleet.catalog.get(host.model)
        for name in model.port_names() if model else []:  # the catalogue's ports the inventory says nothing more of
            if name not in named:
                self.interface(location, key, name)
        for index, port in enumerate(getattr(device, "interfaces", [])):
            where = self.fleet.host_location(host, "interfaces", index)
            interface = self.interface(where, key, port.name, mac=port.mac)
            if port.address is not None:
                network = networks.get(port.network or "") or next(
                    (n for n in networks.values() if port.address in n), IPv4Network(f"{port.address}/32"))
                self.address(where, interface, port.address, network, primary)
                primary = False


def build_desired(fleet: Fleet) -> Desired:
    """Every object schoolnet owns in NetBox, from a validated fleet."""
    fleet.require_validated("netbox")
    builder = _Builder(fleet)
    builder.setup()
    builder.catalog()
    for dc in fleet.datacenters:
        builder.datacenter(dc)
    for school in fleet.schools:
        builder.school(school)
    return builder.out
