"""What a template sees: plain data per host, built from the fleet and its addresses.

Contexts are plain dicts and lists of strings and numbers, so a template never
reaches into the model, and the same context always renders the same bytes.
Inventory values are data: Jinja never evaluates them as template code.
"""

from __future__ import annotations

from functools import cached_property
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from schoolnet.ipam.plan import Addressing, SchoolAddressing
from schoolnet.model.fleet import Fleet, Host
from schoolnet.model.school import School, tablet_name
from schoolnet.model.topology import LAN, WAN, access_ports, downlinks, port_numbers, school_switch_links, uplink_port
from schoolnet.secrets import names as secret_names

Context = dict[str, Any]

# Tablets in these states get their reservation; lost and retired ones are refused by DHCP.
ACTIVE_TABLET = ("handed_over", "in_stock", "in_repair")
SERVICE_NETWORK = "servers"  # data-center hosts offer their services on this network

class ContextBuilder:
    """Builds each host's context; what all data-center hosts share is computed once."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.programme = fleet.programme
        self.addressing = Addressing(fleet)
        self.domain = self.programme.domain
        self._summaries: dict[str, dict[str, Any]] = {}

    def for_host(self, host: Host) -> Context:
        base: Context = {
            "programme": {"name": self.programme.name, "code": self.programme.code, "domain": self.domain},
            "host": {"hostname": host.hostname, "fqdn": f"{host.hostname}.{self.domain}", "kind": host.kind,
                     "roles": list(host.roles), "model": host.model, "serial": host.serial, "site": host.site},
            "dc": self.dc_services,
            "vpn_hub": self.vpn_hub,
        }
        if host.school is not None:
            base |= self._school_context(host, host.school)
        else:
            base |= self.fleet_wide
            base["host"]["addresses"] = self._dc_addresses(host)
        return base

    # --- data-center services every host points at -------------------------------------------

    def _dc_addresses(self, host: Host) -> dict[str, str]:
        device = host.device
        return {i.network: str(i.address) for i in getattr(device, "interfaces", []) if i.network and i.address}

    def _service_address(self, host: Host) -> str | None:
        addresses = self._dc_addresses(host)
        return addresses.get(SERVICE_NETWORK) or next(iter(addresses.values()), None)

    def _with_role(self, role: str) -> list[Host]:
        return [h for h in self.fleet.hosts if h.school is None and role in h.roles]

    @cached_property
    def dc_services(self) -> dict[str, list[str]]:
        def addresses(role: str) -> list[str]:
            return [a for h in self._with_role(role) if (a := self._service_address(h))]

        return {"dns": addresses("dns-authoritative"), "ntp": addresses("ntp-server"),
                "monitoring": addresses("monitoring-server"), "content": addresses("content"),
                "mdm": addresses("mdm")}

    @cached_property
    def vpn_hub(self) -> dict[str, Any]:
        hubs = self._with_role("vpn-hub")
        tunnels = self.programme.supernets.tunnels
        return {
            "hostname": hubs[0].hostname if hubs else None,
            "private_key_secret": secret_names.wireguard_key(hubs[0].hostname) if hubs else None,
            "endpoint": str(self.programme.vpn.endpoint), "port": self.programme.vpn.port,
            "address": str(tunnels.network_address + 1), "tunnels": str(tunnels),
            "prefix_length": tunnels.prefixlen,
            "routes": [str(self.programme.supernets.datacenter), str(tunnels)],
        }

    def tunnel_address(self, plan: SchoolAddressing) -> IPv4Address:
        """A school's WireGuard address, from its prefix's place in the supernet: stable as the ledger."""
        supernet = getattr(self.programme.supernets, self.fleet.ledger.supernet)
        index = (int(plan.prefix.network_address) - int(supernet.network_address)) // plan.prefix.num_addresses
        return self.programme.supernets.tunnels.network_address + 2 + index

    # --- a school ------------------------------------------------------------------------------

    def _plan(self, school: School) -> SchoolAddressing:
        plan = self.addressing.school(school)
        if plan is None:  # validation guarantees a plan; rendering an unvalidated fleet is a bug
            raise ValueError(f"{school.id} has no address plan; run `schoolnet validate`")
        return plan

    def _school_summary(self, school: School) -> dict[str, Any]:
        """Computed once per school, on first use: a one-school render does not pay for the fleet."""
        summary = self._summaries.get(school.id)
        if summary is None:
            summary = self._summaries[school.id] = self.summary(school)
        return summary

    def summary(self, school: School) -> dict[str, Any]:
        """What a data-center host sees of one school."""
        plan = self._plan(school)
        assigned = {a.name: str(a.address) for a in plan.assigned if a.kind != "edge"}
        names = school.device_hostnames()
        edge = next(n for n, d in zip(names, school.devices, strict=True) if d.kind == "edge")
        management = plan.vlans[0]
        return {
            "id": school.id, "name": school.name, "district": school.district,
            "domain": f"{school.id}.{self.domain}", "prefix": str(plan.prefix),
            "edge": {"hostname": edge, "address": str(management.gateway),
                     "tunnel_address": str(self.tunnel_address(plan)),
                     "private_key_secret": secret_names.wireguard_key(edge)},
            "switches": [{"hostname": n, "address": assigned[n]} for n, d in zip(names, school.devices, strict=True)
                         if d.kind == "switch" and n in assigned],
            "tablets": [{"serial": t.serial, "slot": t.slot, "status": t.status} for t in school.tablets],
            "wifi": [{"vlan": v.name, "ssid": f"{self.programme.code}-{v.name}",
                      "passphrase_secret": secret_names.wifi_passphrase(school.id, v.name)}
                     for v in self.programme.vlans if v.wifi],
        }

    def _vlans(self, plan: SchoolAddressing, lan: str) -> list[dict[str, Any]]:
        vlans = []
        for subnet in plan.vlans:
            vlan, network = subnet.vlan, subnet.network
            vlans.append({
                "name": vlan.name, "vid": vlan.vid, "purpose": vlan.purpose, "cidr": str(network),
                "network": str(network.network_address), "netmask": str(network.netmask),
                "prefix_length": network.prefixlen, "gateway": str(subnet.gateway),
                "interface": f"{lan}.{vlan.vid}", "wifi": vlan.wifi,
                "ssid": f"{self.programme.code}-{vlan.name}" if vlan.wifi else None,
                "dhcp": {"first": str(subnet.host(vlan.dhcp.first)), "last": str(subnet.host(vlan.dhcp.last))}
                if vlan.dhcp else None,
                "access_ports": port_numbers(vlan.access_ports),
            })
        return vlans

    def _school_context(self, host: Host, school: School) -> Context:
        plan = self._plan(school)
        summary = self._school_summary(school)
        edge_model = self.fleet.catalog[next(d.model for d in school.devices if d.kind == "edge")]
        ports = edge_model.port_names()
        lan = ports[LAN] if len(ports) > LAN else "eth1"
        vlans = self._vlans(plan, lan)
        uplink = next((u for u in school.uplinks if u.status in ("active", "provisioning", "planned")), None)
        context: Context = {
            "school": {**summary, "students": school.students, "address": school.address,
                       "uplink": uplink.model_dump(mode="json") if uplink else None},
            "vlans": vlans,
            "management": vlans[0],
            "interfaces": {"wan": ports[WAN] if ports else "eth0", "lan": lan},
            "tablets": self._tablets(school, plan),
        }
        if host.kind == "switch":
            context["switch"] = self._switch(host, school, summary, vlans)
        return context

    def _tablets(self, school: School, plan: SchoolAddressing) -> list[dict[str, Any]]:
        subnet = plan.reserving("tablet")
        tablets = school.tablets
        return [{"slot": tablets[p].slot, "serial": tablets[p].serial, "mac": tablets[p].mac,
                 "status": tablets[p].status, "active": tablets[p].status in ACTIVE_TABLET,
                 "hostname": tablet_name(school.id, tablets[p].slot), "address": str(IPv4Address(value)),
                 "vlan": subnet.vlan.name if subnet else None}
                for p, _, value in plan.tablet_reservations()]

    def _switch(self, host: Host, school: School, summary: dict[str, Any],
                vlans: list[dict[str, Any]]) -> dict[str, Any]:
        ports = self.fleet.catalog[host.model].port_names()
        management = vlans[0]
        names = {v["vid"]: v["name"] for v in vlans}
        address = next(s["address"] for s in summary["switches"] if s["hostname"] == host.hostname)
        assignments = [{"port": port, "vlan": vid, "vlan_name": names[vid]}
                       for port, vid in access_ports(self.fleet, host).items() if vid in names]
        peer = next((link.peer.hostname for link in school_switch_links(self.fleet, school) if link.switch is host),
                    summary["edge"]["hostname"])
        return {
            "hostname": host.hostname, "address": address, "netmask": management["netmask"],
            "gateway": management["gateway"], "management_vid": management["vid"],
            "uplink_port": uplink_port(self.fleet, host), "edge": summary["edge"]["hostname"], "uplink_to": peer,
            "access": sorted(assignments, key=lambda a: ports.index(a["port"])),
            "downlinks": [{"port": link.peer_port, "to": link.switch.hostname} for link in downlinks(self.fleet, host)],
            "snmp_auth_secret": secret_names.snmp_auth(school.id),
            "snmp_priv_secret": secret_names.snmp_priv(school.id),
            "admin_secret": secret_names.switch_admin(school.id),
        }

    # --- what data-center hosts see of the whole fleet -------------------------------------------

    @cached_property
    def fleet_wide(self) -> Context:
        schools = [self._school_summary(s) for s in self.fleet.schools]
        dc_hosts: list[dict[str, Any]] = [
            {"hostname": h.hostname, "fqdn": f"{h.hostname}.{self.domain}", "roles": list(h.roles), "kind": h.kind,
             "addresses": self._dc_addresses(h), "service_address": self._service_address(h)}
            for h in self.fleet.hosts if h.school is None]
        nameservers = [h["fqdn"] for h in dc_hosts if "dns-authoritative" in h["roles"]]
        return {"schools": schools, "dc_hosts": dc_hosts, "nameservers": nameservers,
                "reverse_zones": self._reverse_zones(schools, dc_hosts),
                "monitoring_targets": self._monitoring_targets(schools, dc_hosts),
                "mdm": self.programme.mdm.model_dump(mode="json")}

    def dns_names(self) -> dict[IPv4Address, str]:
        """The name DNS gives each address a zone names, read off the very records the templates render:
        an infrastructure address its PTR (the db.<a.b> reverse zones: host.<domain>, the name db.programme
        gives too), an active tablet its school zone's (unbound's local-data: tablet.<school>.<domain>).
        NetBox's dns_name is this, so NetBox and the zones cannot disagree."""
        names: dict[IPv4Address, str] = {}
        for zone in self.fleet_wide["reverse_zones"]:
            for record in zone["records"]:
                fourth, third = record["name"].split(".")
                names[IPv4Address(f"{zone['key']}.{third}.{fourth}")] = record["target"].rstrip(".")
        for school in self.fleet.schools:
            domain = self._school_summary(school)["domain"]
            for tablet in self._tablets(school, self._plan(school)):
                if tablet["active"]:
                    names[IPv4Address(tablet["address"])] = f"{tablet['hostname']}.{domain}"
        return names

    @staticmethod
    def _monitoring_targets(schools: list[dict[str, Any]], dc_hosts: list[dict[str, Any]]) -> dict[str, Any]:
        """Prometheus file_sd target groups: one group per school, one per data-center server."""
        return {
            "edge": [{"targets": [f"{s['edge']['address']}:9100"],
                      "labels": {"school": s["id"], "district": s["district"], "hostname": s["edge"]["hostname"]}}
                     for s in schools],
            "switches": [{"targets": [sw["address"] for sw in s["switches"]],
                          "labels": {"school": s["id"], "district": s["district"]}} for s in schools if s["switches"]],
            "datacenter": [{"targets": [f"{h['addresses']['mgmt']}:9100"], "labels": {"hostname": h["hostname"]}}
                           for h in dc_hosts if h["kind"] == "server" and "mgmt" in h["addresses"]],
        }

    def _reverse_zones(self, schools: list[dict[str, Any]], dc_hosts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One in-addr.arpa zone per /16, holding the PTR records of infrastructure addresses in it."""
        records: dict[IPv4Network, list[tuple[IPv4Address, str]]] = {}

        def add(address: str, fqdn: str) -> None:
            ip = IPv4Address(address)
            records.setdefault(IPv4Network((int(ip) & 0xFFFF0000, 16)), []).append((ip, fqdn))

        for school in schools:
            add(school["edge"]["address"], f"{school['edge']['hostname']}.{self.domain}")
            for switch in school["switches"]:
                add(switch["address"], f"{switch['hostname']}.{self.domain}")
        for host in dc_hosts:
            for address in host["addresses"].values():
                add(address, host["fqdn"])
        zones = []
        for network in sorted(records):
            octets = str(network.network_address).split(".")
            zones.append({
                "name": f"{octets[1]}.{octets[0]}.in-addr.arpa", "key": f"{octets[0]}.{octets[1]}",
                "records": [{"name": f"{str(ip).split('.')[3]}.{str(ip).split('.')[2]}", "target": f"{fqdn}."}
                            for ip, fqdn in sorted(records[network])],
            })
        return zones
