"""The invariants every remediation is checked against before a line is typed (switches/invariants.py).

Each row is a remediation a broken compliance rule could produce (most of them ones this project's
own compliance did produce against real printouts, see issue history in docs/switches.md), on a
switch that runs the reference build as the lab's emulator prints it; the breach expected names
the line and the invariant.  The last rows are remediations that must pass."""

from __future__ import annotations

import pytest

from schoolnet.switches.invariants import check
from schoolnet.switchlab.cli import Device, Session
from tests.conftest import ROOT

GOLDEN = {"huawei-vrp": ROOT / "tests/golden/nx-ord-012-sw1/startup.cfg",
          "cisco-ios": ROOT / "tests/golden/nx-kan-001-sw1/startup-config"}


def printed(os: str, edits: list[tuple[str, str]]) -> tuple[str, str]:
    """(running as the realistic emulator prints the golden build, with `edits`; the build)."""
    intended = GOLDEN[os].read_text()
    session = Session(Device(os, "sw", intended), interactive=False)
    running = "\n".join(session._running(None)) + "\n"
    for old, new in edits:
        assert old in running, old
        running = running.replace(old, new, 1)
    return running, intended


CASES = [
    # the management path
    ("huawei-vrp", [], ["undo ssh user admin"], 1, "SN-MGMT"),
    ("huawei-vrp", [], ["aaa", "undo local-user admin", "quit"], 2, "SN-MGMT"),
    ("huawei-vrp", [], ["aaa", "local-user admin privilege level 3", "quit"], 2, "SN-MGMT"),
    ("huawei-vrp", [], ["aaa", "local-user admin service-type telnet", "quit"], 2, "SN-MGMT"),
    ("huawei-vrp", [], ["user-interface vty 0 4", "protocol inbound telnet", "quit"], 2, "SN-MGMT"),
    ("huawei-vrp", [], ["interface Vlanif10", "undo ip address", "quit"], 2, "SN-MGMT"),
    ("huawei-vrp", [], ["interface Vlanif10", "shutdown", "quit"], 2, "SN-MGMT"),
    ("huawei-vrp", [], ["undo vlan batch 10"], 1, "SN-MGMT"),
    ("huawei-vrp", [], ["undo ip route-static 0.0.0.0 0.0.0.0 10.65.164.1",
                        "ip route-static 0.0.0.0 0.0.0.0 10.65.164.2"], 1, "SN-MGMT"),
    ("cisco-ios", [], ["no username admin"], 1, "SN-MGMT"),
    ("cisco-ios", [], ["no aaa new-model"], 1, "SN-MGMT"),
    ("cisco-ios", [], ["line vty 0 4", "transport input telnet", "exit"], 2, "SN-MGMT"),
    ("cisco-ios", [], ["interface Vlan10", "no ip address", "exit"], 2, "SN-MGMT"),
    ("cisco-ios", [], ["no vlan 10"], 1, "SN-MGMT"),
    ("cisco-ios", [], ["no ip default-gateway"], 1, "SN-MGMT"),
    ("cisco-ios", [("!\nline con 0", "!\ninterface GigabitEthernet0/0\n vrf forwarding Mgmt-vrf\n no ip address\n!\n"
                   "line con 0")], ["interface GigabitEthernet0/0", "no shutdown", "exit"], 2, "SN-MGMT"),
    # login works at every step
    ("cisco-ios", [("aaa new-model", "no aaa new-model")],
     ["aaa authentication login default local", "aaa new-model"], 1, "SN-ORDER"),
    ("cisco-ios", [("aaa new-model", "no aaa new-model")],
     ["line vty 0 4", "login authentication default", "exit", "aaa new-model"], 2, "SN-ORDER"),
    ("huawei-vrp", [], ["aaa", "undo local-user admin", "local-user ops password irreversible-cipher Ops-2026",
                        "quit"], 2, "SN-MGMT"),
    ("huawei-vrp", [(" local-user admin privilege level 15\n",
                     " local-user admin privilege level 15\n local-user old privilege level 3\n")],
     ["aaa", "undo local-user old", "local-user new password irreversible-cipher New-2026", "quit"], 2, "SN-ORDER"),
    ("cisco-ios", [("username admin",
                    "username old privilege 3 secret 5 $1$Zx9a$abcdefghijklmnopqrstuv\nusername admin")],
     ["no username old", "username new privilege 15 secret New-2026"], 1, "SN-ORDER"),
    # the switch's own objects
    ("huawei-vrp", [], ["aaa", "undo domain default", "quit"], 2, "SN-BUILTIN"),
    ("huawei-vrp", [], ["aaa", "undo authentication-scheme default", "quit"], 2, "SN-BUILTIN"),
    ("huawei-vrp", [], ["undo user-interface vty 16 20"], 1, "SN-BUILTIN"),
    ("huawei-vrp", [], ["undo ntp-service server disable"], 1, "SN-BUILTIN"),
    ("huawei-vrp", [], ["undo interface Vlanif1"], 1, "SN-BUILTIN"),
    ("cisco-ios", [], ["no interface Vlan1"], 1, "SN-BUILTIN"),
    ("cisco-ios", [], ["no line vty 5 15"], 1, "SN-BUILTIN"),
    # only lines the switch holds, and never hardening undone
    ("huawei-vrp", [("interface XGigabitEthernet0/0/4\n#", "interface XGigabitEthernet0/0/4\n shutdown\n#")],
     ["interface XGigabitEthernet0/0/4", "undo shutdown", "quit"], 2, "SN-OWNED"),
    ("cisco-ios", [("interface Vlan10\n", "interface Vlan10\n no ip proxy-arp\n")],
     ["interface Vlan10", "ip proxy-arp", "exit"], 2, "SN-OWNED"),
    ("huawei-vrp", [("#\nreturn", "#\nundo ntp-service ipv6 server disable\n#\nreturn")],
     ["ntp-service ipv6 server disable"], 1, "SN-OWNED"),
    ("huawei-vrp", [], ["aaa", "undo local-user password", "quit"], 2, "SN-OWNED"),
    # no negation carries a secret
    ("cisco-ios", [("line vty 0 4\n", "line vty 0 4\n password 7 0822455D0A16\n")],
     ["line vty 0 4", "no password 7 0822455D0A16", "exit"], 2, "SN-SECRET"),
    ("huawei-vrp", [("snmp-agent usm-user v3 schoolnet-monitor group schoolnet\n",
                     "snmp-agent usm-user v3 schoolnet-monitor group schoolnet\nsnmp-agent community read cipher "
                     "%^%#x0Ux4Y)hB4@3hTb;H\"QJ-[n#E%^%#\n")],
     ["undo snmp-agent community read cipher %^%#x0Ux4Y)hB4@3hTb;H\"QJ-[n#E%^%#"], 1, "SN-SECRET"),
    # what must pass
    ("huawei-vrp", [], ["ip route-static 0.0.0.0 0.0.0.0 10.65.164.2",
                        "undo ip route-static 0.0.0.0 0.0.0.0 10.65.164.1"], 0, ""),
    ("huawei-vrp", [], ["aaa", "local-user ops password irreversible-cipher Ops-2026", "undo local-user admin",
                        "quit"], 3, "SN-MGMT"),  # even after a new user: the login user stays
    ("cisco-ios", [("aaa new-model", "no aaa new-model")],
     ["aaa new-model", "aaa authentication login default local", "line vty 0 4", "login authentication default",
      "exit"], 0, ""),
    ("cisco-ios", [], ["vlan 50", "interface GigabitEthernet1/0/3", "switchport access vlan 50", "exit"], 0, ""),
]


@pytest.mark.parametrize(("os", "edits", "remediation", "line", "invariant"), CASES)
def test_a_remediation_that_breaks_an_invariant_is_refused_with_its_line(
        os: str, edits: list[tuple[str, str]], remediation: list[str], line: int, invariant: str) -> None:
    running, intended = printed(os, edits)
    breaches = check(os, remediation, running, intended, "admin")
    if not invariant:
        assert breaches == []
        return
    assert breaches, remediation
    first = breaches[0]
    assert (first.number, first.invariant.split()[0]) == (line, invariant)
    assert str(first).startswith(f"line {line} `{remediation[line - 1]}` breaks {invariant} (")
