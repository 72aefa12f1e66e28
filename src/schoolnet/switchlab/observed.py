"""What a lab switch says about itself and about the wire: its identity, LLDP neighbours, MAC table, links.

`schoolnet observe` reads these from real switches with the vendors' own commands; the emulator must
answer the same commands in the same layout.  It has no data plane, so what a real switch learns from
the wire comes from a small state written by whoever lays out the lab's topology:
`STATE/observed.json`, beside the saved configuration, read again at each command that shows it (so a
test may change it while the switch runs):

    {"serial": "2102945708PXIKUPXUPW",                                      (optional)
     "lldp": [{"local_port": "XGigabitEthernet0/0/1", "system_name": "nx-bab-001-edge",
               "port_id": "eno1", "description": "Debian GNU/Linux 12"}],   (description optional)
     "mac":  [{"mac": "02:5c:97:ed:0d:bc", "vlan": 30, "port": "GigabitEthernet0/0/5"}],
     "up":   ["GigabitEthernet0/0/7"]}

Every key is optional.  Ports are the switch's full names.  A port has link when it is listed in `up`,
has a neighbour or has learned a MAC, and is not shut down in the running configuration (a shut port
shows no neighbour and no MAC, as on a real switch); with no file, every port is down and nothing is
learned.  `serial` stands in for the switch's own (a chassis swapped under the same name).  A file the
emulator cannot read is said once on its log and counts as no file.

Each printout's layout is a real device's (docs/switches.md, "What the emulator observes"; the captures
from ntc-templates are in tests/switch_corpus/observe/).  Nothing here does I/O except `StateFile`."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

VRP = "huawei-vrp"
IOS = "cisco-ios"
STATE_FILE = "observed.json"

VRP_VERSION = "V200R022C00SPC500"
IOS_VERSION = "15.2(7)E8"
# What a switch started without --model / --serial calls itself: the programme's default models.
DEFAULT_MODEL = {VRP: "S5735-L24P4S-A", IOS: "C1000-24P-4G-L"}
DEFAULT_SERIAL = {VRP: "2102350000LAB0000001", IOS: "FOC0000LAB1"}
EMULATOR_NOTE = "(schoolnet lab: an emulator of the command line, no data plane)"
HOLD_TIME = 120  # LLDP's default hold time; what is left of it is printed as if the last frame came 10 s ago

_MAC = re.compile(r"[0-9a-f]{12}")
_MAC_SEPARATORS = re.compile(r"[:.\-]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


class ObservedError(ValueError):
    """The state file is not what the emulator can read: one line says what."""


@dataclass(frozen=True)
class Neighbour:
    local_port: str
    system_name: str
    port_id: str
    description: str = ""  # the neighbour's system description; "" prints its name


@dataclass(frozen=True)
class Learned:
    mac: str  # 12 lowercase hex digits
    vlan: int
    port: str


@dataclass(frozen=True)
class Observed:
    """What the switch sees on the wire."""

    neighbours: tuple[Neighbour, ...] = ()
    macs: tuple[Learned, ...] = ()
    up: frozenset[str] = frozenset()
    serial: str = ""  # "" : the switch's own

    def carrier(self, port: str) -> bool:
        """Whether something is plugged into `port` (before the configuration may shut it)."""
        return (port in self.up or any(n.local_port == port for n in self.neighbours)
                or any(m.port == port for m in self.macs))


def _text(value: object, where: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()) or _CONTROL.search(value):
        raise ObservedError(f"{where}: expected one line of text, got {value!r}")
    return value.strip()


def _mac(value: object, where: str) -> str:
    text = _text(value, where)
    bare = _MAC_SEPARATORS.sub("", text).lower()
    if not _MAC.fullmatch(bare):
        raise ObservedError(f"{where}: {text!r} is not a MAC address")
    return bare


def _entries(data: dict[str, object], key: str, fields: set[str], optional: set[str]) -> list[dict[str, object]]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ObservedError(f"{key}: expected a list")
    for number, entry in enumerate(value):
        if not isinstance(entry, dict) or not fields <= entry.keys() or entry.keys() - fields - optional:
            raise ObservedError(f"{key}[{number}]: expected the keys {', '.join(sorted(fields))}"
                                + (f" (and optionally {', '.join(sorted(optional))})" if optional else ""))
    return value


def parse_state(text: str, ports: Collection[str] | None = None) -> Observed:
    """The state file's text read; `ports`: the switch's ports, every port named must be one of them."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ObservedError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ObservedError("expected an object with the keys serial, lldp, mac, up")
    unknown = data.keys() - {"serial", "lldp", "mac", "up"}
    if unknown:
        raise ObservedError(f"unknown key {sorted(unknown)[0]!r}: the keys are serial, lldp, mac, up")

    def port(value: object, where: str) -> str:
        name = _text(value, where)
        if ports is not None and name not in ports:
            raise ObservedError(f"{where}: {name!r} is not a port of this switch")
        return name

    neighbours = tuple(
        Neighbour(port(entry["local_port"], f"lldp[{n}].local_port"),
                  _text(entry["system_name"], f"lldp[{n}].system_name"),
                  _text(entry["port_id"], f"lldp[{n}].port_id"),
                  _text(entry.get("description", ""), f"lldp[{n}].description", empty=True))
        for n, entry in enumerate(_entries(data, "lldp", {"local_port", "system_name", "port_id"}, {"description"})))
    macs = []
    for n, entry in enumerate(_entries(data, "mac", {"mac", "vlan", "port"}, set())):
        vlan = entry["vlan"]
        if not isinstance(vlan, int) or isinstance(vlan, bool) or not 1 <= vlan <= 4094:
            raise ObservedError(f"mac[{n}].vlan: expected a VLAN id 1-4094, got {vlan!r}")
        macs.append(Learned(_mac(entry["mac"], f"mac[{n}].mac"), vlan, port(entry["port"], f"mac[{n}].port")))
    up = data.get("up", [])
    if not isinstance(up, list):
        raise ObservedError("up: expected a list of ports")
    serial = data.get("serial", "")
    return Observed(neighbours, tuple(macs), frozenset(port(p, f"up[{n}]") for n, p in enumerate(up)),
                    _text(serial, "serial") if serial != "" else "")


