"""What `changes` compares, declared once per kind of entity (diffsync's model): which field
identifies an entity, which attributes are compared, whose child it is, and how each
difference is said in one plain sentence.

Values are compared as the file writes them: a device without `model:` compares as "the
programme default", so a change of the default is said once (under the programme), not
once per device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from schoolnet.model.datacenter import Datacenter
from schoolnet.model.fleet import Fleet
from schoolnet.model.school import School

Values = dict[str, Any]
Diff = tuple[str, Any, Any]  # attribute, old, new

SCHOOL_KINDS = {"edge": ("Edge server", "edge server", "edge servers"), "switch": ("Switch", "switch", "switches"),
                "access_point": ("Access point", "access point", "access points")}
DEVICE_LABELS = {"edge": "Edge server", "server": "Server", "switch": "Switch", "firewall": "Firewall",
                 "storage": "Storage", "pdu": "PDU", "access_point": "Access point", "tablet": "Tablet"}
TABLET_EVENTS = {"handed_over": "handed over", "in_stock": "returned", "in_repair": "sent to repair",
                 "lost": "reported lost", "retired": "retired"}
TABLET_ACTIONS = {"handed_over": "handed-over", "in_stock": "returned", "in_repair": "sent-to-repair", "lost": "lost",
                  "retired": "retired"}
TABLET_STATES = {"handed_over": "handed over", "in_stock": "in stock", "in_repair": "in repair", "lost": "lost",
                 "retired": "retired"}
LABELS = {"asset_tag": "asset tag", "uplink_port": "uplink port", "bandwidth_mbps": "bandwidth", "mac": "Wi-Fi MAC",
          "u_height": "height", "power_budget_w": "power budget", "power_w": "power", "prefix_length": "prefix length",
          "vid": "VLAN id", "school_prefix_length": "school prefix length", "access_ports": "access ports",
          "ssh_host_key": "SSH host key", "host_key": "host key", "ssh_user": "SSH user", "ssh_port": "SSH port",
          "ssh_key": "SSH key", "jump_host": "jump host", "unavailable_services": "unavailable services",
          "start_services": "start services", "site": "site"}
UNITS = {"bandwidth_mbps": " Mbit/s", "power_budget_w": " W", "power_w": " W", "u_height": "U"}
QUOTED = frozenset({"name", "address", "purpose", "description"})
KEYS = frozenset({"ssh_host_key", "host_key"})  # long public keys: said as pinned/changed, not printed


@dataclass(frozen=True)
class Record:
    """One entity as one revision has it."""

    key: str
    values: Values  # the compared attributes, as plain data
    area: str  # "school:ID", "datacenter:SITE", "programme", "environments": where it is grouped and scoped
    owner: Any  # the file-level model object it is written in (for file:line)
    path: tuple[Any, ...] = ()  # where inside that file
    info: Values = field(default_factory=dict)  # what sentences say beside the compared values
    parent: tuple[str, str] | None = None  # (kind, key): added or removed with it, it is said with it
    paths: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # where this record's own attributes are


@dataclass(frozen=True)
class Kind:
    """One kind of entity: its identity and compared attributes, and how its changes read."""

    name: str
    identity: str
    attributes: tuple[str, ...]
    records: Callable[[Fleet, list[School]], Iterator[Record]]  # the fleet's, and those of the schools given
    added: Callable[[Record], str]
    removed: Callable[[Record], str]
    changed: Callable[[Record, Record, list[Diff]], tuple[str, str]]  # (action, sentence)
    paths: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # where an attribute is written, if not at its name
    compared: Callable[[Record, Record], list[str]] | None = None  # attributes named by the records themselves
    # Attributes no template context holds (render/context.py), so changing them alone alters no rendered
    # file: "*" for the whole kind, "expected." for a group.  Only attribution reads this; a host whose
    # files change that no change claims is still said ("unexplained"), so a wrong entry hides nothing.
    inert: frozenset[str] = frozenset()

    def renders(self, attributes: list[str]) -> bool:
        """Whether a change of these attributes can alter a rendered file."""
        if "*" in self.inert:
            return False
        groups = tuple(g for g in self.inert if g.endswith("."))
        return not all(a in self.inert or a.startswith(groups) for a in attributes)

    def diff(self, old: Record, new: Record) -> list[Diff]:
        names = self.compared(old, new) if self.compared else self.attributes
        return [(a, old.values.get(a), new.values.get(a)) for a in names if old.values.get(a) != new.values.get(a)]

    def where(self, record: Record, attribute: str | None = None) -> tuple[Any, ...]:
        if attribute is None:
            return record.path
        if attribute in record.paths:
            return (*record.path, *record.paths[attribute])
        return (*record.path, *self.paths.get(attribute, tuple(attribute.split("."))))


# --- how values read -------------------------------------------------------------------------------


def shown(attribute: str, value: Any) -> str:
    if value is None:
        return "programme default" if attribute in ("model", "roles") else "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "none"
    if isinstance(value, dict):
        if set(value) >= {"certificate", "date", "received_by"}:
            return handover_words(value)
        if set(value) == {"lat", "lon"}:
            return f"{value['lat']}, {value['lon']}"
        return ", ".join(f"{k} {shown(k, v)}" for k, v in value.items()) or "none"
    text = f"{value}{UNITS.get(attribute, '')}"
    free = isinstance(value, str) and ("," in value or any(c.isspace() for c in value))  # would read as several
    return f'"{text}"' if free or attribute.rsplit(".", 1)[-1] in QUOTED else text


def label(attribute: str) -> str:
    """A field in words; a dotted programme field as written, so it can be searched for."""
    return attribute if "." in attribute else LABELS.get(attribute, attribute.replace("_", " "))


def said(diff: Diff) -> str:
    """One difference: `status active → offline`; public keys are said, not printed."""
    attribute, old, new = diff
    if attribute in KEYS:
        verb = "pinned" if old is None else "unpinned" if new is None else "changed"
        return f"{label(attribute)} {verb}"
    return f"{label(attribute)} {shown(attribute, old)} → {shown(attribute, new)}"


def listed(diffs: list[Diff]) -> str:
    return ", ".join(said(d) for d in diffs)


def counted(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def handover_words(handover: Values) -> str:
    return f"certificate {handover['certificate']}, {handover['date']}, to {handover['received_by']}"


def generic_change(subject: Callable[[Record], str]) -> Callable[[Record, Record, list[Diff]], tuple[str, str]]:
    return lambda old, new, diffs: ("changed", f"{subject(new)}: {listed(diffs)}.")


def dumped(model: Any, *exclude: str) -> Values:
    return dict(model.model_dump(mode="json", exclude=set(exclude)))


def written(owner_data: Any, *path: Any) -> Any:
    """A value as the file writes it (None when a programme default fills it)."""
    node = owner_data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


# --- schools ---------------------------------------------------------------------------------------


def _schools(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    districts = {d.id: d.name for d in fleet.programme.districts}
    for school in schools:
        kinds = [d.kind for d in school.devices]
        devices = [counted(kinds.count(k), one, many) for k, (_, one, many) in SCHOOL_KINDS.items() if k in kinds]
        prefix = fleet.ledger.allocations.get(school.id)
        yield Record(school.id, dumped(school, "uplinks", "devices", "tablets"), f"school:{school.id}", school,
                     info={"district": districts.get(school.district, school.district),
                           "contents": ", ".join([*devices, counted(len(school.tablets), "tablet", "tablets"),
                                                  f"prefix {prefix}" if prefix else "no prefix"])})


def _school_summary(verb: str) -> Callable[[Record], str]:
    return lambda r: (f"School {r.key} ({r.values['name']}) {verb} {r.info['district']}: {r.info['contents']}.")


SCHOOL = Kind("school", "id", ("name", "district", "address", "coordinates", "students", "synthetic"), _schools,
              _school_summary("added in"), _school_summary("removed from"), generic_change(lambda r: f"School {r.key}"),
              inert=frozenset({"coordinates", "synthetic"}))


def _school_devices(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for school in schools:
        data = fleet.doc(school).data
        for index, (hostname, device) in enumerate(zip(school.device_hostnames(), school.devices, strict=True)):
            values = dumped(device, "hostname") | {"school": school.id,
                                                   "model": written(data, "devices", index, "model")}
            yield Record(hostname, values, f"school:{school.id}", school, ("devices", index),
                         {"label": DEVICE_LABELS.get(device.kind, device.kind), "model": device.model},
                         ("school", school.id))


def _device_change(old: Record, new: Record, diffs: list[Diff]) -> tuple[str, str]:
    subject = f"{new.info['label']} {new.key}"
    serial = next((d for d in diffs if d[0] == "serial"), None)
    if serial is None:
        return "changed", f"{subject}: {listed(diffs)}."
    rest = [d for d in diffs if d[0] != "serial"]
    return "replaced", f"{subject} replaced: {said(serial)}{', ' + listed(rest) if rest else ''}."


def _site(record: Record) -> str:
    return str(record.values.get("school") or record.values.get("site"))


DEVICE = Kind("device", "hostname", ("school", "kind", "model", "serial", "asset_tag", "status", "roles", "uplink_port",
                                     "ssh_host_key"), _school_devices,
              lambda r: f"{r.info['label']} {r.key} added at {_site(r)}: {r.info['model']}, "
                        f"serial {r.values['serial']}.",
              lambda r: f"{r.info['label']} {r.key} removed from {_site(r)} (serial {r.values['serial']}).",
              _device_change, paths={"school": ()}, inert=frozenset({"asset_tag", "ssh_host_key"}))


def _tablets(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for school in schools:
        data = fleet.doc(school).data
        for index, tablet in enumerate(school.tablets):
            values = dumped(tablet) | {"school": school.id, "model": written(data, "tablets", index, "model")}
            yield Record(tablet.serial, values, f"school:{school.id}", school, ("tablets", index),
                         parent=("school", school.id))


def _tablet_state(tablet: Values) -> str:
    state = str(TABLET_STATES.get(tablet["status"], tablet["status"]))
    return f"{state} ({handover_words(tablet['handover'])})" if tablet.get("handover") else state


def _tablet_change(old: Record, new: Record, diffs: list[Diff]) -> tuple[str, str]:
    moved = old.values["school"] != new.values["school"]
    status = new.values["status"] if old.values["status"] != new.values["status"] else None
    head = f"Tablet {new.key} moved from {old.values['school']} to {new.values['school']}" if moved \
        else f"Tablet {new.key} at {new.values['school']}"
    said_here = {"school"} if moved else set()
    if status is not None:
        event = TABLET_EVENTS.get(status, f"now {status}")
        record = new.values.get("handover") or (old.values.get("handover") if status != "handed_over" else None)
        if status == "handed_over" and record:
            event += f" ({handover_words(record)})"
        elif record:
            event += f" (certificate {record['certificate']})"
        head += f" and {event}" if moved else f" {event}"
        said_here |= {"status", "handover"}
    rest = [d for d in diffs if d[0] not in said_here]
    if status is None and not moved:
        return "changed", f"{head}: {listed(rest)}."
    action = TABLET_ACTIONS.get(status, "status-changed") if status else "moved"
    return action, f"{head}{'; ' + listed(rest) if rest else ''}."


TABLET = Kind("tablet", "serial", ("school", "slot", "model", "mac", "status", "asset_tag", "handover"), _tablets,
              lambda r: f"Tablet {r.key} added at {r.values['school']}: slot {r.values['slot']}, "
                        f"{_tablet_state(r.values)}.",
              lambda r: f"Tablet {r.key} removed from {r.values['school']} (slot {r.values['slot']}, "
                        f"{TABLET_STATES.get(r.values['status'], r.values['status'])}).",
              _tablet_change, paths={"school": ()}, inert=frozenset({"asset_tag", "handover"}))


def _circuits(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    owners: list[tuple[School | Datacenter, str, str]] = [
        *((s, "school", s.id) for s in schools), *((d, "datacenter", d.site) for d in fleet.datacenters)]
    for owner, kind, site in owners:
        circuits = owner.uplinks if isinstance(owner, School) else owner.circuits
        listing = "uplinks" if isinstance(owner, School) else "circuits"
        for index, circuit in enumerate(circuits):
            yield Record(f"{circuit.provider}/{circuit.circuit_id}", dumped(circuit) | {"site": site}, f"{kind}:{site}",
                         owner, (listing, index), parent=(kind, site))


CIRCUIT = Kind("circuit", "provider/circuit_id", ("site", "bandwidth_mbps", "status", "purpose"), _circuits,
               lambda r: f"Circuit {r.values['circuit_id']} added at {r.values['site']}: {r.values['provider']}, "
                         f"{r.values['bandwidth_mbps']} Mbit/s, {r.values['status']}.",
               lambda r: f"Circuit {r.values['circuit_id']} removed from {r.values['site']} "
                         f"(was {r.values['status']}).",
               generic_change(lambda r: f"Circuit {r.values['circuit_id']} at {r.values['site']}"), paths={"site": ()})


def _allocations(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for school, prefix in fleet.ledger.allocations.items():
        yield Record(school, {"prefix": str(prefix)}, f"school:{school}", fleet.ledger, ("allocations", school))


ADDRESS = Kind("address", "school", ("prefix",), _allocations,
               lambda r: f"Address {r.values['prefix']} allocated to {r.key}.",
               lambda r: f"Address {r.values['prefix']} released by {r.key}.",
               lambda old, new, diffs: ("renumbered", f"Address of {new.key} renumbered: {old.values['prefix']} → "
                                                      f"{new.values['prefix']}."),
               paths={"prefix": ()})


# --- the data center ---------------------------------------------------------------------------------


def _datacenters(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for site in fleet.datacenters:
        contents = ", ".join([counted(len(site.devices), "device", "devices"),
                              counted(len(site.racks), "rack", "racks"),
                              counted(len(site.networks), "network", "networks")])
        yield Record(site.site, dumped(site, "racks", "networks", "devices", "circuits"), f"datacenter:{site.site}",
                     site, info={"contents": contents})


DATACENTER = Kind("datacenter", "site", ("name", "address", "coordinates", "synthetic"), _datacenters,
                  lambda r: f"Data center {r.key} ({r.values['name']}) added: {r.info['contents']}.",
                  lambda r: f"Data center {r.key} ({r.values['name']}) removed: {r.info['contents']}.",
                  generic_change(lambda r: f"Data center {r.key}"),
                  inert=frozenset({"name", "address", "coordinates", "synthetic"}))


def _racks(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for site in fleet.datacenters:
        for index, rack in enumerate(site.racks):
            yield Record(f"{site.site}/{rack.name}", dumped(rack) | {"site": site.site}, f"datacenter:{site.site}",
                         site, ("racks", index), parent=("datacenter", site.site))


def _short(record: Record) -> str:
    return record.key.split("/", 1)[-1]


RACK = Kind("rack", "name", ("u_height", "power_budget_w"), _racks,
            lambda r: f"Rack {_short(r)} added at {r.values['site']} ({r.values['u_height']}U, "
                      f"{r.values['power_budget_w']} W budget).",
            lambda r: f"Rack {_short(r)} removed from {r.values['site']}.",
            generic_change(lambda r: f"Rack {_short(r)} at {r.values['site']}"), inert=frozenset({"*"}))


def _networks(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for site in fleet.datacenters:
        for index, network in enumerate(site.networks):
            yield Record(f"{site.site}/{network.name}", dumped(network) | {"site": site.site},
                         f"datacenter:{site.site}", site, ("networks", index), parent=("datacenter", site.site))


NETWORK = Kind("network", "name", ("vid", "prefix", "purpose"), _networks,
               lambda r: f"Network {_short(r)} added at {r.values['site']}: VLAN {r.values['vid']}, "
                         f"{r.values['prefix']} ({r.values['purpose']}).",
               lambda r: f"Network {_short(r)} removed from {r.values['site']} ({r.values['prefix']}).",
               generic_change(lambda r: f"Network {_short(r)} at {r.values['site']}"), inert=frozenset({"*"}))


def _links(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for site in fleet.datacenters:
        for index, link in enumerate(site.links):
            yield Record(f"{site.site}/{link.device} {link.port}", dumped(link) | {"site": site.site},
                         f"datacenter:{site.site}", site, ("links", index), parent=("datacenter", site.site))


def _far_end(record: Record) -> str:
    values = record.values
    return f"circuit {values['circuit']}" if values.get("circuit") else f"{values['peer']} {values['peer_port']}"


LINK = Kind("link", "device", ("peer", "peer_port", "circuit"), _links,
            lambda r: f"Cable {_short(r)} to {_far_end(r)} added at {r.values['site']}.",
            lambda r: f"Cable {_short(r)} to {_far_end(r)} removed from {r.values['site']}.",
            generic_change(lambda r: f"Cable {_short(r)} at {r.values['site']}"), inert=frozenset({"*"}))


def _dc_devices(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for site in fleet.datacenters:
        for index, device in enumerate(site.devices):
            values = dumped(device, "hostname", "interfaces") | {"site": site.site}
            paths: dict[str, tuple[Any, ...]] = {}
            for number, interface in enumerate(device.interfaces):
                for part, value in dumped(interface, "name").items():
                    values[f"interface {interface.name} {part}"] = value
                    paths[f"interface {interface.name} {part}"] = ("interfaces", number, part)
            yield Record(device.hostname, values, f"datacenter:{site.site}", site, ("devices", index),
                         {"label": DEVICE_LABELS.get(device.kind, device.kind), "model": device.model},
                         ("datacenter", site.site), paths)


DC_DEVICE_FIELDS = ("site", "kind", "model", "serial", "asset_tag", "status", "rack", "position", "roles",
                    "ssh_host_key")


def _with_interfaces(old: Record, new: Record) -> list[str]:
    """A data-center device's fields, then its interfaces' network, address and MAC, by interface name."""
    return [*DC_DEVICE_FIELDS, *sorted({k for k in (*old.values, *new.values) if k.startswith("interface ")})]


DC_DEVICE = Kind(
    "dc-device", "hostname", (*DC_DEVICE_FIELDS, "interface NAME network|address|mac"), _dc_devices,
    lambda r: f"{r.info['label']} {r.key} added at {r.values['site']}: {r.info['model']}, serial {r.values['serial']}"
              f"{', roles ' + shown('roles', r.values['roles']) if r.values['roles'] else ''}.",
    lambda r: f"{r.info['label']} {r.key} removed from {r.values['site']} (serial {r.values['serial']}).",
    _device_change, paths={"site": ()}, compared=_with_interfaces,
    inert=frozenset({"asset_tag", "rack", "position", "ssh_host_key"}))


# --- the programme, the catalog, the environments ------------------------------------------------------


def _flat(values: Values, prefix: str = "") -> Values:
    flat: Values = {}
    for key, value in values.items():
        if isinstance(value, dict) and value and key not in ("coordinates",):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


PROGRAMME_LISTS = ("vlans", "districts", "providers", "defaults")


def _programme(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    yield Record("programme", _flat(dumped(fleet.programme, *PROGRAMME_LISTS)), "programme", fleet.programme)


def _every_field(old: Record, new: Record) -> list[str]:
    return sorted(set(old.values) | set(new.values))


PROGRAMME = Kind("programme", "(one)", ("every field but the lists, dotted: vpn.endpoint, expected.schools, ...",),
                 _programme, lambda r: "Programme added.", lambda r: "Programme removed.",
                 generic_change(lambda r: "Programme"), compared=_every_field,
                 inert=frozenset({"expected.", "handover.", "repository.", "description", "synthetic"}))


def _ledger(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    yield Record("ipam", {"supernet": fleet.ledger.supernet}, "programme", fleet.ledger)


LEDGER = Kind("ledger", "(one)", ("supernet",), _ledger, lambda r: "Address ledger added.",
              lambda r: "Address ledger removed.", generic_change(lambda r: "Address ledger"))


def _listing(attribute: str, key: str) -> Callable[[Fleet, list[School]], Iterator[Record]]:
    def records(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
        for index, item in enumerate(getattr(fleet.programme, attribute)):
            yield Record(str(getattr(item, key)), dumped(item, key), "programme", fleet.programme, (attribute, index))
    return records


VLAN = Kind("vlan", "name", ("vid", "purpose", "offset", "prefix_length", "gateway", "dhcp", "reservations",
                             "access_ports", "wifi"), _listing("vlans", "name"),
            lambda r: f"VLAN {r.key} added: VLAN id {r.values['vid']}, /{r.values['prefix_length']} at offset "
                      f"{r.values['offset']}.",
            lambda r: f"VLAN {r.key} removed (VLAN id {r.values['vid']}).", generic_change(lambda r: f"VLAN {r.key}"))
DISTRICT = Kind("district", "id", ("name", "code"), _listing("districts", "id"),
                lambda r: f"District {r.key} added ({r.values['name']}, code {r.values['code']}).",
                lambda r: f"District {r.key} removed ({r.values['name']}).",
                generic_change(lambda r: f"District {r.key}"), inert=frozenset({"*"}))
PROVIDER = Kind("provider", "id", ("name",), _listing("providers", "id"),
                lambda r: f"Provider {r.key} added ({r.values['name']}).",
                lambda r: f"Provider {r.key} removed ({r.values['name']}).",
                generic_change(lambda r: f"Provider {r.key}"), inert=frozenset({"*"}))


def _defaults(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for kind, defaults in fleet.programme.defaults.items():
        yield Record(kind, dumped(defaults), "programme", fleet.programme, ("defaults", kind))


DEFAULTS = Kind("defaults", "kind", ("model", "roles"), _defaults,
                lambda r: f"Programme defaults for {r.key} added: model {shown('', r.values['model'])}, roles "
                          f"{shown('', r.values['roles'])}.",
                lambda r: f"Programme defaults for {r.key} removed.",
                generic_change(lambda r: f"Programme defaults for {r.key}"))


def _hardware(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for index, model in enumerate(fleet.hardware.models):
        yield Record(model.id, dumped(model, "id"), "programme", fleet.hardware, ("models", index))


HARDWARE = Kind("hardware", "id", ("vendor", "model", "kind", "u_height", "power_w", "os", "ports"), _hardware,
                lambda r: f"Hardware model {r.key} added ({r.values['vendor']} {r.values['model']}, "
                          f"{r.values['kind']}).",
                lambda r: f"Hardware model {r.key} removed ({r.values['vendor']} {r.values['model']}).",
                generic_change(lambda r: f"Hardware model {r.key}"),
                inert=frozenset({"vendor", "model", "u_height", "power_w"}))


def _environments(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for name, environment in fleet.environments.items():
        yield Record(name, dumped(environment, "hosts"), "environments", environment,
                     info={"hosts": counted(len(environment.hosts), "pinned host", "pinned hosts")})


ENVIRONMENT = Kind("environment", "file name", ("name", "ssh_user", "ssh_port", "ssh_key", "sudo", "jump_host",
                                                "addresses", "unavailable_services", "start_services"), _environments,
                   lambda r: f"Environment {r.key} added ({r.info['hosts']}).",
                   lambda r: f"Environment {r.key} removed ({r.info['hosts']}).",
                   generic_change(lambda r: f"Environment {r.key}"))


def _environment_hosts(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for name, environment in fleet.environments.items():
        for hostname, host in environment.hosts.items():
            yield Record(f"{name}/{hostname}", dumped(host), "environments", environment, ("hosts", hostname),
                         {"environment": name, "host": hostname}, ("environment", name))


ENVIRONMENT_HOST = Kind(
    "environment-host", "environment/hostname", ("address", "port", "host_key"), _environment_hosts,
    lambda r: f"Environment {r.info['environment']}: {r.info['host']} pinned at {r.values['address']}:"
              f"{r.values['port']}.",
    lambda r: f"Environment {r.info['environment']}: {r.info['host']} no longer pinned.",
    generic_change(lambda r: f"Environment {r.info['environment']}, host {r.info['host']}"))

def _stock(fleet: Fleet, schools: list[School]) -> Iterator[Record]:
    for site in fleet.datacenters:
        for index, tablet in enumerate(getattr(site, "stock", [])):
            yield Record(tablet.serial, dumped(tablet) | {"site": site.site}, f"datacenter:{site.site}", site,
                         ("stock", index), parent=("datacenter", site.site))


def _stocked(record: Record) -> str:
    values = record.values
    came = f", returned from {values['returned_from']}" if values.get("returned_from") else ""
    on = f" on {values['returned_on']}" if values.get("returned_on") else ""
    return f"{TABLET_STATES.get(values['status'], values['status'])}{came}{on}"


STOCK = Kind("stock", "serial", ("site", "model", "mac", "status", "asset_tag", "returned_from", "returned_on"), _stock,
             lambda r: f"Tablet {r.key} put in the stock of {r.values['site']} ({_stocked(r)}).",
             lambda r: f"Tablet {r.key} taken from the stock of {r.values['site']} (was {_stocked(r)}).",
             generic_change(lambda r: f"Tablet {r.key} in the stock of {r.values['site']}"), paths={"site": ()},
             inert=frozenset({"*"}))

KINDS: tuple[Kind, ...] = (PROGRAMME, LEDGER, VLAN, DISTRICT, PROVIDER, DEFAULTS, HARDWARE, DATACENTER, RACK, NETWORK,
                           LINK, DC_DEVICE, STOCK, SCHOOL, ADDRESS, DEVICE, TABLET, CIRCUIT, ENVIRONMENT,
                           ENVIRONMENT_HOST)
