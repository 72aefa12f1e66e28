"""Compliance of switches by feature, and their remediation, per platform.

Each table row is a running configuration (as the switch prints it) and an intended one (as
rendered), the remediation expected, and what stock hier-config says for the same managed
features: where the two differ, the row shows both and the module docstring of
schoolnet.switches.compliance says why.  Every row is then applied to a small model of the
switch (lines in a tree, the vendor's list and single-value semantics, written here without
the module's code) and compared again: compliant, nothing left to send.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from hier_config import Platform, WorkflowRemediation, get_hconfig

from schoolnet.model.programme import SwitchFeature
from schoolnet.switches.compliance import Compliance, ComplianceError, _remediation, compare
from tests.conftest import ROOT, invoke

FEATURES = [SwitchFeature.model_validate(f) for f in
            yaml.safe_load((ROOT / "inventory" / "programme.yaml").read_text())["switch_features"]]
NESTED = SwitchFeature(name="qos", sections={"cisco-ios": ["^policy-map "], "huawei-vrp": ["^traffic behavior "]})
NEGATION = {"huawei-vrp": "undo ", "cisco-ios": "no "}
SAME = None  # hier-config says exactly what we send

# --- the small configurations ------------------------------------------------------------------------------

VRP_INTENDED = """\
!Software Version V200R022C00SPC500
!sw1: access switch of a school (managed by schoolnet)
#
sysname sw1
#
clock timezone AZT add 04:00:00
#
vlan batch 10 20 30
#
vlan 10
 description management
#
vlan 20
 description staff
#
vlan 30
 description tablets
#
aaa
 local-user admin password irreversible-cipher S3cret-admin
 local-user admin privilege level 15
 local-user admin service-type ssh
#
interface Vlanif10
 description management
 ip address 10.0.0.11 255.255.255.192
#
interface GigabitEthernet0/0/1
 description staff
 port link-type access
 port default vlan 20
 stp edged-port enable
#
interface XGigabitEthernet0/0/1
 description uplink to edge
 port link-type trunk
 undo port trunk allow-pass vlan 1
 port trunk allow-pass vlan 10 20 30
#
ip route-static 0.0.0.0 0.0.0.0 10.0.0.1
#
snmp-agent
snmp-agent sys-info version v3
snmp-agent group v3 schoolnet privacy
snmp-agent usm-user v3 monitor group schoolnet
snmp-agent usm-user v3 monitor authentication-mode sha2-256 cipher S3cret-auth
snmp-agent usm-user v3 monitor privacy-mode aes128 cipher S3cret-priv
#
ntp-service unicast-server 10.0.20.16
#
stelnet server enable
ssh user admin authentication-type password
ssh user admin service-type stelnet
#
user-interface vty 0 4
 authentication-mode aaa
 protocol inbound ssh
#
return
"""

# as `display current-configuration` prints it: its own banner, a line schoolnet does not manage
VRP_RUNNING = (VRP_INTENDED
               .replace("!sw1: access switch of a school (managed by schoolnet)\n",
                        "!Last configuration was updated at 2026-11-30 10:00:00+04:00\n")
               .replace("#\nclock timezone", "#\ndrop illegal-mac alarm\n#\nclock timezone"))

IOS_INTENDED = """\
! sw1: access switch of a school (managed by schoolnet)
!
hostname sw1
!
service password-encryption
no ip http server
no ip http secure-server
ip domain name school.example
!
username admin privilege 15 secret S3cret-admin
aaa new-model
aaa authentication login default local
aaa authorization exec default local
!
vlan 10
 name management
!
vlan 20
 name staff
!
vlan 30
 name tablets
!
interface Vlan10
 description management
 ip address 10.0.0.11 255.255.255.192
!
interface GigabitEthernet1/0/1
 description staff
 switchport mode access
 switchport access vlan 20
 spanning-tree portfast
!
interface GigabitEthernet1/1/1
 description uplink to edge
 switchport mode trunk
 switchport trunk allowed vlan 10,20,30
!
ip default-gateway 10.0.0.1
!
snmp-server group schoolnet v3 priv
snmp-server user monitor schoolnet v3 auth sha S3cret-auth priv aes 128 S3cret-priv
!
ntp server 10.0.20.16
!
ip ssh version 2
line vty 0 4
 transport input ssh
 login authentication default