def state_json(observed: Observed) -> str:
    """The state file's text for `observed` (what the lab's topology writes, atomically, beside saved.cfg)."""
    data: dict[str, object] = {}
    if observed.serial:
        data["serial"] = observed.serial
    data["lldp"] = [{"local_port": n.local_port, "system_name": n.system_name, "port_id": n.port_id,
                     **({"description": n.description} if n.description else {})} for n in observed.neighbours]
    data["mac"] = [{"mac": ":".join(m.mac[i:i + 2] for i in range(0, 12, 2)), "vlan": m.vlan, "port": m.port}
                   for m in observed.macs]
    data["up"] = sorted(observed.up)
    return json.dumps(data, indent=2) + "\n"


class StateFile:
    """`STATE/observed.json`, read again whenever it changed.  A file that cannot be read counts as no
    state and is said once (per version of the file) through `say`."""

    def __init__(self, path: Path, ports: Collection[str], say: Callable[[str], None]) -> None:
        self.path = path
        self.ports = frozenset(ports)
        self.say = say
        self._seen: tuple[int, int, int] | None = None
        self._state = Observed()

    def __call__(self) -> Observed:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            self._seen, self._state = None, Observed()
            return self._state
        except OSError as exc:
            return self._failed(None, f"{exc.strerror or exc}")
        seen = (status.st_ino, status.st_mtime_ns, status.st_size)
        if seen == self._seen:
            return self._state
        try:
            self._state = parse_state(self.path.read_text(encoding="utf-8"), self.ports)
        except (OSError, UnicodeDecodeError, ObservedError) as exc:
            return self._failed(seen, str(exc))
        self._seen = seen
        return self._state

    def _failed(self, seen: tuple[int, int, int] | None, reason: str) -> Observed:
        if seen is None or seen != self._seen:
            self.say(f"{self.path}: {reason}; the switch sees nothing until it is fixed")
        self._seen, self._state = seen, Observed()
        return self._state


