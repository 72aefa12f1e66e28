"""What a switch holds before anyone configured it: the lines each OS prints on its own.

A real switch is never empty.  VRP prints default AAA schemes and domains, NTP's server switched
off, every port, VTY ranges nobody typed; IOS prints `no aaa new-model`, every port, `Vlan1`, two
VTY ranges.  An audit that never met these lines would call them extra and a push would try to
undo them, so the emulator starts from them, always: a configuration booted or typed goes on top,
as on a real switch.

Sources (docs/switches.md, "How the emulator prints", has the details):
- VRP V200R022C00SPC500 (S-series): the default lines common to public running-configs of two
  unrelated networks' S-series switches on V200R021C00SPC100, V200R021C00SPC600 and
  V200R022C00SPC500 (tests/switch_corpus/vrp-*.cfg);
- IOS 15.2 (Catalyst 2960-X): the lines classic IOS writes itself in public running-configs of
  lightly configured 2960s on 15.0 and 15.2 (tests/switch_corpus/ios-*.cfg).

Lines the emulator's grammar does not take (VRP's `authentication-profile`, `drop-profile`, IOS's
`boot-start-marker`) are kept as written and cannot be changed or removed: they are the switch's."""

from __future__ import annotations

from schoolnet.model.programme import expand_ports

__all__ = ["DEFAULT_PORTS", "built_in", "expand_ports"]

VRP_BUILT_IN = """\
sysname HUAWEI
#
authentication-profile name default_authen_profile
authentication-profile name dot1x_authen_profile
authentication-profile name dot1xmac_authen_profile
authentication-profile name mac_authen_profile
authentication-profile name multi_authen_profile
authentication-profile name portal_authen_profile
#
http server-source -i MEth0/0/1
#
diffserv domain default
#
radius-server template default
#
pki realm default
 certificate-check none
#
free-rule-template name default_free_rule
#
portal-access-profile name portal_access_profile
#
drop-profile default
#
aaa
 authentication-scheme default
  authentication-mode local
 authentication-scheme radius
  authentication-mode radius
 authorization-scheme default
  authorization-mode local
 accounting-scheme default
  accounting-mode none
 local-aaa-user password policy administrator
 domain default
  authentication-scheme radius
  accounting-scheme default
  radius-server default
 domain default_admin
  authentication-scheme default
  accounting-scheme default
#
ntp-service server disable
ntp-service ipv6 server disable
#
interface Vlanif1
#
interface MEth0/0/1
{ports}
#
interface NULL0
#
snmp-agent protocol source-status all-interface
undo snmp-agent protocol source-status ipv6 all-interface
#
ssh server-source all-interface
#
user-interface con 0
 authentication-mode password
user-interface vty 0 4
user-interface vty 16 20
#
dot1x-access-profile name dot1x_access_profile
#
mac-access-profile name mac_access_profile
#
ops
"""

IOS_BUILT_IN = """\
no service pad
service timestamps debug datetime msec
service timestamps log datetime msec
no service password-encryption
!
hostname Switch
!
boot-start-marker
boot-end-marker
!
no aaa new-model
switch 1 provision ws-c2960x-24ts-l
!
spanning-tree mode pvst
spanning-tree extend system-id
!
vlan internal allocation policy ascending
!
{ports}
interface Vlan1
 no ip address
 shutdown
!
ip http server
ip http secure-server
!
line con 0
line vty 0 4
 login
line vty 5 15
 login
"""

DEFAULT_PORTS = {"huawei-vrp": ("GigabitEthernet0/0/1-24", "XGigabitEthernet0/0/1-4"),
                 "cisco-ios": ("GigabitEthernet1/0/1-24", "GigabitEthernet1/1/1-4")}
def built_in(platform: str, ports: list[str]) -> str:
    """The lines the switch prints on its own, with an (empty) section for each of its ports."""
    separator = "#" if platform == "huawei-vrp" else "!"
    sections = "\n".join(f"{separator}\ninterface {port}" if platform == "huawei-vrp" else f"interface {port}\n!"
                         for port in ports)
    return (VRP_BUILT_IN if platform == "huawei-vrp" else IOS_BUILT_IN).format(ports=sections)