!
end
"""

# as `show running-config` prints it
IOS_RUNNING = (IOS_INTENDED
               .replace("! sw1: access switch of a school (managed by schoolnet)\n",
                        "Building configuration...\n\nCurrent configuration : 1822 bytes\n!\n"
                        "! Last configuration change at 10:00:00 AZT Mon Nov 30 2026\n!\nversion 15.2\n"
                        "no service pad\n")
               .replace("!\nip ssh version 2\n", "!\nip ssh version 2\nline con 0\n"))

BASE = {"huawei-vrp": (VRP_RUNNING, VRP_INTENDED), "cisco-ios": (IOS_RUNNING, IOS_INTENDED)}


@dataclass
class Case:
    id: str
    os: str
    running: list[tuple[str, str]]   # edits of the base running configuration (old, new)
    intended: list[tuple[str, str]]  # edits of the base intended configuration
    remediation: tuple[str, ...]
    hier_config: tuple[str, ...] | None = SAME
    features: list[SwitchFeature] = field(default_factory=lambda: FEATURES)
    held_back: tuple[str, ...] = ()  # needed but never typed: the switch stays non-compliant until the console

    def configs(self) -> tuple[str, str]:
        running, intended = BASE[self.os]
        return edit(running, self.running), edit(intended, self.intended)


def edit(text: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert text.count(old) == 1, f"edit {old!r} must match once"
        text = text.replace(old, new)
    return text


def vrp(id: str, running: list[tuple[str, str]], intended: list[tuple[str, str]], remediation: tuple[str, ...],
        hier_config: tuple[str, ...] | None = SAME, features: list[SwitchFeature] | None = None,
        held_back: tuple[str, ...] = ()) -> Case:
    return Case(id, "huawei-vrp", running, intended, remediation, hier_config, features or FEATURES, held_back)


def ios(id: str, running: list[tuple[str, str]], intended: list[tuple[str, str]], remediation: tuple[str, ...],
        hier_config: tuple[str, ...] | None = SAME, features: list[SwitchFeature] | None = None,
        held_back: tuple[str, ...] = ()) -> Case:
    return Case(id, "cisco-ios", running, intended, remediation, hier_config, features or FEATURES, held_back)


PORT_VRP = " description staff\n port link-type access\n port default vlan 20\n stp edged-port enable\n"
PORT_IOS = " description staff\n switchport mode access\n switchport access vlan 20\n spanning-tree portfast\n"
SNMP_VRP = ("snmp-agent usm-user v3 monitor group schoolnet\n"
            "snmp-agent usm-user v3 monitor authentication-mode sha2-256 cipher S3cret-auth\n"
            "snmp-agent usm-user v3 monitor privacy-mode aes128 cipher S3cret-priv\n")
VRP_DOMAIN = " local-user admin service-type ssh\n"

CASES = [
    # --- Huawei VRP ---
    vrp("compliant", [], [], ()),
    vrp("system: add", [("clock timezone AZT add 04:00:00\n#\n", "")], [], ("clock timezone AZT add 04:00:00",)),
    vrp("system: change", [], [("sysname sw1", "sysname sw9")], ("sysname sw9",),
        hier_config=("undo sysname sw1", "sysname sw9")),
    vrp("system: remove", [], [("clock timezone AZT add 04:00:00\n#\n", "")], ("undo clock timezone",),
        hier_config=("undo clock timezone AZT add 04:00:00",)),
    vrp("vlans: add", [], [("vlan batch 10 20 30", "vlan batch 10 20 30 40"),
                           (" description tablets\n", " description tablets\n#\nvlan 40\n description guest\n")],
        ("vlan batch 40", "vlan 40", "description guest", "quit"),
        hier_config=("undo vlan batch 10 20 30", "vlan batch 10 20 30 40", "vlan 40", "description guest", "quit")),
    vrp("vlans: change", [], [(" description tablets\n", " description pupils\n")],
        ("vlan 30", "description pupils", "quit"),
        hier_config=("vlan 30", "undo description", "description pupils", "quit")),
    vrp("vlans: remove, after the uplink stops carrying it", [],
        [("vlan batch 10 20 30", "vlan batch 10 20"), ("#\nvlan 30\n description tablets\n", ""),
         ("port trunk allow-pass vlan 10 20 30", "port trunk allow-pass vlan 10 20")],
        ("interface XGigabitEthernet0/0/1", "undo port trunk allow-pass vlan 30", "quit", "undo vlan batch 30"),
        hier_config=("undo vlan batch 10 20 30", "undo vlan 30", "vlan batch 10 20", "interface XGigabitEthernet0/0/1",
                     "undo port trunk allow-pass vlan 10 20 30", "port trunk allow-pass vlan 10 20", "quit")),
    vrp("vlans: a VLAN kept without its section is emptied, not deleted", [],
        [("#\nvlan 30\n description tablets\n", "")], ("vlan 30", "undo description", "quit"),
        hier_config=("undo vlan 30",)),
    vrp("vlans: lists compared as sets, as the switch prints them (sorted, ranged)",
        [("vlan batch 10 20 30", "vlan batch 10 to 12 20 30")],
        [("vlan batch 10 20 30", "vlan batch 30 20 12 11 10"),
         ("port trunk allow-pass vlan 10 20 30", "port trunk allow-pass vlan 30 10 20")], (),
        hier_config=("undo vlan batch 10 to 12 20 30", "vlan batch 30 20 12 11 10", "interface XGigabitEthernet0/0/1",
                     "undo port trunk allow-pass vlan 10 20 30", "port trunk allow-pass vlan 30 10 20", "quit")),
    vrp("vlans: many added, at most ten items a line", [],
        [("vlan batch 10 20 30", "vlan batch 10 20 30 " + " ".join(str(v) for v in range(100, 140, 2)))],
        ("vlan batch 100 102 104 106 108 110 112 114 116 118", "vlan batch 120 122 124 126 128 130 132 134 136 138"),
        hier_config=("undo vlan batch 10 20 30",
                     "vlan batch 10 20 30 " + " ".join(str(v) for v in range(100, 140, 2)))),
    vrp("interfaces: add (a port the switch prints empty)", [(PORT_VRP, "")], [],
        ("interface GigabitEthernet0/0/1", "description staff", "port link-type access", "port default vlan 20",
         "stp edged-port enable", "quit")),
    vrp("interfaces: change (an access port moves VLAN in one line)", [],
        [(PORT_VRP, PORT_VRP.replace("staff", "tablets").replace("vlan 20", "vlan 30"))],
        ("interface GigabitEthernet0/0/1", "description tablets", "port default vlan 30", "quit"),
        hier_config=("interface GigabitEthernet0/0/1", "undo description", "undo port default vlan 20",
                     "description tablets", "port default vlan 30", "quit")),
    vrp("interfaces: a port the build no longer names is left as it is (never emptied: hardening stays)", [],
        [("interface GigabitEthernet0/0/1\n" + PORT_VRP + "#\n", "")], (),
        hier_config=("undo interface GigabitEthernet0/0/1",)),
    vrp("interfaces: empty ports the switch prints are nothing to remove",
        [("#\nip route-static", "#\ninterface GigabitEthernet0/0/2\n#\ninterface XGigabitEthernet0/0/2\n"
                                "#\nip route-static")], [], (),
        hier_config=("undo interface GigabitEthernet0/0/2", "undo interface XGigabitEthernet0/0/2")),
    vrp("interfaces: the uplink carries one more VLAN (never the whole list undone)", [],
        [("port trunk allow-pass vlan 10 20 30", "port trunk allow-pass vlan 10 20 30 40")],
        ("interface XGigabitEthernet0/0/1", "port trunk allow-pass vlan 40", "quit"),
        hier_config=("interface XGigabitEthernet0/0/1", "undo port trunk allow-pass vlan 10 20 30",
                     "port trunk allow-pass vlan 10 20 30 40", "quit")),
    vrp("interfaces: an access port becomes a trunk (cleared, then its type, then its VLANs)", [],
        [(PORT_VRP, " description uplink 2\n port link-type trunk\n port trunk allow-pass vlan 10 20\n")],
        ("interface GigabitEthernet0/0/1", "undo stp edged-port", "undo port default vlan", "description uplink 2",
         "port link-type trunk", "port trunk allow-pass vlan 10 20", "quit"),
        hier_config=("interface GigabitEthernet0/0/1", "undo description", "undo port link-type access",
                     "undo port default vlan 20", "undo stp edged-port enable", "description uplink 2",
                     "port link-type trunk", "port trunk allow-pass vlan 10 20", "quit")),
    vrp("interfaces: a negation the intent spells (VLAN 1 off the trunk)",
        [(" undo port trunk allow-pass vlan 1\n", "")], [],
        ("interface XGigabitEthernet0/0/1", "undo port trunk allow-pass vlan 1", "quit")),
    vrp("management: new default route before the old one goes", [],
        [("0.0.0.0 0.0.0.0 10.0.0.1", "0.0.0.0 0.0.0.0 10.0.0.2")],
        ("ip route-static 0.0.0.0 0.0.0.0 10.0.0.2", "undo ip route-static 0.0.0.0 0.0.0.0 10.0.0.1"),
        hier_config=("undo ip route-static 0.0.0.0 0.0.0.0 10.0.0.1", "ip route-static 0.0.0.0 0.0.0.0 10.0.0.2")),
    vrp("management: a new address is held back for the console (typed over SSH, it cuts the session)", [],
        [("ip address 10.0.0.11", "ip address 10.0.0.12")], (),
        hier_config=("interface Vlanif10", "undo ip address 10.0.0.11 255.255.255.192",
                     "ip address 10.0.0.12 255.255.255.192", "quit"),
        held_back=("interface Vlanif10: ip address 10.0.0.12 255.255.255.192",)),
    vrp("management: moves VLAN: the new interface is added, the old one (managed over) left to the console", [],
        [("interface Vlanif10", "interface Vlanif20")],
        ("interface Vlanif20", "description management", "ip address 10.0.0.11 255.255.255.192", "quit"),
        hier_config=("undo interface Vlanif10", "interface Vlanif20", "description management",
                     "ip address 10.0.0.11 255.255.255.192", "quit")),
    vrp("management: add", [("#\nip route-static 0.0.0.0 0.0.0.0 10.0.0.1\n", "")], [],
        ("ip route-static 0.0.0.0 0.0.0.0 10.0.0.1",)),
    vrp("aaa: a password changes without the old one typed", [], [("S3cret-admin", "N3w-admin")],
        ("aaa", "local-user admin password irreversible-cipher N3w-admin", "quit"),
        hier_config=("aaa", "undo local-user admin password irreversible-cipher S3cret-admin",
                     "local-user admin password irreversible-cipher N3w-admin", "quit")),
    vrp("aaa: a local user added", [],
        [(VRP_DOMAIN, VRP_DOMAIN + " local-user ops password irreversible-cipher 0ps-pass\n"
                                   " local-user ops privilege level 3\n")],
        ("aaa", "local-user ops password irreversible-cipher 0ps-pass", "local-user ops privilege level 3", "quit")),
    vrp("aaa: a local user removed in one line",
        [(VRP_DOMAIN, VRP_DOMAIN + " local-user olduser password irreversible-cipher 0ld-pass\n"
                                   " local-user olduser privilege level 3\n")], [],
        ("aaa", "undo local-user olduser", "quit"),
        hier_config=("aaa", "undo local-user olduser password irreversible-cipher 0ld-pass",
                     "undo local-user olduser privilege level 3", "quit")),
    vrp("aaa: a local user's attribute removed", [], [(VRP_DOMAIN, "")],
        ("aaa", "undo local-user admin service-type", "quit"),
        hier_config=("aaa", "undo local-user admin service-type ssh", "quit")),
    vrp("aaa: an SSH user removed in one line", [],
        [("ssh user admin authentication-type password\nssh user admin service-type stelnet\n", "")],
        ("undo ssh user admin",),
        hier_config=("undo ssh user admin authentication-type password", "undo ssh user admin service-type stelnet")),
    vrp("aaa: the switch's own schemes, domains and policies are not schoolnet's (V200R022 prints them)",
        [(VRP_DOMAIN, " authentication-scheme default\n  authentication-mode local\n authorization-scheme default\n"
                      "  authorization-mode local\n accounting-scheme default\n  accounting-mode none\n"
                      " local-aaa-user password policy administrator\n  password expire 0\n domain default\n"
                      "  authentication-scheme radius\n domain default_admin\n  authentication-scheme default\n"
                      + VRP_DOMAIN + " undo local-user password change-offline enable\n")], [], (),
        hier_config=("aaa", "undo authentication-scheme default", "undo authorization-scheme default",
                     "undo accounting-scheme default", "undo local-aaa-user password policy administrator",
                     "undo domain default", "undo domain default_admin", "local-user password change-offline enable",
                     "quit")),
    vrp("aaa: VTY lines other than 0-4 and the console are not schoolnet's",
        [("user-interface vty 0 4\n", "user-interface con 0\n authentication-mode password\nuser-interface vty 0 4\n"),
         ("protocol inbound ssh\n", "protocol inbound ssh\nuser-interface vty 16 20\n protocol inbound telnet\n")],
        [], ()),
    vrp("aaa: vty protocol in one line", [], [("protocol inbound ssh", "protocol inbound all")],
        ("user-interface vty 0 4", "protocol inbound all", "quit"),
        hier_config=("user-interface vty 0 4", "undo protocol inbound ssh", "protocol inbound all", "quit")),
    vrp("snmp: add", [(SNMP_VRP, "")], [], tuple(SNMP_VRP.splitlines())),
    vrp("snmp: a key changes without the old one typed", [], [("S3cret-auth", "N3w-auth")],
        ("snmp-agent usm-user v3 monitor authentication-mode sha2-256 cipher N3w-auth",),
        hier_config=("undo snmp-agent usm-user v3 monitor authentication-mode sha2-256 cipher S3cret-auth",
                     "snmp-agent usm-user v3 monitor authentication-mode sha2-256 cipher N3w-auth")),
    vrp("snmp: a user removed in one line", [], [(SNMP_VRP, "")], ("undo snmp-agent usm-user v3 monitor",),
        hier_config=tuple("undo " + line for line in SNMP_VRP.splitlines())),
    vrp("snmp: removed, users before their group, the agent last", [],
        [("snmp-agent\nsnmp-agent sys-info version v3\nsnmp-agent group v3 schoolnet privacy\n" + SNMP_VRP, "")],
        ("undo snmp-agent usm-user v3 monitor", "undo snmp-agent group v3 schoolnet privacy",
         "undo snmp-agent sys-info version v3", "undo snmp-agent"),
        hier_config=("undo snmp-agent", "undo snmp-agent sys-info version v3",
                     "undo snmp-agent group v3 schoolnet privacy",
                     *("undo " + line for line in SNMP_VRP.splitlines()))),
    vrp("ntp: a new server before the old one goes", [], [("unicast-server 10.0.20.16", "unicast-server 10.0.20.17")],
        ("ntp-service unicast-server 10.0.20.17", "undo ntp-service unicast-server 10.0.20.16"),
        hier_config=("undo ntp-service unicast-server 10.0.20.16", "ntp-service unicast-server 10.0.20.17")),
    vrp("unmanaged lines are reported, never removed",
        [("#\nsysname sw1\n", "#\nsysname sw1\n#\nundo http server enable\ninfo-center loghost 10.0.30.5\n"
                              "#\ninterface NULL0\n#\ninterface MEth0/0/1\n ip address 192.168.1.253 255.255.255.0\n")],
        [], ()),
    vrp("nested sections of a feature the test declares",
        [("#\nreturn", "#\ntraffic behavior video\n car cir 1000\n#\nreturn")],
        [("#\nreturn", "#\ntraffic behavior video\n car cir 2000\n#\nreturn")],
        ("traffic behavior video", "undo car cir 1000", "car cir 2000", "quit"), features=[*FEATURES, NESTED]),

    # --- Cisco IOS ---
    ios("compliant", [], [], ()),
    ios("system: add", [("ip domain name school.example\n", "")], [], ("ip domain name school.example",)),
    ios("system: change", [], [("hostname sw1", "hostname sw9")], ("hostname sw9",),
        hier_config=("no hostname sw1", "hostname sw9")),
    ios("system: remove", [], [("ip domain name school.example\n", "")], ("no ip domain name",),
        hier_config=("no ip domain name school.example",)),
    ios("system: a negation the intent spells (the line and its negation are one setting)",
        [("no ip http server", "ip http server")], [], ("no ip http server",)),
    ios("vlans: add", [], [("vlan 30\n name tablets\n!\n", "vlan 30\n name tablets\n!\nvlan 40\n name guest\n!\n")],
        ("vlan 40", "name guest", "exit")),
    ios("vlans: change", [], [(" name tablets", " name pupils")], ("vlan 30", "name pupils", "exit")),
    ios("vlans: remove, after the uplink stops carrying it", [],
        [("vlan 30\n name tablets\n!\n", ""),
         ("switchport trunk allowed vlan 10,20,30", "switchport trunk allowed vlan 10,20")],
        ("interface GigabitEthernet1/1/1", "switchport trunk allowed vlan remove 30", "exit", "no vlan 30"),
        hier_config=("no vlan 30", "interface GigabitEthernet1/1/1", "no switchport trunk allowed vlan 10,20,30",
                     "switchport trunk allowed vlan 10,20", "exit")),
    ios("vlans: lists compared as sets, as the switch prints them (sorted, ranged, continued)",
        [("switchport trunk allowed vlan 10,20,30",
          "switchport trunk allowed vlan 10-12,20\n switchport trunk allowed vlan add 30")],
        [("switchport trunk allowed vlan 10,20,30", "switchport trunk allowed vlan 30,20,12,11,10")], (),
        hier_config=("interface GigabitEthernet1/1/1", "no switchport trunk allowed vlan 10-12,20",
                     "no switchport trunk allowed vlan add 30", "switchport trunk allowed vlan 30,20,12,11,10",
                     "exit")),
    ios("interfaces: add (a port the switch prints empty)", [(PORT_IOS, "")], [],
        ("interface GigabitEthernet1/0/1", "switchport mode access", "description staff", "switchport access vlan 20",
         "spanning-tree portfast", "exit")),
    ios("interfaces: change (an access port moves VLAN in one line)", [],
        [(PORT_IOS, PORT_IOS.replace("staff", "tablets").replace("vlan 20", "vlan 30"))],
        ("interface GigabitEthernet1/0/1", "description tablets", "switchport access vlan 30", "exit"),
        hier_config=("interface GigabitEthernet1/0/1", "no switchport access vlan 20", "description tablets",
                     "switchport access vlan 30", "exit")),
    ios("interfaces: a port the build no longer names is left as it is (never emptied: hardening stays)", [],
        [("interface GigabitEthernet1/0/1\n" + PORT_IOS + "!\n", "")], (),
        hier_config=("no interface GigabitEthernet1/0/1",)),
    ios("interfaces: empty ports and the default Vlan1 the switch prints are nothing to remove",
        [("!\nip default-gateway", "!\ninterface GigabitEthernet1/0/2\n!\ninterface GigabitEthernet1/1/2\n!\n"
                                   "interface Vlan1\n no ip address\n!\nip default-gateway")], [], (),
        hier_config=("no interface GigabitEthernet1/0/2", "no interface GigabitEthernet1/1/2")),
    ios("interfaces: the uplink carries one more VLAN", [],
        [("switchport trunk allowed vlan 10,20,30", "switchport trunk allowed vlan 10,20,30,40")],
        ("interface GigabitEthernet1/1/1", "switchport trunk allowed vlan add 40", "exit"),
        hier_config=("interface GigabitEthernet1/1/1", "no switchport trunk allowed vlan 10,20,30",
                     "switchport trunk allowed vlan 10,20,30,40", "exit")),
    ios("interfaces: a trunk that carried every VLAN gets its list",
        [(" switchport trunk allowed vlan 10,20,30\n", "")], [],
        ("interface GigabitEthernet1/1/1", "switchport trunk allowed vlan 10,20,30", "exit")),
    ios("interfaces: a trunk back to every VLAN", [], [(" switchport trunk allowed vlan 10,20,30\n", "")],
        ("interface GigabitEthernet1/1/1", "no switchport trunk allowed vlan", "exit"),
        hier_config=("interface GigabitEthernet1/1/1", "no switchport trunk allowed vlan 10,20,30", "exit")),
    ios("interfaces: an access port becomes a trunk (cleared, then its mode, then its VLANs)", [],
        [(PORT_IOS, " description uplink 2\n switchport mode trunk\n switchport trunk allowed vlan 10,20\n")],
        ("interface GigabitEthernet1/0/1", "no spanning-tree portfast", "no switchport access vlan",
         "switchport mode trunk", "description uplink 2", "switchport trunk allowed vlan 10,20", "exit"),
        hier_config=("interface GigabitEthernet1/0/1", "switchport mode trunk", "no switchport access vlan 20",
                     "no spanning-tree portfast", "description uplink 2", "switchport trunk allowed vlan 10,20",
                     "exit")),
    ios("management: the gateway changes in one line", [], [("default-gateway 10.0.0.1", "default-gateway 10.0.0.2")],
        ("ip default-gateway 10.0.0.2",),
        hier_config=("no ip default-gateway 10.0.0.1", "ip default-gateway 10.0.0.2")),
    ios("management: a new address is held back for the console (typed over SSH, it cuts the session)", [],
        [("ip address 10.0.0.11", "ip address 10.0.0.12")], (),
        hier_config=("interface Vlan10", "ip address 10.0.0.12 255.255.255.192", "exit"),
        held_back=("interface Vlan10: ip address 10.0.0.12 255.255.255.192",)),
    ios("management: moves VLAN: the new interface is added, the old one (managed over) left to the console", [],
        [("interface Vlan10", "interface Vlan20")],
        ("interface Vlan20", "description management", "ip address 10.0.0.11 255.255.255.192", "exit"),
        hier_config=("no interface Vlan10", "interface Vlan20", "description management",
                     "ip address 10.0.0.11 255.255.255.192", "exit")),
    ios("aaa: a secret changes without the old one typed", [], [("S3cret-admin", "N3w-admin")],
        ("username admin privilege 15 secret N3w-admin",),
        hier_config=("no username admin privilege 15 secret S3cret-admin",
                     "username admin privilege 15 secret N3w-admin")),
    ios("aaa: a user added", [], [("aaa new-model\n", "username ops privilege 3 secret 0ps-pass\naaa new-model\n")],
        ("username ops privilege 3 secret 0ps-pass",)),
    ios("aaa: a user removed by name only", [("aaa new-model\n", "username olduser privilege 1 secret 0ld-pass\n"
                                                                 "aaa new-model\n")], [],
        ("no username olduser",), hier_config=("no username olduser privilege 1 secret 0ld-pass",)),
    ios("aaa: a line removed (IOS takes the full negation)", [], [("aaa authorization exec default local\n", "")],
        ("no aaa authorization exec default local",)),
    ios("aaa: vty transport in one line", [], [("transport input ssh", "transport input ssh telnet")],
        ("line vty 0 4", "transport input ssh telnet", "exit"),
        hier_config=("line vty 0 4", "no transport input ssh", "transport input ssh telnet", "exit")),
    ios("snmp: add", [("snmp-server group schoolnet v3 priv\nsnmp-server user", "snmp-server user"),
                      ("snmp-server user monitor schoolnet v3 auth sha S3cret-auth priv aes 128 S3cret-priv\n", "")],
        [], ("snmp-server group schoolnet v3 priv",
             "snmp-server user monitor schoolnet v3 auth sha S3cret-auth priv aes 128 S3cret-priv")),
    ios("snmp: a key changes without the old one typed", [], [("S3cret-auth", "N3w-auth")],
        ("snmp-server user monitor schoolnet v3 auth sha N3w-auth priv aes 128 S3cret-priv",),
        hier_config=("no snmp-server user monitor schoolnet v3 auth sha S3cret-auth priv aes 128 S3cret-priv",
                     "snmp-server user monitor schoolnet v3 auth sha N3w-auth priv aes 128 S3cret-priv")),
    ios("snmp: removed, the user before its group, by name only", [],
        [("snmp-server group schoolnet v3 priv\nsnmp-server user monitor schoolnet v3 auth sha S3cret-auth "
          "priv aes 128 S3cret-priv\n", "")],
        ("no snmp-server user monitor schoolnet v3", "no snmp-server group schoolnet v3 priv"),
        hier_config=("no snmp-server group schoolnet v3 priv",
                     "no snmp-server user monitor schoolnet v3 auth sha S3cret-auth priv aes 128 S3cret-priv")),
    ios("ntp: a new server before the old one goes", [], [("ntp server 10.0.20.16", "ntp server 10.0.20.17")],
        ("ntp server 10.0.20.17", "no ntp server 10.0.20.16"),
        hier_config=("no ntp server 10.0.20.16", "ntp server 10.0.20.17")),
    ios("unmanaged lines are reported, never removed",
        [("no service pad\n", "no service pad\nservice timestamps log datetime msec\n"
                              "banner motd ^C\nAuthorized access only\n^C\n")], [], ()),
    ios("nested sections of a feature the test declares",
        [("!\nend", "!\npolicy-map uplink\n class video\n  police 1000000\n!\nend")],
        [("!\nend", "!\npolicy-map uplink\n class video\n  police 2000000\n!\nend")],
        ("policy-map uplink", "class video", "no police 1000000", "police 2000000", "exit", "exit"),
        features=[*FEATURES, NESTED]),
    ios("nested sections added and removed",
        [("!\nend", "!\npolicy-map old\n class video\n  police 1000000\n!\nend")],
        [("!\nend", "!\npolicy-map uplink\n class video\n  police 2000000\n!\nend")],
        ("policy-map uplink", "class video", "police 2000000", "exit", "exit", "no policy-map old"),
        hier_config=("no policy-map old", "policy-map uplink", "class video", "police 2000000", "exit", "exit"),
        features=[*FEATURES, NESTED]),
]


# --- hier-config's own answer, for the same managed features ------------------------------------------------

PLATFORMS = {"huawei-vrp": Platform.HUAWEI_VRP, "cisco-ios": Platform.CISCO_IOS}


def hier_config_says(os: str, features: list[SwitchFeature], running: str, intended: str) -> tuple[str, ...]:
    """Stock WorkflowRemediation, its top-level lines kept where they touch a managed feature."""
    def parse(text: str) -> object:  # VRP's closing `return` is the one non-configuration line hier-config keeps
        return get_hconfig(PLATFORMS[os], "\n".join(line for line in text.splitlines() if line != "return"))
    delta = WorkflowRemediation(parse(running), parse(intended)).remediation_config  # type: ignore[arg-type]
    patterns = [re.compile(p.partition(" >> ")[0]) for f in features for p in f.sections.get(os, [])]
    out: list[str] = []
    for node in sorted(delta.children):
        positive = node.text.removeprefix(NEGATION[os])
        if any(p.search(node.text) or p.search(positive) or p.search(NEGATION[os] + positive) for p in patterns):
            out += [line.strip() for line in node.lines(sectional_exiting=True)]
    return tuple(out)


# --- a small model of a switch applying what it is sent -------------------------------------------------------

Tree = dict[str, "Tree"]

ENTERS = {"huawei-vrp": re.compile(r"^(?:interface \S+$|vlan \d+$|aaa$|user-interface |domain |traffic behavior )"),
          "cisco-ios": re.compile(r"^(?:interface \S+$|vlan \d+$|line |policy-map |class )")}
LEAVES = {"huawei-vrp": "quit", "cisco-ios": "exit"}
# "last value wins": typing one replaces the line with the same key
SINGLE = {"huawei-vrp": re.compile(r"^(sysname|clock timezone|local-user \S+ (?:password|privilege level|service-type)"
                                   r"|snmp-agent usm-user v3 \S+ (?:authentication-mode|privacy-mode|group)"
                                   r"|ssh user \S+ (?:authentication-type|service-type)|description|port link-type"
                                   r"|port default vlan|stp edged-port|ip address(?= \S+ \S+$)|authentication-mode"
                                   r"|protocol inbound|authentication-scheme|car cir) "),
          "cisco-ios": re.compile(r"^(hostname|ip domain name|clock timezone|ip default-gateway|ip ssh version"
                                  r"|username \S+|snmp-server user \S+|aaa authentication login \S+"
                                  r"|aaa authorization exec \S+|description|name|switchport mode|switchport access vlan"
                                  r"|ip address|transport input|login authentication|police) ")}
SHOWN_WHEN_OFF = {"huawei-vrp": (), "cisco-ios": ("ip http server", "ip http secure-server")}
LISTS = {"huawei-vrp": ("vlan batch", "port trunk allow-pass vlan"), "cisco-ios": ("switchport trunk allowed vlan",)}


def vlan_ids(text: str) -> set[int]:
    ids: set[int] = set()
    for part in re.split(r"[ ,]+", text.strip().replace(" to ", "-")):
        first, _, last = part.partition("-")
        ids.update(range(int(first), int(last or first) + 1))
    return ids


def spell(os: str, ids: set[int]) -> str:
    """How a switch prints a list: sorted, runs as ranges (VRP `10 to 11`, IOS `10-11`)."""
    runs: list[list[int]] = []
    for vid in sorted(ids):
        if runs and runs[-1][1] == vid - 1:
            runs[-1][1] = vid
        else:
            runs.append([vid, vid])
    to, sep = (" to ", " ") if os == "huawei-vrp" else ("-", ",")
    return sep.join(f"{a}{to}{b}" if b > a else str(a) for a, b in runs) or "none"


def load(text: str) -> Tree:
    root: Tree = {}
    stack: list[tuple[int, Tree]] = [(-1, root)]
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip()[0] in "#!" or line in ("return", "end") or line.startswith(
                ("Building configuration", "Current configuration", "version ")):
            continue
        depth = len(line) - len(line.lstrip())
        while stack[-1][0] >= depth:
            stack.pop()
        node: Tree = {}
        stack[-1][1][line.strip()] = node
        stack.append((depth, node))
    return root


def dump(os: str, tree: Tree) -> str:
    """The tree printed as the switch would print it."""
    def lines(node: Tree, depth: int) -> list[str]:
        return [line for text, child in node.items() for line in (" " * depth + text, *lines(child, depth + 1))]
    if os == "huawei-vrp":
        body = [line for text, child in tree.items() for line in ("#", text, *lines(child, 1))]
        return "\n".join(["!Software Version V200R022C00SPC500", *body, "#", "return", ""])
    body = [line for text, child in tree.items() for line in ("!", text, *lines(child, 1))]
    return "\n".join(["Building configuration...", "", "Current configuration : 999 bytes", *body, "!", "end", ""])


def find_list(node: Tree, name: str) -> str | None:
    return next((t for t in node if t.startswith(name + " ") and not t.startswith(name + " add ")), None)


def set_list(os: str, node: Tree, name: str, ids: set[int] | None) -> None:
    """Replace a list line in place, printed as the switch prints it."""
    old = find_list(node, name)
    items = list(node.items())
    new = None if ids is None else f"{name} {spell(os, ids)}"
    if old is None:
        if new is not None:
            node[new] = {}
        return
    node.clear()
    for text, child in items:
        if text != old:
            node[text] = child
        elif new is not None:
            node[new] = child


def apply(os: str, running: str, commands: tuple[str, ...]) -> str:
    """Type `commands` into the model of a switch that runs `running`; return what it prints then."""
    root = load(running)
    stack = [root]
    negation = NEGATION[os]
    for command in commands:
        node = stack[-1]
        if command == LEAVES[os]:
            stack.pop()
            continue
        if ENTERS[os].match(command):
            stack.append(node.setdefault(command, {}))
            if os == "huawei-vrp" and (vlan := re.match(r"^vlan (\d+)$", command)):
                batch = find_list(root, "vlan batch")
                set_list(os, root, "vlan batch", (vlan_ids(batch[11:]) if batch else set()) | {int(vlan[1])})
            continue
        if apply_list(os, root, node, command):
            continue
        if command.startswith(negation):
            target = command.removeprefix(negation)
            gone = [t for t in node if t == target or t.startswith(target + " ")]
            for text in gone:
                del node[text]
            if not gone or target in SHOWN_WHEN_OFF[os]:
                node[command] = {}
            continue
        node.pop(negation + command, None)
        key = SINGLE[os].match(command)
        same = next((t for t in node if key and t.startswith(key[1] + " ")), None)
        if same is not None:
            items = list(node.items())
            node.clear()
            node.update((command if t == same else t, c) for t, c in items)
        else:
            node.setdefault(command, {})
    return dump(os, root)


def apply_list(os: str, root: Tree, node: Tree, command: str) -> bool:
    """VLAN lists: VRP adds and removes ids; IOS adds, removes or replaces; absent means every VLAN on IOS."""
    negation = NEGATION[os]
    positive = command.removeprefix(negation)
    name = next((n for n in LISTS[os] if positive.startswith(n + " ") or positive == n), None)
    if name is None:
        return False
    current_text = find_list(node, name)
    current = vlan_ids(current_text[len(name) + 1:]) if current_text and not current_text.endswith(" none") else set()
    argument = positive[len(name):].strip()
    if os == "huawei-vrp":
        ids = vlan_ids(argument)
        if command.startswith(negation):
            if not ids & current:
                return False  # a negation that removes nothing is a line of its own (`undo ... vlan 1`)
            set_list(os, node, name, current - ids or None)
            if name == "vlan batch":
                for vid in ids:
                    node.pop(f"vlan {vid}", None)
        else:
            set_list(os, node, name, current | ids)
        return True
    if command.startswith(negation):
        set_list(os, node, name, None)
    elif argument.startswith("add "):
        if current_text is not None:
            set_list(os, node, name, current | vlan_ids(argument[4:]))
    elif argument.startswith("remove "):
        set_list(os, node, name, current - vlan_ids(argument[7:]))
    else:
        set_list(os, node, name, set() if argument == "none" else vlan_ids(argument))
    return True


# --- the table ------------------------------------------------------------------------------------------------

def check_consistent(result: Compliance) -> None:
    assert result.compliant == (result.remediation == ()), result
    for feature in result.features:
        assert feature.compliant == (not feature.missing and not feature.extra), feature


@pytest.mark.parametrize("case", CASES, ids=[f"{c.os}: {c.id}" for c in CASES])
def test_remediation(case: Case) -> None:
    running, intended = case.configs()
    result = compare(case.os, case.features, running, intended)
    assert result.remediation == case.remediation
    assert result.held_back == case.held_back
    if not case.held_back:
        check_consistent(result)
    expected_stock = case.remediation if case.hier_config is SAME else case.hier_config
    assert hier_config_says(case.os, case.features, running, intended) == expected_stock
    for line in result.unmanaged:  # reported, never typed, never negated
        assert line not in result.remediation and NEGATION[case.os] + line not in result.remediation


@pytest.mark.parametrize("case", CASES, ids=[f"{c.os}: {c.id}" for c in CASES])
def test_applying_the_remediation_makes_the_switch_compliant(case: Case) -> None:
    running, intended = case.configs()
    before = compare(case.os, case.features, running, intended)
    after_text = apply(case.os, running, before.remediation)
    after = compare(case.os, case.features, after_text, intended)
    if case.held_back:  # what is held back is still to do, from the console
        assert not after.compliant and after.held_back == case.held_back
        return
    assert after.compliant, (after_text, after)
    assert after.remediation == ()
    assert after.unmanaged == before.unmanaged  # untouched


@pytest.mark.parametrize("os", ["huawei-vrp", "cisco-ios"])
def test_missing_and_extra_name_the_lines_of_each_feature(os: str) -> None:
    running, intended = BASE[os]
    if os == "huawei-vrp":
        intended = edit(intended, [(PORT_VRP, PORT_VRP.replace("vlan 20", "vlan 30")),
                                   ("vlan batch 10 20 30", "vlan batch 10 20 30 40"),
                                   ("port trunk allow-pass vlan 10 20 30", "port trunk allow-pass vlan 10 20 40")])
        ports = ("interface GigabitEthernet0/0/1", " port default vlan 30", "interface XGigabitEthernet0/0/1",
                 " port trunk allow-pass vlan 40")
        was = ("interface GigabitEthernet0/0/1", " port default vlan 20", "interface XGigabitEthernet0/0/1",
               " port trunk allow-pass vlan 30")
        vlans: tuple[tuple[str, ...], tuple[str, ...]] = (("vlan batch 40",), ())
    else:
        intended = edit(intended, [(PORT_IOS, PORT_IOS.replace("vlan 20", "vlan 30")),
                                   ("vlan 30\n name tablets\n", "vlan 30\n name tablets\n!\nvlan 40\n name guest\n"),
                                   ("allowed vlan 10,20,30", "allowed vlan 10,20,40")])
        ports = ("interface GigabitEthernet1/0/1", " switchport access vlan 30", "interface GigabitEthernet1/1/1",
                 " switchport trunk allowed vlan 40")
        was = ("interface GigabitEthernet1/0/1", " switchport access vlan 20", "interface GigabitEthernet1/1/1",
               " switchport trunk allowed vlan 30")
        vlans = (("vlan 40", " name guest"), ())
    result = compare(os, FEATURES, running, intended)
    by_name = {f.name: f for f in result.features}
    assert [f.name for f in result.features] == [f.name for f in FEATURES]
    assert (by_name["interfaces"].missing, by_name["interfaces"].extra) == (ports, was)
    assert (by_name["vlans"].missing, by_name["vlans"].extra) == vlans
    assert not result.compliant
    assert [f.name for f in result.features if not f.compliant] == ["vlans", "interfaces"]
    assert result.unmanaged == (("drop illegal-mac alarm",) if os == "huawei-vrp" else ("no service pad", "line con 0"))


def test_a_vlan_removed_goes_after_the_ports_and_interface_that_used_it() -> None:
    running, intended = BASE["huawei-vrp"]
    running = edit(running, [("vlan batch 10 20 30", "vlan batch 10 20 30 60"),
                             ("#\ninterface XGigabit", "#\nvlan 60\n description old\n#\ninterface Vlanif60\n"
                                                       " description old\n#\n"
                                                       "interface GigabitEthernet0/0/3\n port link-type access\n"
                                                       " port default vlan 60\n#\ninterface XGigabit"),
                             ("allow-pass vlan 10 20 30", "allow-pass vlan 10 20 30 60")])
    intended = edit(intended, [("vlan batch 10 20 30", "vlan batch 10 20 30 50"),
                               ("#\ninterface XGigabit", "#\nvlan 50\n description x\n"
                                                         "#\ninterface GigabitEthernet0/0/3\n"
                                                         " port link-type access\n port default vlan 30\n"
                                                         "#\ninterface XGigabit")])
    result = compare("huawei-vrp", FEATURES, running, intended)
    assert result.remediation == (
        "vlan batch 50", "vlan 50", "description x", "quit",
        "interface GigabitEthernet0/0/3", "port default vlan 30", "quit",
        "interface XGigabitEthernet0/0/1", "undo port trunk allow-pass vlan 60", "quit",
        "undo interface Vlanif60",
        "undo vlan batch 60")
    after = compare("huawei-vrp", FEATURES, apply("huawei-vrp", running, result.remediation), intended)
    assert after.compliant and after.remediation == ()


# --- the reference build ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every switch of the reference programme rendered once (and nx-kan-008, whose switches run IOS)."""
    out = tmp_path_factory.mktemp("switches") / "build"
    code, output = invoke("render", "--inventory", str(ROOT / "inventory"), "--templates", str(ROOT / "templates"),
                          "--out", str(out), "--limit", "kind:switch", "--limit", "school:nx-kan-008")
    assert code == 0, output
    return out