# ---- what the switch prints ----

@dataclass(frozen=True)
class Port:
    """An interface as the observation commands show it (built by the command line from its configuration)."""

    name: str  # as configured: GigabitEthernet0/0/1
    short: str  # as the OS abbreviates it in its tables: GE0/0/1, Gi1/0/1 (the name when it has no short form)
    physical: bool  # a port with a connector (VRP's MEth included; NULL0 is not)
    shutdown: bool = False
    description: str = ""
    vlan: str = "1"  # IOS `show interfaces status`: the access VLAN or `trunk`


@dataclass(frozen=True)
class View:
    """Everything one observation printout needs."""

    platform: str
    hostname: str
    model: str
    serial: str
    uptime_minutes: int
    ports: tuple[Port, ...]
    observed: Observed = field(default_factory=Observed)

    def linked(self, port: Port) -> bool:
        return port.physical and not port.shutdown and self.observed.carrier(port.name)

    def port(self, name: str) -> Port | None:
        return next((p for p in self.ports if p.name == name), None)


ACTIONS = ("show-version", "show-esn", "show-lldp", "show-lldp-detail", "show-mac", "show-interfaces")


def printout(action: str, view: View) -> list[str]:
    """What the switch prints for one of `ACTIONS`."""
    vrp = view.platform == VRP
    if action == "show-version":
        return vrp_version(view) if vrp else ios_version(view)
    if action == "show-esn":
        return [f"ESN of slot 0: {view.serial}"]
    if action == "show-lldp":
        return vrp_lldp(view) if vrp else ios_lldp(view)
    if action == "show-lldp-detail":
        return ios_lldp_detail(view)
    if action == "show-mac":
        return vrp_mac_table(view) if vrp else ios_mac_table(view)
    if action == "show-interfaces":
        return vrp_interface_brief(view) if vrp else ios_interfaces_status(view)
    raise ValueError(f"not an observation command: {action}")


def _count(number: int, unit: str, zero_plural: bool) -> str:
    """VRP says `0 week`, `1 day`, `5 days`; IOS `0 minutes`, `1 day`."""
    single = number == 1 or (number == 0 and not zero_plural)
    return f"{number} {unit}{'' if single else 's'}"


def _uptime(minutes: int) -> tuple[int, int, int, int]:
    return minutes // (7 * 1440), minutes // 1440 % 7, minutes // 60 % 24, minutes % 60


def _derived_mac(seed: str) -> bytes:
    """A locally administered MAC that stays the same for the same name (a neighbour's chassis, the base MAC)."""
    raw = bytearray(hashlib.sha256(seed.encode()).digest()[:6])
    raw[0] = (raw[0] & 0xFC) | 0x02
    return bytes(raw)


def _vrp_mac(mac: bytes | str) -> str:
    text = mac.hex() if isinstance(mac, bytes) else mac
    return f"{text[0:4]}-{text[4:8]}-{text[8:12]}"


def _ios_mac(mac: bytes | str) -> str:
    text = mac.hex() if isinstance(mac, bytes) else mac
    return f"{text[0:4]}.{text[4:8]}.{text[8:12]}"


def _looks_like_mac(text: str) -> bool:
    return _MAC.fullmatch(_MAC_SEPARATORS.sub("", text).lower()) is not None


def _lldp_ports(view: View) -> list[Port]:
    """The ports LLDP runs on: the physical ones but the management port."""
    return [p for p in view.ports if p.physical and not p.name.startswith("MEth")]


def _neighbours(view: View, port: Port) -> list[Neighbour]:
    return [n for n in view.observed.neighbours if n.local_port == port.name] if view.linked(port) else []


# VRP: a Huawei S-series switch's layout.  `display version`'s first four lines as an S5720S-52P-SI on
# V200R010C00SPC600 prints them (a public session capture) and as ntc-templates' S7706 capture; `display esn`
# as the same S5720S session; the rest as ntc-templates' captures (tests/switch_corpus/observe/README.md).

