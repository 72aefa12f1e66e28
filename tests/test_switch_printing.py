"""How the lab's emulator prints what it was typed, as the vendors' switches do (the default printing).

Each behaviour is one a real VRP or IOS switch shows in a public printout or session (sources in
docs/switches.md, "How the emulator prints", and tests/switch_corpus/SOURCES.md).  The echo printing,
kept as a named option for the grammar tests, prints back exactly what it took."""

from __future__ import annotations

import re

import pytest

from schoolnet.switches.hashes import ios_verifies
from schoolnet.switchlab.cli import IOS, VRP, Device, Session

ENTER = {VRP: "system-view", IOS: "configure terminal"}
SHOW = {VRP: "display current-configuration", IOS: "show running-config"}


def typed(platform: str, *lines: str, device: Device | None = None) -> tuple[Device, str]:
    """A factory switch (or `device`) after `lines` typed in configuration mode; what it then prints."""
    device = device or Device(platform, "sw")
    session = Session(device, interactive=False)
    out = session.feed("\n".join([ENTER[platform], *lines]) + "\n")
    return device, out + session.feed(("return" if platform == VRP else "end") + "\n" + SHOW[platform] + "\n")


def test_vrp_prints_a_password_one_way_hashed_and_differently_each_time() -> None:
    lines = ["aaa", "local-user admin password irreversible-cipher S3cret-admin-1", "quit"]
    device, first = typed(VRP, *lines)
    hashed = re.findall(r"local-user admin password irreversible-cipher (\S+)", first)
    assert len(hashed) == 1 and "S3cret" not in first
    assert re.fullmatch(r"\$1c\$[^$\s?]{10}\$[^$\s?]{40}\$", hashed[0])  # 56 characters, as V200R021/R022 print
    _, again = typed(VRP, *lines, device=device)
    assert re.findall(r"irreversible-cipher (\S+)", again)[0] != hashed[0]  # salted: never the same twice
    booted = Device(VRP, "sw", device.text())  # a saved configuration booted keeps the hash as it is
    assert re.findall(r"irreversible-cipher (\S+)", booted.text()) == re.findall(r"irreversible-cipher (\S+)",
                                                                                 device.text())


def test_vrp_prints_snmp_keys_enciphered_and_the_ssh_user_bare_first() -> None:
    _, out = typed(VRP, "snmp-agent usm-user v3 mon group g",
                   "snmp-agent usm-user v3 mon authentication-mode sha2-256 cipher Auth-Key-1",
                   "ssh user admin authentication-type password", "ssh user admin service-type stelnet")
    keys = re.findall(r"authentication-mode sha2-256 cipher (\S+)", out)
    assert len(keys) == 1 and re.fullmatch(r"%\^%#.{80}%\^%#", keys[0]) and "Auth-Key-1" not in out
    assert re.search(r"^ssh user admin\nssh user admin authentication-type password\n"
                     r"ssh user admin service-type stelnet$", out, re.M)


def test_vrp_prints_its_own_defaults_and_refuses_to_remove_them() -> None:
    device, out = typed(VRP)
    for line in ("aaa\n authentication-scheme default\n  authentication-mode local", " domain default_admin",
                 "ntp-service server disable", "user-interface vty 0 4", "user-interface vty 16 20",
                 "interface NULL0", "interface MEth0/0/1", "interface GigabitEthernet0/0/24\n#",
                 "interface XGigabitEthernet0/0/4\n#"):
        assert line in out, line
    _, refused = typed(VRP, "aaa", "undo domain default", "undo authentication-scheme default", "quit",
                       "undo user-interface vty 16 20", device=device)
    assert refused.count("Error:") == 3 and " domain default\n" in refused


def test_ios_prints_a_secret_as_a_type_5_hash_that_verifies() -> None:
    _, out = typed(IOS, "username admin privilege 15 secret S3cret-admin")
    found = re.search(r"^username admin privilege 15 secret 5 (\$1\$\S{4}\$\S{22})$", out, re.M)
    assert found and ios_verifies("5", found[1], "S3cret-admin") and "S3cret" not in out


def test_ios_hides_snmpv3_users_and_names_them_in_show_snmp_user() -> None:
    device, out = typed(IOS, "snmp-server group g v3 priv",
                        "snmp-server user mon g v3 auth sha Auth-Key-1 priv aes 128 Priv-Key-1")
    assert "snmp-server group g v3 priv" in out and "snmp-server user" not in out and "Auth-Key" not in out
    table = Session(device, interactive=False).feed("show snmp user\n")
    assert "User name: mon" in table and "Authentication Protocol: SHA" in table
    assert "Privacy Protocol: AES128" in table and "Group-name: g" in table


def test_ios_in_vtp_server_mode_prints_no_vlans_and_in_transparent_mode_it_does() -> None:
    device, server = typed(IOS, "vlan 10", "name staff", "exit")
    assert "vlan 10" not in server and "staff" in Session(device, interactive=False).feed("show vlan brief\n")
    _, transparent = typed(IOS, "vtp mode transparent", device=device)
    assert "vtp mode transparent" in transparent and "vlan 10\n name staff" in transparent


def test_ios_asks_before_removing_a_user_and_keeps_it_when_not_confirmed() -> None:
    device, _ = typed(IOS, "username tech privilege 3 secret Tech-2026")
    session = Session(device, interactive=False)
    session.feed("configure terminal\n")
    asked = session.feed("no username tech\n")
    assert asked.endswith("Do you want to continue? [confirm]") and session.waiting
    session.feed("n\n")
    assert "username tech" in device.text()
    session.feed("no username tech\n")
    session.feed("\n")  # Enter confirms
    assert "username tech" not in device.text()


@pytest.mark.parametrize(("lines", "said"), [
    (["interface Vlan10", "ip address 10.0.0.0 255.255.255.192"], "% Bad mask /26 for address 10.0.0.0"),
    (["interface Vlan10", "ip address 10.0.0.63 255.255.255.192"], "% Bad mask /26 for address 10.0.0.63"),
    (["interface Vlan10", "ip address 10.0.0.11 255.255.255.192", "exit", "interface Vlan20",
      "ip address 10.0.0.12 255.255.255.0"], "% 10.0.0.0 overlaps with Vlan10"),
])
def test_ios_refuses_an_address_as_the_switch_does(lines: list[str], said: str) -> None:
    _, out = typed(IOS, *lines)
    assert said in out


def test_ios_creates_a_missing_access_vlan_and_says_so() -> None:
    device, out = typed(IOS, "interface GigabitEthernet1/0/3", "switchport access vlan 99")
    assert "% Access VLAN does not exist. Creating vlan 99" in out
    assert "VLAN0099" in Session(device, interactive=False).feed("show vlan brief\n")


def test_echo_printing_prints_back_what_it_took() -> None:
    device = Device(VRP, "sw", printing="echo")
    _, out = typed(VRP, "aaa", "local-user admin password irreversible-cipher S3cret-admin", "quit", device=device)
    assert "local-user admin password irreversible-cipher S3cret-admin" in out and "domain default" not in out