def rendered(build: Path) -> list[tuple[str, str, str]]:
    """(host, os, intended) of every rendered switch."""
    found = []
    for path in sorted((build / "hosts").glob("*/startup*")):
        found.append((path.parent.name, "huawei-vrp" if path.name == "startup.cfg" else "cisco-ios", path.read_text()))
    return found


def as_printed(os: str, intended: str) -> str:
    """The rendered file as the switch prints it back: lists sorted and ranged, ports it has but no line
    configures, a few defaults schoolnet does not manage."""
    tree = load(intended)
    for node in [tree, *tree.values()]:
        for name in LISTS[os]:
            if (line := find_list(node, name)) is not None:
                set_list(os, node, name, vlan_ids(line[len(name) + 1:]))
    builtin = {"interface XGigabitEthernet0/0/4": {}, "interface NULL0": {}, "drop illegal-mac alarm": {}} \
        if os == "huawei-vrp" else {"interface GigabitEthernet1/1/4": {}, "interface Vlan1": {"no ip address": {}},
                                    "no service pad": {}, "line con 0": {}}
    for line, children in builtin.items():  # the last spare port is a downlink at a four-switch school
        tree.setdefault(line, children)
    return dump(os, tree)


def test_every_rendered_switch_is_compliant_as_it_prints_back(build: Path) -> None:
    switches = rendered(build)
    assert len(switches) > 500 and {"huawei-vrp", "cisco-ios"} == {os for _, os, _ in switches}
    printed = [(host, os, as_printed(os, intended), intended) for host, os, intended in switches]
    results = [compare(os, FEATURES, running, intended) for _, os, running, intended in printed]
    for (host, _, _, _), result in zip(printed, results, strict=True):
        assert result.compliant and result.remediation == (), host
        assert set(result.unmanaged) <= {"interface NULL0", "drop illegal-mac alarm", "no service pad", "line con 0",
                                         "interface Vlan1"}
    for host, os, running, intended in printed[:: max(1, len(printed) // 8)]:  # the full diff finds nothing either
        assert _remediation_of(os, running, intended) == (), host


def _remediation_of(os: str, running: str, intended: str) -> tuple[str, ...]:
    from schoolnet.switches import compliance
    dialect = compliance._DIALECTS[os]
    matchers = compliance._matchers(os, tuple((f.name, tuple(f.sections.get(os, ()))) for f in FEATURES))
    have, want = (compliance._read(dialect, matchers, running, "running"),
                  compliance._read(dialect, matchers, intended, "intended"))
    compliance._disown(dialect, have, want)
    return _remediation(dialect, have, want)


@pytest.mark.parametrize("os", ["huawei-vrp", "cisco-ios"])
def test_a_drifted_reference_switch_is_made_compliant(build: Path, os: str) -> None:
    intended = next(text for _, system, text in rendered(build) if system == os)
    tree = load(as_printed(os, intended))
    ports = [t for t in tree if "GigabitEthernet" in t and tree[t] and not any("uplink" in k for k in tree[t])]
    vlans = [t for t in tree if re.match(r"^vlan \d+$", t)]
    del tree[ports[0]]                                   # a port someone cleared
    first = tree[ports[1]]
    tree[ports[1]] = {k.replace("vlan 20", "vlan 40"): v for k, v in first.items()}  # a port moved by hand
    tree[vlans[-1]] = {"description stale" if os == "huawei-vrp" else "name stale": {}}
    tree["vlan 99"] = {"description lab" if os == "huawei-vrp" else "name lab": {}}
    if os == "huawei-vrp":
        batch = find_list(tree, "vlan batch")
        assert batch is not None
        set_list(os, tree, "vlan batch", vlan_ids(batch[len("vlan batch "):]) | {99})
        tree["ntp-service unicast-server 10.9.9.9"] = {}
        tree["aaa"]["local-user guest password irreversible-cipher Gu3st"] = {}
    else:
        tree["ntp server 10.9.9.9"] = {}
        tree["username guest privilege 1 secret Gu3st"] = {}
    running = dump(os, tree)
    before = compare(os, FEATURES, running, intended)
    assert not before.compliant
    assert {f.name for f in before.features if not f.compliant} == {"vlans", "interfaces", "aaa", "ntp"}
    after = compare(os, FEATURES, apply(os, running, before.remediation), intended)
    assert after.compliant and after.remediation == (), after


# --- what compare refuses, and what it never says -------------------------------------------------------------

def test_an_intended_line_in_no_feature_is_refused_by_line_number_without_its_value() -> None:
    intended = VRP_INTENDED.replace("#\nreturn", "#\nradius-server shared-key cipher T0p-secret\n#\nreturn")
    with pytest.raises(ComplianceError) as raised:
        compare("huawei-vrp", FEATURES, VRP_RUNNING, intended)
    message = str(raised.value)
    assert "T0p-secret" not in message
    assert f"line {intended.splitlines().index('radius-server shared-key cipher T0p-secret') + 1}" in message
    assert "radius-server shared-key ..." in message and "switch_features" in message


def test_an_unknown_os_is_refused() -> None:
    with pytest.raises(ComplianceError, match="junos"):
        compare("junos", FEATURES, "", "")


def test_a_repeated_line_is_refused_without_quoting_it() -> None:
    running = VRP_RUNNING.replace(" local-user admin privilege level 15\n",
                                  " local-user admin privilege level 15\n local-user admin privilege level 15\n")
    running = running.replace("aaa\n", "aaa\n local-user x password irreversible-cipher S3cret-admin\n"
                                       " local-user x password irreversible-cipher S3cret-admin\n")
    with pytest.raises(ComplianceError) as raised:
        compare("huawei-vrp", FEATURES, running, VRP_INTENDED)
    assert "S3cret" not in str(raised.value) and raised.value.__suppress_context__


def test_nothing_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for case in CASES:
        compare(case.os, case.features, *case.configs())
    assert caplog.records == []


def test_negations_never_repeat_an_old_secret() -> None:
    secrets = ("S3cret-admin", "S3cret-auth", "S3cret-priv", "0ld-pass")
    for case in CASES:
        result = compare(case.os, case.features, *case.configs())
        negations = [line for line in result.remediation if line.startswith(NEGATION[case.os])]
        assert not [line for line in negations if any(s in line for s in secrets)], case.id


def test_a_feature_without_patterns_for_the_os_is_not_reported() -> None:
    only_ios = SwitchFeature(name="ios-only", sections={"cisco-ios": ["^banner "]})
    result = compare("huawei-vrp", [*FEATURES, only_ios], VRP_RUNNING, VRP_INTENDED)
    assert "ios-only" not in [f.name for f in result.features] and result.compliant


def test_unmanaged_blocks_are_reported_by_their_first_line_and_never_parsed() -> None:
    """A real switch prints blocks hier-config cannot read (an ACL repeating a remark): they are not ours."""
    running = IOS_RUNNING.replace("no service pad\n", "no service pad\nip access-list extended guests\n remark web\n"
                                  " permit tcp any any eq 80\n remark web\n permit tcp any any eq 443\n"
                                  "banner motd ^C\nAuthorized access only\n! this line belongs to the banner\n^C\n")
    result = compare("cisco-ios", FEATURES, running, IOS_INTENDED)
    assert result.compliant and result.remediation == ()
    assert result.unmanaged == ("no service pad", "ip access-list extended guests", "banner motd ^C", "line con 0")