def vrp_version(view: View) -> list[str]:
    weeks, days, hours, minutes = _uptime(view.uptime_minutes)
    series = re.match(r"S\d{4}", view.model)
    uptime = ", ".join(_count(n, unit, zero_plural=False) for n, unit in
                       ((weeks, "week"), (days, "day"), (hours, "hour"), (minutes, "minute")))
    return ["Huawei Versatile Routing Platform Software",
            f"VRP (R) software, Version 5.170 ({series.group() if series else view.model} {VRP_VERSION})",
            "Copyright (C) 2000-2022 HUAWEI TECH Co., Ltd.",
            f"HUAWEI {view.model} Routing Switch uptime is {uptime}",
            "",
            EMULATOR_NOTE]


def vrp_lldp(view: View) -> list[str]:
    """`display lldp neighbor`: each LLDP port, with a block per neighbour (ntc-templates'
    huawei_vrp_display_lldp_neighbor1.raw, an S-series switch on V200R022)."""
    out: list[str] = []
    for port in _lldp_ports(view):
        found = _neighbours(view, port)
        if not found:
            out += [f"{port.name} has 0 neighbor(s)", ""]
            continue
        out += [f"{port.name} has {len(found)} neighbor(s):", ""]
        for index, neighbour in enumerate(found, 1):
            kind = "MAC address" if _looks_like_mac(neighbour.port_id) else "Interface name"
            description = neighbour.description or neighbour.system_name
            out += [f"Neighbor index :{index}",
                    "Chassis type   :MAC address",
                    f"Chassis ID     :{_vrp_mac(_derived_mac(neighbour.system_name))}",
                    f"Port ID type   :{kind}",
                    f"Port ID        :{neighbour.port_id}",
                    f"Port description    :{neighbour.port_id}",
                    f"System name         :{neighbour.system_name}",
                    f"System description  :{description}",
                    "System capabilities supported   :bridge router",
                    "System capabilities enabled     :bridge",
                    f"Expired time   :{HOLD_TIME - 10}s",
                    "",
                    "Auto-negotiation supported    :Yes",
                    "Auto-negotiation enabled      :Yes",
                    "OperMau   :speed(1000)/duplex(Full)",
                    ""]
    return out


VRP_MAC_RULE = "-" * 79


def vrp_mac_table(view: View) -> list[str]:
    """`display mac-address` (ntc-templates' huawei_vrp_display_mac-address.raw, the VLAN/VSI/BD layout)."""
    rows = sorted(((m, view.port(m.port)) for m in view.observed.macs), key=lambda e: (e[0].vlan, e[0].mac))
    shown = [f"{_vrp_mac(m.mac)} {f'{m.vlan}/-/-':<34}{p.short:<20}dynamic" for m, p in rows
             if p is not None and view.linked(p)]
    return [VRP_MAC_RULE, f"{'MAC Address':<15}{'VLAN/VSI/BD':<34}{'Learned-From':<20}Type", VRP_MAC_RULE,
            *shown, "", VRP_MAC_RULE, f"Total items displayed = {len(shown)}"]


VRP_BRIEF_LEGEND = ("PHY: Physical", "*down: administratively down", "^down: standby", "(l): loopback",
                    "(s): spoofing", "(E): E-Trunk down", "(b): BFD down", "(B): Bit-error-detection down",
                    "(e): ETHOAM down", "(d): Dampening Suppressed", "InUti/OutUti: input utility/output utility")


