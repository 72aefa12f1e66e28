"""A switch's facts from its own printouts: serial, model, software version, LLDP neighbours, MAC table, links.

`commands(os)` lists what to run on a switch of the inventory's OS (`huawei-vrp`, `cisco-ios`), once
paging is off; `collect(session.run, os)` runs them through a `switches.session.Session` as the audit
reads a configuration (paging off, then one command at a time); `parse(os, outputs)` turns the
printouts into `SwitchFacts`.  Nothing here connects to anything.

Each printout is read by ntc-templates' TextFSM template for its command (networktocode/ntc-templates,
Apache-2.0, the templates shipped in the `ntc-templates` package), except VRP's `display esn`, for
which there is none: its line (`ESN of slot 0: 2102350DLQDMHC002400`, or `ESN of device: ...`) is read
by a regular expression.  A printout the template cannot read, or the switch's refusal of the
command, is a `SwitchFactsError` naming the command.

Names are normalised to the inventory's: interfaces in full (`Gi1/0/1` -> `GigabitEthernet1/0/1`,
`XGE0/0/1` -> `XGigabitEthernet0/0/1`, by `ABBREVIATIONS`), MAC addresses as lowercase colon pairs."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ntc_templates
from ntc_templates.parse import ParsingException, parse_output
from textfsm import TextFSMError

from schoolnet.switches.platforms import dialect

# The package's own templates, whatever NTC_TEMPLATES_DIR in the environment says.
TEMPLATES = Path(ntc_templates.__file__).parent / "templates"
PLATFORMS = {"huawei-vrp": "huawei_vrp", "cisco-ios": "cisco_ios"}  # inventory OS -> ntc-templates platform

# What the switches print in their tables, and the full name the same interface has in its configuration
# (the inventory's name).  Cisco's short forms as IOS prints them in `show mac address-table`, `show lldp
# neighbors` and `show interfaces status` (ntc-templates' captures: Fa0/13, Gi1/0/7, Te1/1/1, Twe1/0/1,
# Po1, Vl1; netutils' BASE_INTERFACES, networktocode/netutils netutils/constants.py, maps them alike, Tw
# and Twe included); Huawei's as VRP prints them in `display mac-address` (ntc-templates' captures: GE0/0/25,
# XGE0/0/1), where its `display lldp neighbor` and `display interface` name the same ports
# GigabitEthernet0/0/1 and XGigabitEthernet0/0/1 (netutils' generic XGE -> TenGigabitEthernet is not VRP's
# name); Eth: VRP's Ethernet0/0/1 ports (and NX-OS's Eth1/6 in a neighbour's port id).  Names VRP prints in
# full everywhere (MultiGE0/0/1, 10GE1/0/1, 40GE0/0/1, Eth-Trunk1, MEth0/0/1) are left as they are.
ABBREVIATIONS = {
    "Fa": "FastEthernet", "Gi": "GigabitEthernet", "Tw": "TwoGigabitEthernet", "Te": "TenGigabitEthernet",
    "Twe": "TwentyFiveGigE", "Po": "Port-channel", "Vl": "Vlan",
    "GE": "GigabitEthernet", "XGE": "XGigabitEthernet", "Eth": "Ethernet",
}
# Interfaces a host's MAC is learned on (not the switch's CPU, its VLAN interfaces or `Router`/`Switch`).
PORT_KINDS = ("FastEthernet", "GigabitEthernet", "TwoGigabitEthernet", "TenGigabitEthernet", "TwentyFiveGigE",
              "XGigabitEthernet", "MultiGE", "Ethernet", "Eth-Trunk", "Port-channel")

_NAME = re.compile(r"(?P<kind>[A-Za-z][A-Za-z-]*?)(?P<number>\d[\d/.:]*)")
_KIND = re.compile(r"(\d+GE|[A-Za-z][A-Za-z-]*?)(?=\d)")
_SUFFIX = re.compile(r"\(\w+\)$")  # VRP's `GigabitEthernet4/0/4(10G)`, `GigabitEthernet0/0/5(v)`
_ESN = re.compile(r"^\s*ESN of (?:slot \d+|device|master)\s*:\s*(?P<serial>\S+)\s*$", re.M)
_MAC = re.compile(r"[0-9a-f]{12}")


class SwitchFactsError(ValueError):
    """A printout that cannot be read: one line names the command and why."""


@dataclass(frozen=True)
class Neighbour:
    local_port: str  # this switch's port, in full
    system_name: str  # "" when the neighbour does not say
    port_id: str  # the neighbour's port as it says it (an interface name in full when it is one)


@dataclass(frozen=True)
class MacEntry:
    mac: str  # 02:5c:97:ed:0d:bc
    vlan: int
    port: str  # in full


@dataclass(frozen=True)
class Interface:
    name: str  # in full
    up: bool  # link (and protocol) up
    enabled: bool = True  # False: shut down in its configuration


@dataclass(frozen=True)
class Identity:
    serial: str
    model: str  # as the switch names itself: S5735-L24P4S-A, C1000-24P-4G-L
    version: str  # V200R022C00SPC500, 15.2(7)E8


@dataclass(frozen=True)
class SwitchFacts:
    os: str
    serial: str
    model: str
    version: str
    neighbours: tuple[Neighbour, ...]
    macs: tuple[MacEntry, ...]
    interfaces: tuple[Interface, ...]


@dataclass(frozen=True)
class Commands:
    """Which command each fact comes from."""

    version: str
    serial: str
    neighbours: str
    macs: str
    interfaces: str


COMMANDS = {
    "huawei-vrp": Commands("display version", "display esn", "display lldp neighbor", "display mac-address",
                           "display interface brief"),
    # IOS's serial is in `show version`; `show lldp neighbors` cuts names to 20 characters, its detail does not
    "cisco-ios": Commands("show version", "show version", "show lldp neighbors detail", "show mac address-table",
                          "show interfaces status"),
}


def _commands(os: str) -> Commands:
    try:
        return COMMANDS[os]
    except KeyError:
        raise SwitchFactsError(f"switch OS {os!r}: facts are read from {', '.join(COMMANDS)} only") from None


def commands(os: str) -> tuple[str, ...]:
    """The commands to run, each once, in order (paging turned off first: `collect` does it)."""
    named = _commands(os)
    return tuple(dict.fromkeys((named.version, named.serial, named.neighbours, named.macs, named.interfaces)))


def collect(run: Callable[[str], str], os: str) -> dict[str, str]:
    """Each command's printout, `run` being a `switches.session.Session`'s `run`: paging off first."""
    _commands(os)
    run(dialect(os).no_paging)
    return {command: run(command) for command in commands(os)}


def interface_name(text: str) -> str:
    """The full name of an interface as a switch prints it in a table (`Gi1/0/1`, `XGE0/0/1`, `Eth-Trunk1`); a
    name that is not an abbreviation (`eno1`, `Port 6`, a MAC) comes back as it was."""
    text = _SUFFIX.sub("", text.strip())
    found = _NAME.fullmatch(text)
    if found is not None and found["kind"] in ABBREVIATIONS:
        return ABBREVIATIONS[found["kind"]] + found["number"]
    return text


def mac_address(text: str) -> str:
    """`b8d6-f6ff-7390`, `0010.7b00.1540`, `02:5C:...` -> `b8:d6:f6:ff:73:90`."""
    bare = re.sub(r"[:.\-]", "", text.strip()).lower()
    if not _MAC.fullmatch(bare):
        raise SwitchFactsError(f"{text!r} is not a MAC address")
    return ":".join(bare[i:i + 2] for i in range(0, 12, 2))


def _is_port(name: str) -> bool:
    found = _KIND.match(name)
    return found is not None and (found.group(1) in PORT_KINDS or found.group(1)[0].isdigit())


def _table(os: str, command: str, text: str) -> list[dict[str, Any]]:
    """The TextFSM rows of a printout, after checking the switch did not refuse the command."""
    refused = dialect(os).refusal.search(text)
    if refused is not None:
        raise SwitchFactsError(f"{command}: the switch refused it ({refused.group(0).strip()})")
    try:
        rows: list[dict[str, Any]] = parse_output(platform=PLATFORMS[os], command=command, data=text,
                                                  template_dir=str(TEMPLATES))
    except (ParsingException, TextFSMError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise SwitchFactsError(f"{command}: not the printout its template reads ({reason})") from None
    return rows


def _printout(outputs: Mapping[str, str], command: str) -> str:
    try:
        return outputs[command]
    except KeyError:
        raise SwitchFactsError(f"{command}: no printout") from None


def identity(os: str, outputs: Mapping[str, str]) -> Identity:
    """Serial, model and software version, from the printouts of `Commands.version` and `.serial`."""
    named = _commands(os)
    rows = _table(os, named.version, _printout(outputs, named.version))
    if os == "huawei-vrp":
        row = rows[0] if rows else {}
        model, version = str(row.get("model", "")).split()[:1], str(row.get("product_version", "")).split()[-1:]
        esn = _printout(outputs, named.serial)
        refused = dialect(os).refusal.search(esn)
        if refused is not None:
            raise SwitchFactsError(f"{named.serial}: the switch refused it ({refused.group(0).strip()})")
        found = _ESN.search(esn)
        serial = [found["serial"]] if found else []
    else:
        row = rows[0] if rows else {}
        model, version, serial = list(row.get("hardware", []))[:1], [row.get("version", "")], list(
            row.get("serial", []))[:1]
    for what, value, command in (("model", model, named.version), ("software version", version, named.version),
                                 ("serial", serial, named.serial)):
        if not value or not value[0]:
            raise SwitchFactsError(f"{command}: no {what} in the printout")
    return Identity(serial[0], model[0], version[0])


def neighbours(os: str, text: str, command: str | None = None) -> tuple[Neighbour, ...]:
    """LLDP neighbours from `display lldp neighbor` / `show lldp neighbors detail` (or `show lldp neighbors`,
    whose names IOS cuts to 20 characters).  A neighbour whose local port the printout does not say (IOS
    releases whose detail has no `Local Intf:` line) is left out."""
    command = command or _commands(os).neighbours
    # the port id's column: IOS's table calls it `neighbor_interface` (its detail has a Port Description too)
    port_id = "neighbor_interface" if command == "show lldp neighbors" else "neighbor_port_id"
    found = []
    for row in _table(os, command, text):
        local = interface_name(str(row.get("local_interface", "")))
        if local:
            found.append(Neighbour(local, str(row.get("neighbor_name", "")).strip(),
                                   interface_name(str(row.get(port_id, "")))))
    return tuple(found)


def mac_table(os: str, text: str) -> tuple[MacEntry, ...]:
    """What the switch learned on its ports (its own CPU and VLAN-interface entries left out)."""
    found = []
    for row in _table(os, _commands(os).macs, text):
        vlan = str(row.get("vlan_id", ""))
        ports = row.get("destination_port", [])
        for port in [ports] if isinstance(ports, str) else ports:
            name = interface_name(str(port))
            if vlan.isdigit() and _is_port(name):
                found.append(MacEntry(mac_address(str(row["destination_address"])), int(vlan), name))
    return tuple(found)


def interfaces(os: str, text: str) -> tuple[Interface, ...]:
    """Each interface's link: VRP's PHY column (`*down`: shut down), IOS's Status (`connected` up, `disabled`
    shut down)."""
    found = []
    for row in _table(os, _commands(os).interfaces, text):
        if os == "huawei-vrp":
            phy = str(row["phy"])
            found.append(Interface(interface_name(str(row["interface"])), phy.startswith("up"), phy != "*down"))
        else:
            status = str(row["status"])
            found.append(Interface(interface_name(str(row["port"])), status in ("connected", "up", "monitoring"),
                                   status != "disabled"))
    return tuple(found)


def parse(os: str, outputs: Mapping[str, str]) -> SwitchFacts:
    """The facts from the printouts of `commands(os)`, keyed by command."""
    named = _commands(os)
    who = identity(os, outputs)
    return SwitchFacts(os, who.serial, who.model, who.version,
                       neighbours(os, _printout(outputs, named.neighbours)),
                       mac_table(os, _printout(outputs, named.macs)),
                       interfaces(os, _printout(outputs, named.interfaces)))
