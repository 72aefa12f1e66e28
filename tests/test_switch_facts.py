"""A switch's facts read from real switches' printouts: each capture in tests/switch_corpus/observe/ (ntc-templates'
test data, see its README) reads as the facts it shows, names normalised to the inventory's; what cannot be read
is one error naming the command."""

from __future__ import annotations

import pytest

from schoolnet.observe import switch_facts
from schoolnet.observe.switch_facts import (
    Identity,
    Interface,
    MacEntry,
    Neighbour,
    SwitchFactsError,
    interface_name,
    mac_address,
)
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "switch_corpus" / "observe"
VRP, IOS = "huawei-vrp", "cisco-ios"


def raw(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def links(*rows: str) -> tuple[Interface, ...]:
    """`"GigabitEthernet1/0/1 up"`, `"... down"`, `"... off"` (shut down) as Interface facts."""
    facts = []
    for row in rows:
        name, state = row.split()
        facts.append(Interface(name, state == "up", state != "off"))
    return tuple(facts)


IDENTITY = [  # os, printouts, identity
    (VRP, {"display version": raw("huawei_vrp_display_version5.raw"),
           "display esn": raw("huawei_vrp_display_sn_license.raw")},
     Identity("21500104792SM8504636", "S7706", "V200R010C00SPC600")),
    (VRP, {"display version": raw("huawei_vrp_display_version5.raw"),
           "display esn": "ESN of slot 0: 2102350DLQDMHC002400\n"},  # an S5720S's line, as a public session shows it
     Identity("2102350DLQDMHC002400", "S7706", "V200R010C00SPC600")),
    (IOS, {"show version": raw("cisco_ios_show_version1.raw")},  # a stack of four: the active switch's
     Identity("FOC11111111", "WS-C3850-48U", "03.06.05E")),
]


@pytest.mark.parametrize(("os", "outputs", "expected"), IDENTITY)
def test_identity_from_real_printouts(os: str, outputs: dict[str, str], expected: Identity) -> None:
    assert switch_facts.identity(os, outputs) == expected


NEIGHBOURS = [  # os, file, command (None: the one observe runs), neighbours
    (VRP, "huawei_vrp_display_lldp_neighbor1.raw", None,
     (Neighbour("XGigabitEthernet0/0/1", "ROUTER2", "XGigabitEthernet0/0/2"),)),
    (VRP, "huawei_vrp_display_lldp_neighbor6.raw", None,
     (Neighbour("XGigabitEthernet0/0/1", "XXXX", "Ten-GigabitEthernet1/0/23"),
      Neighbour("XGigabitEthernet0/0/2", "XXXXXXX", "port e2/1"),
      Neighbour("XGigabitEthernet0/0/6", "XXXXXXXXXX", "XGigabitEthernet0/0/1"),
      Neighbour("XGigabitEthernet0/0/12", "XXXXXXXXXXXXXXXXXXX", "xe-0/0/2"),
      Neighbour("XGigabitEthernet0/0/18", "XXXXXXXXXXXXXXXXXXXXXXXXXX", "xxxx-xxxx-xxxx"),
      Neighbour("XGigabitEthernet0/0/21", "XXXXXXXXX", "xe-2/0/2"))),
    (IOS, "cisco_ios_show_lldp_neighbors_detail4.raw", None,
     (Neighbour("GigabitEthernet2/0/13", "ZULTYS IP Phone", "000b.ea00.16e0"),
      Neighbour("TenGigabitEthernet1/1/1", "dsw01", "TenGigabitEthernet1/2/13"))),
    (IOS, "cisco_ios_show_lldp_neighbors.raw", "show lldp neighbors",
     (Neighbour("FastEthernet0/13", "S2", "GigabitEthernet0/13"),
      Neighbour("GigabitEthernet1/0/7", "Cisco-switch-1", "GigabitEthernet0/1"),
      Neighbour("GigabitEthernet2/0/1", "Juniper-switch1", "666"),
      Neighbour("GigabitEthernet1/0/1", "Juniper-switch1", "531"),
      Neighbour("GigabitEthernet1/0/2", "Polycom VVX 500", "0004.f2d1.2222"))),
]


@pytest.mark.parametrize(("os", "name", "command", "expected"), NEIGHBOURS)
def test_lldp_neighbours_from_real_printouts(os: str, name: str, command: str | None,
                                             expected: tuple[Neighbour, ...]) -> None:
    assert switch_facts.neighbours(os, raw(name), command) == expected


MACS = [  # os, file, MAC table (a switch's CPU entries left out)
    (VRP, "huawei_vrp_display_mac-address.raw",
     (MacEntry("b8:d6:f6:ff:73:90", 10, "XGigabitEthernet0/0/1"),
      MacEntry("b8:d6:f6:ff:73:9b", 10, "XGigabitEthernet0/0/1"))),
    (VRP, "huawei_vrp_display_mac-address2.raw",
     (MacEntry("aa:aa:aa:aa:aa:aa", 1, "GigabitEthernet0/0/25"),
      MacEntry("bb:bb:bb:bb:bb:bb", 1, "GigabitEthernet0/0/25"))),
    (IOS, "cisco_ios_show_mac-address-table6.raw",
     tuple(MacEntry(mac, 2, f"GigabitEthernet1/0/{port}") for mac, port in (
         ("c8:69:cd:54:1f:71", 7), ("d0:52:a8:26:5d:8d", 3), ("e4:6f:13:a9:08:e5", 36), ("e8:eb:11:90:d0:ff", 37),
         ("fc:a1:83:1b:8b:a9", 41), ("fc:ec:da:7a:c9:55", 1), ("fc:ec:da:80:0a:3e", 22),
         ("fc:ec:da:80:0a:f9", 41)))),
]


@pytest.mark.parametrize(("os", "name", "expected"), MACS)
def test_mac_tables_from_real_printouts(os: str, name: str, expected: tuple[MacEntry, ...]) -> None:
    assert switch_facts.mac_table(os, raw(name)) == expected


INTERFACES = [  # os, file, links ("off": shut down)
    (VRP, "huawei_vrp_display_interface_brief.raw", links(
        "Aux0/0/1 down", "Eth-Trunk2 up", "GigabitEthernet8/1/16 up", "GigabitEthernet8/1/17 up",
        "GigabitEthernet8/1/18 up", "GigabitEthernet8/1/19 up", "GigabitEthernet8/1/20 up", "Eth-Trunk3 up",
        "GigabitEthernet8/1/21 up", "GigabitEthernet8/1/22 up", "GigabitEthernet8/1/23 up", "Eth-Trunk4 up",
        "GigabitEthernet15/1/0 up", "GigabitEthernet16/0/1 up", "Eth-Trunk4.10 up", "Eth-Trunk5 up",
        "GigabitEthernet4/0/4 up", "Eth-Trunk5.100 up")),  # `(10G)` after a name is not part of it
    (IOS, "cisco_ios_show_interfaces_status.raw", links(
        # 7 suspended, 16 err-disabled: down; 17 disabled: off; 18, 21 monitoring: up
        *(f"GigabitEthernet1/0/{n} {'off' if n == 17 else 'up' if n in (2, 4, 5, 6, 18, 20, 21, 23) else 'down'}"
          for n in range(1, 24)),
        "FastEthernet1/6 down", "Port-channel1 up")),
]


@pytest.mark.parametrize(("os", "name", "expected"), INTERFACES)
def test_links_from_real_printouts(os: str, name: str, expected: tuple[Interface, ...]) -> None:
    assert switch_facts.interfaces(os, raw(name)) == expected


def test_parse_reads_every_fact_from_the_printouts_keyed_by_command() -> None:
    outputs = {"display version": raw("huawei_vrp_display_version5.raw"),
               "display esn": raw("huawei_vrp_display_sn_license.raw"),
               "display lldp neighbor": raw("huawei_vrp_display_lldp_neighbor1.raw"),
               "display mac-address": raw("huawei_vrp_display_mac-address.raw"),
               "display interface brief": raw("huawei_vrp_display_interface_brief.raw")}
    facts = switch_facts.parse(VRP, outputs)
    assert (facts.os, facts.serial, facts.model, facts.version) == (VRP, "21500104792SM8504636", "S7706",
                                                                    "V200R010C00SPC600")
    assert facts.neighbours == NEIGHBOURS[0][3] and facts.macs == MACS[0][2] and facts.interfaces == INTERFACES[0][2]


COMMANDS = [  # os, the commands observe runs, in order, each once
    (VRP, ("display version", "display esn", "display lldp neighbor", "display mac-address",
           "display interface brief")),
    (IOS, ("show version", "show lldp neighbors detail", "show mac address-table", "show interfaces status")),
]


@pytest.mark.parametrize(("os", "expected"), COMMANDS)
def test_commands_per_os_and_collect_turns_paging_off_first(os: str, expected: tuple[str, ...]) -> None:
    assert switch_facts.commands(os) == expected
    typed: list[str] = []

    def run(command: str) -> str:
        typed.append(command)
        return f"<{command}>"

    outputs = switch_facts.collect(run, os)
    assert typed == [{"huawei-vrp": "screen-length 0 temporary", "cisco-ios": "terminal length 0"}[os], *expected]
    assert outputs == {command: f"<{command}>" for command in expected}


UNREADABLE = [  # os, printouts, the error
    ("junos", {}, "switch OS 'junos': facts are read from huawei-vrp, cisco-ios only"),
    (VRP, {"display version": raw("huawei_vrp_display_version5.raw"),
           "display esn": "display esn\n      ^\nError: Unrecognized command found at '^' position.\n"},
     "display esn: the switch refused it (Error: Unrecognized command found at '^' position.)"),
    (VRP, {"display version": raw("huawei_vrp_display_version5.raw"), "display esn": "ESN: none here\n"},
     "display esn: no serial in the printout"),
    (VRP, {"display version": "Huawei Versatile Routing Platform Software\nsomething else entirely\n",
           "display esn": "ESN of slot 0: 1\n"},
     "display version: not the printout its template reads"),
    (VRP, {"display version": raw("huawei_vrp_display_version5.raw")}, "display esn: no printout"),
    (IOS, {"show version": "% Invalid input detected at '^' marker.\n"},
     "show version: the switch refused it (% Invalid input detected at '^' marker.)"),
    (IOS, {"show version": "\n"}, "show version: no model in the printout"),
]


@pytest.mark.parametrize(("os", "outputs", "error"), UNREADABLE)
def test_a_printout_that_cannot_be_read_is_one_error_naming_the_command(os: str, outputs: dict[str, str],
                                                                       error: str) -> None:
    with pytest.raises(SwitchFactsError) as raised:
        switch_facts.identity(os, outputs)
    assert str(raised.value).startswith(error)
    assert "\n" not in str(raised.value)


NAMES = [  # as a switch prints it in a table, the inventory's name
    ("Gi1/0/1", "GigabitEthernet1/0/1"), ("Fa0/13", "FastEthernet0/13"), ("Te1/1/1", "TenGigabitEthernet1/1/1"),
    ("Tw1/0/5", "TwoGigabitEthernet1/0/5"), ("Twe1/0/1", "TwentyFiveGigE1/0/1"), ("Po1", "Port-channel1"),
    ("Vl1", "Vlan1"), ("GE0/0/25", "GigabitEthernet0/0/25"), ("XGE0/0/1", "XGigabitEthernet0/0/1"),
    ("Eth0/0/1", "Ethernet0/0/1"), ("GigabitEthernet0/0/5(v)", "GigabitEthernet0/0/5"),
    ("GigabitEthernet4/0/4(10G)", "GigabitEthernet4/0/4"),
    # names printed in full, and port ids that are no interface of ours, stay as they are
    ("GigabitEthernet1/0/1", "GigabitEthernet1/0/1"), ("XGigabitEthernet0/0/2", "XGigabitEthernet0/0/2"),
    ("MultiGE0/0/1", "MultiGE0/0/1"), ("10GE1/0/1", "10GE1/0/1"), ("Eth-Trunk1", "Eth-Trunk1"),
    ("MEth0/0/1", "MEth0/0/1"), ("Ten-GigabitEthernet1/0/23", "Ten-GigabitEthernet1/0/23"), ("eno1", "eno1"),
    ("Port 6", "Port 6"), ("xe-0/0/2", "xe-0/0/2"), ("531", "531"), ("0004.f2d1.2222", "0004.f2d1.2222"),
]


@pytest.mark.parametrize(("printed", "full"), NAMES)
def test_interface_names_are_the_inventorys(printed: str, full: str) -> None:
    assert interface_name(printed) == full


@pytest.mark.parametrize("printed", ["b8d6-f6ff-7390", "B8D6.F6FF.7390", "b8:d6:f6:ff:73:90", "B8D6F6FF7390"])
def test_mac_addresses_are_lowercase_colon_pairs(printed: str) -> None:
    assert mac_address(printed) == "b8:d6:f6:ff:73:90"