def vrp_interface_brief(view: View) -> list[str]:
    """`display interface brief` (ntc-templates' huawei_vrp_display_interface_brief.raw: its legend, its
    columns); interfaces sorted by kind, then number, as VRP lists them.  NULL0 and LoopBacks are `up up(s)`;
    a Vlanif is up while any port has link (the emulator does not follow VLAN membership)."""
    anything = any(view.linked(p) for p in view.ports)
    rows = [*VRP_BRIEF_LEGEND,
            f"{'Interface':<28}{'PHY':<6}{'Protocol':<10}InUti OutUti   inErrors  outErrors"]
    for port in sorted(view.ports, key=lambda p: _rank(p.name)):
        if port.physical:
            phy = "*down" if port.shutdown else "up" if view.linked(port) else "down"
            protocol, load = ("up" if phy == "up" else "down"), "0%"
        elif port.name.startswith(("NULL", "LoopBack")):
            phy, protocol, load = "up", "up(s)", "--"
        else:
            phy = "*down" if port.shutdown else "up" if anything and port.name.startswith("Vlanif") else "down"
            protocol, load = ("up" if phy == "up" else "down"), "--"
        rows.append(f"{port.name:<28}{phy:<6}{protocol:<8}{load:>7}{load:>7}{0:>11}{0:>11}")
    return rows


def _rank(name: str) -> tuple[str, tuple[int, ...]]:
    found = re.fullmatch(r"([A-Za-z][A-Za-z-]*?)(\d[\d/.]*)?", name)
    kind, number = (found.group(1), found.group(2) or "") if found else (name, "")
    return kind, tuple(int(n) for n in re.split(r"[/.]", number) if n)


# IOS: a Catalyst 1000 on 15.2(7)E.  `show version` as a C1000-48FP-4G-L on 15.2(7)E10 prints the lines after
# its uptime (a public console capture: the same lines end its boot) and as ntc-templates' Catalyst capture
# (cisco_ios_show_version1.raw) the rest; the tables as ntc-templates' captures.

IOS_IMAGE = "C1000-UNIVERSALK9-M"
IOS_IMAGE_FILE = "c1000-universalk9-mz.152-7.E8.bin"
IOS_CPU = "Marvell PJ4B (584) v7 (Rev 2)"


def ios_version(view: View) -> list[str]:
    years, rest = divmod(view.uptime_minutes, 365 * 1440)
    weeks, days, hours, minutes = _uptime(rest)
    parts = [_count(n, unit, zero_plural=True) for n, unit in
             ((years, "year"), (weeks, "week"), (days, "day"), (hours, "hour")) if n]
    uptime = ", ".join([*parts, _count(minutes, "minute", zero_plural=True)])
    gigabit = sum(1 for p in view.ports if p.physical and p.name.startswith("GigabitEthernet"))
    base = ":".join(f"{b:02X}" for b in _derived_mac(view.serial))
    return [f"Cisco IOS Software, C1000 Software ({IOS_IMAGE}), Version {IOS_VERSION}, RELEASE SOFTWARE (fc1)",
            "Technical Support: http://www.cisco.com/techsupport",
            "Copyright (c) 1986-2023 by Cisco Systems, Inc.",
            EMULATOR_NOTE,
            "",
            f"{view.hostname} uptime is {uptime}",
            "System returned to ROM by power-on",
            f'System image file is "flash:{IOS_IMAGE_FILE}"',
            "Last reload reason: power-on",
            "",
            f"cisco {view.model} ({IOS_CPU}) processor (revision A0) with 524288K bytes of memory.",
            f"Processor board ID {view.serial}",
            "Last reset from power-on",
            "1 Virtual Ethernet interface",
            f"{gigabit} Gigabit Ethernet interfaces",
            "The password-recovery mechanism is enabled.",
            "",
            "512K bytes of flash-simulated non-volatile configuration memory.",
            f"Base ethernet MAC Address       : {base}",
            f"Model number                    : {view.model}",
            f"System serial number            : {view.serial}",
            "",
            "",
            "Switch Ports Model                     SW Version            SW Image",
            "------ ----- -----                     ----------            ----------",
            f"*    1 {len([p for p in view.ports if p.physical]):<5} {view.model:<25} {IOS_VERSION:<21} {IOS_IMAGE}",
            "",
            "",
            "Configuration register is 0xF"]


IOS_CAPABILITY_CODES = ("Capability codes:",
                        "    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device",
                        "    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other")


def ios_lldp(view: View) -> list[str]:
    """`show lldp neighbors` (ntc-templates' cisco_ios_show_lldp_neighbors.raw): the Device ID cut to 20
    characters, as IOS cuts it."""
    rows = [f"{n.system_name[:20]:<20}{p.short:<15}{HOLD_TIME:<11}{'B':<16}{n.port_id}"
            for p in _lldp_ports(view) for n in _neighbours(view, p)]
    return [*IOS_CAPABILITY_CODES, "",
            f"{'Device ID':<20}{'Local Intf':<15}{'Hold-time':<11}{'Capability':<16}Port ID", *rows, "",
            f"Total entries displayed: {len(rows)}"]


def ios_lldp_detail(view: View) -> list[str]:
    """`show lldp neighbors detail` (ntc-templates' cisco_ios_show_lldp_neighbors_detail4.raw, its switch
    neighbour's block)."""
    out: list[str] = []
    count = 0
    for port in _lldp_ports(view):
        for neighbour in _neighbours(view, port):
            count += 1
            out += ["------------------------------------------------",
                    f"Local Intf: {port.short}",
                    f"Chassis id: {_ios_mac(_derived_mac(neighbour.system_name))}",
                    f"Port id: {neighbour.port_id}",
                    f"Port Description: {neighbour.port_id}",
                    f"System Name: {neighbour.system_name}",
                    "",
                    "System Description: ",
                    neighbour.description or neighbour.system_name,
                    "",
                    f"Time remaining: {HOLD_TIME - 10} seconds",
                    "System Capabilities: B,R",
                    "Enabled Capabilities: B",
                    "Management Addresses - not advertised",
                    "Auto Negotiation - supported, enabled",
                    "Physical media capabilities:",
                    "    1000baseT(FD)",
                    "Media Attachment Unit type - not advertised",
                    "Vlan ID: - not advertised",
                    ""]
    return [*out, "", f"Total entries displayed: {count}"]


IOS_CPU_MACS = ("0180.c200.000f", "0180.c200.0010", "ffff.ffff.ffff")


def ios_mac_table(view: View) -> list[str]:
    """`show mac address-table` (ntc-templates' cisco_ios_show_mac-address-table6.raw, a Catalyst with
    Gi1/0/x ports): the switch's own CPU entries, then what was learned."""
    rows = [f"{'All':>4}    {mac:<18}{'STATIC':<12}CPU" for mac in IOS_CPU_MACS]
    learned = sorted(((m, view.port(m.port)) for m in view.observed.macs), key=lambda e: (e[0].vlan, e[0].mac))
    rows += [f"{m.vlan:>4}    {_ios_mac(m.mac):<18}{'DYNAMIC':<12}{p.short}" for m, p in learned
             if p is not None and view.linked(p)]
    return [f"{'':10}Mac Address Table", "-" * 43, "", f"{'Vlan':<8}{'Mac Address':<18}{'Type':<12}Ports",
            f"{'----':<8}{'-----------':<18}{'--------':<12}-----", *rows,
            f"Total Mac Addresses for this criterion: {len(rows)}"]


def ios_interfaces_status(view: View) -> list[str]:
    """`show interfaces status` (ntc-templates' cisco_ios_show_interfaces_status.raw): the switch ports only;
    an uplink slot's (x/1/y) SFP is `Not Present` until something is plugged in."""
    rows = [f"{'Port':<10}{'Name':<19}{'Status':<13}{'Vlan':<11}Duplex  Speed Type"]
    for port in view.ports:
        if not port.physical:
            continue
        linked = view.linked(port)
        status = "disabled" if port.shutdown else "connected" if linked else "notconnect"
        duplex, speed = ("a-full", "a-1000") if linked else ("auto", "auto")
        sfp = re.search(r"\d+/1/\d+$", port.name) is not None
        kind = ("1000BaseSX SFP" if linked else "Not Present") if sfp else "10/100/1000BaseTX"
        rows.append(f"{port.short:<10}{port.description[:18]:<19}{status:<13}{port.vlan:<11}{duplex:>6} {speed:>6} "
                    f"{kind}")
    return rows
