"""The lab's switch emulator: the VRP and IOS command line as a pure state machine.

These tests drive `switch_cli` directly: the grammar as a table, every line the templates
produce, undo/no, the vendors' normalisations, the pager, seeded drift.
"""

from __future__ import annotations

import re

import pytest

from schoolnet.lab.switch_cli import ERRORS, IOS, VRP, VRP_MORE, Device, Session
from schoolnet.lab.switch_drift import seeded_drift
from tests.conftest import ROOT

GOLDEN = {VRP: ROOT / "tests/golden/nx-ord-012-sw1/startup.cfg",
          IOS: ROOT / "tests/golden/nx-kan-001-sw1/startup-config"}
ENTER = {VRP: "system-view", IOS: "configure terminal"}
SHOW = {VRP: "display current-configuration", IOS: "show running-config"}
BOTH = pytest.mark.parametrize("platform", [VRP, IOS])


def golden(platform: str) -> str:
    return GOLDEN[platform].read_text()


def configuring(platform: str, config: str | None = None) -> tuple[Device, Session]:
    """A switch booted from `config` (its golden rendering by default), a session in system view / (config)."""
    device = Device(platform, "sw", golden(platform) if config is None else config, persist=lambda text: None)
    session = Session(device, interactive=False)
    session.command(ENTER[platform])
    return device, session


# ---- the command line, without SSH ----

GRAMMAR = [  # platform, commands that reach the view, the line, the error ("" = accepted)
    (VRP, [], "sysname core-sw", ""),
    (VRP, [], "vlan batch 10 to 12 50", ""),
    (VRP, [], "vlan batch 1 2 3 4 5 6 7 8 9 10 to 20", ""),
    (VRP, [], "vlan batch 1 2 3 4 5 6 7 8 9 10 11", "toomany"),  # ten ids or ranges a line
    (VRP, [], "vlan batch 10 to", "wrong"),
    (VRP, [], "vlan 5000", "wrong"),
    (VRP, [], "frobnicate", "unknown"),
    (VRP, [], "interface", "incomplete"),
    (VRP, [], "interface Bogus0/0/1", "wrong"),
    (VRP, [], "interface g0/0/1", ""),
    (VRP, [], "stelnet server enable now", "toomany"),
    (VRP, [], "s", "ambiguous"),
    (VRP, [], "snmp-agent community read public", "unknown"),
    (VRP, [], "ip route-static 0.0.0.0 0 10.0.0.1", ""),
    (VRP, [], "ntp-service unicast-server 10.0.0.300", "wrong"),
    (VRP, [], "undo interface GigabitEthernet0/0/1", "wrong"),  # a physical port cannot be deleted
    (VRP, [], "undo interface LoopBack0", ""),
    (VRP, [], "undo vlan", "incomplete"),
    (VRP, [], "dis cur | include sysname", ""),
    (VRP, ["interface GigabitEthernet0/0/1"], "port link-type trunk", ""),
    (VRP, ["interface GigabitEthernet0/0/1"], "port link-type bogus", "unknown"),
    (VRP, ["interface GigabitEthernet0/0/1"], "port trunk allow-pass vlan 2 to 4094", ""),
    (VRP, ["interface GigabitEthernet0/0/1"], "ip address 10.0.0.1 255.255.255.0", ""),
    (VRP, ["interface GigabitEthernet0/0/1"], "ip address 10.0.0.256 255.255.255.0", "wrong"),
    (VRP, ["interface GigabitEthernet0/0/1"], "sysname from-a-port", ""),  # a system-view line leaves the port
    (VRP, ["aaa"], "local-user bob privilege level 3", ""),
    (VRP, ["aaa"], "authentication-scheme radius", ""),
    (VRP, ["user-interface vty 0 4"], "protocol inbound ssh", ""),
    (VRP, ["user-interface vty 0 4"], "protocol inbound carrier-pigeon", "unknown"),
    (VRP, ["vlan 50"], "description cameras", ""),
    (IOS, [], "hostname core-sw", ""),
    (IOS, [], "no ip http server", ""),
    (IOS, [], "ip http s", "ambiguous"),
    (IOS, [], "frobnicate", "unknown"),
    (IOS, [], "interface", "incomplete"),
    (IOS, [], "interface Gi1/0/1", ""),
    (IOS, [], "vlan 0", "wrong"),
    (IOS, [], "no interface GigabitEthernet1/0/1", "wrong"),
    (IOS, [], "no interface Loopback0", ""),
    (IOS, [], "do show version", ""),
    (IOS, [], "do", "incomplete"),
    (IOS, [], "show version", "unknown"),  # EXEC commands need `do` in configuration mode
    (IOS, ["interface GigabitEthernet1/0/1"], "switchport mode access", ""),
    (IOS, ["interface GigabitEthernet1/0/1"], "switchport access vlan 5000", "wrong"),
    (IOS, ["interface GigabitEthernet1/0/1"], "switchport trunk allowed vlan add 50-52", ""),
    (IOS, ["interface GigabitEthernet1/0/1"], "spanning-tree portfast", ""),
    (IOS, ["interface GigabitEthernet1/0/1"], "hostname from-a-port", ""),
    (IOS, ["line vty 0 4"], "transport input ssh", ""),
    (IOS, ["vlan 50"], "name cameras", ""),
    (IOS, ["vlan 50"], "name", "incomplete"),
]


@pytest.mark.parametrize(("platform", "view", "line", "error"), GRAMMAR)
def test_grammar(platform: str, view: list[str], line: str, error: str) -> None:
    _, session = configuring(platform)
    for command in view:
        session.command(command)
        assert session.status == 0, command
    shown = session.command(line)
    if not error:
        assert session.status == 0, shown
    else:
        assert session.status == 1
        assert ERRORS[platform][error].format(line=line) in shown


@BOTH
def test_every_rendered_line_is_taken_and_printed_back(platform: str) -> None:
    text = golden(platform)
    device = Device(platform, "sw", text)
    assert device.problems == []
    printed = device.text()
    assert Device(platform, "sw", printed).text() == printed  # what it saves, it boots from unchanged
    body = [line for line in text.splitlines() if line.strip() and not line.startswith(("!", "#"))]
    normalised = {"vlan batch 10 20 40 30": "vlan batch 10 20 30 40",  # a VLAN list is a sorted set
                  " port trunk allow-pass vlan 10 20 40 30": " port trunk allow-pass vlan 10 20 30 40",
                  " switchport trunk allowed vlan 10,20,40,30": " switchport trunk allowed vlan 10,20,30,40"}
    assert sorted(normalised.get(line, line) for line in body) == sorted(
        line for line in printed.splitlines() if not line.startswith(("!", "#", "version ")))


@BOTH
def test_a_configuration_pasted_into_configuration_mode_gives_the_same_switch(platform: str) -> None:
    """How a client pushes: the rendered lines typed one by one; a top-level line leaves the section."""
    booted = Device(platform, "sw", golden(platform))
    device, session = configuring(platform, "")
    for line in golden(platform).splitlines():
        if line.strip() in ("return", "end"):
            break
        session.command(line)
        assert session.status == 0, line
    assert device.text() == booted.text()


@BOTH
def test_undo_or_no_removes_each_line(platform: str) -> None:
    lines = Device(platform, "sw", golden(platform)).text().splitlines()
    section = ""
    for line in lines:
        if line.startswith(("!", "#", "version", "return", "end")):
            continue
        if not line.startswith(" "):
            section = line
        device, session = configuring(platform)
        if line.startswith(" "):
            session.command(section)
            negation = device.negation
            body = line.strip()
            undo = body[len(negation) + 1:] if body.startswith(negation + " ") else f"{negation} {body}"
            shown = session.command(undo)
            assert session.status == 0, (section, undo, shown)
            after = device.text().splitlines()
            if section not in after:
                continue  # VRP shows a `vlan N` section only while it holds a line
            start = after.index(section)
            children = after[start + 1:]
            children = children[:next((i for i, c in enumerate(children) if not c.startswith(" ")), len(children))]
            assert line not in children, (section, undo)


# Commands typed in system view / (config), then pieces of the running configuration it must hold (+) or
# not (-); a piece spans lines where the order of lines is the point.
VRP_CHANGES = [
    (["vlan batch 50 60 to 62"], ["+vlan batch 10 20 30 40 50 60 to 62\n"]),
    (["vlan batch 100 102 104 106 108 110", "vlan batch 112"],  # printed as the switch takes it: ten a line
     ["+vlan batch 10 20 30 40 100 102 104 106 108 110\nvlan batch 112\n#"]),
    (["vlan 50", "description cameras"], ["+vlan 50\n description cameras", "+vlan batch 10 20 30 40 50\n"]),
    (["undo vlan 40"], ["-\nvlan 40\n", "-vlan 40\n description guest", "+vlan batch 10 20 30\n"]),
    (["undo vlan batch 30 40"], ["+vlan batch 10 20\n", "-\nvlan 30\n"]),
    (["interface GigabitEthernet0/0/3", "port default vlan 30"],
     ["+interface GigabitEthernet0/0/3\n description staff\n port link-type access\n port default vlan 30\n"]),
    (["interface GigabitEthernet0/0/3", "undo port default vlan"],
     ["+interface GigabitEthernet0/0/3\n description staff\n port link-type access\n stp edged-port enable\n"]),
    (["interface XGigabitEthernet0/0/1", "port trunk allow-pass vlan 1 50"],
     ["- undo port trunk allow-pass vlan 1", "+ port trunk allow-pass vlan 10 20 30 40 50\n"]),
    (["interface XGigabitEthernet0/0/1", "undo port trunk allow-pass vlan 20 30"],
     ["+ undo port trunk allow-pass vlan 1\n port trunk allow-pass vlan 10 40\n"]),
    (["interface LoopBack0", "description probe"], ["+#\ninterface LoopBack0\n description probe\n#\nip route-static"]),
    (["interface GigabitEthernet0/0/30"],  # a new port goes in number order, after its like
     ["+ stp edged-port enable\n#\ninterface GigabitEthernet0/0/30\n#\ninterface XGigabitEthernet0/0/1\n"]),
    (["aaa", "undo local-user admin"], ["-local-user admin"]),
    (["aaa", "authentication-scheme default", "authentication-mode local"],
     ["+aaa\n local-user admin password", "+ authentication-scheme default\n  authentication-mode local\n#"]),
    (["ntp-service unicast-server 10.0.20.18"],
     ["+ntp-service unicast-server 10.0.20.17\nntp-service unicast-server 10.0.20.18\n#"]),
    (["undo ntp-service unicast-server 10.0.20.16"], ["-10.0.20.16", "+10.0.20.17"]),
    (["telnet server enable"], ["+service-type stelnet\ntelnet server enable\n#"]),  # at the end of its block
    (["sysname renamed"], ["+sysname renamed\n"]),
]
IOS_CHANGES = [
    (["vlan 50", "name cameras"], ["+vlan 40\n name guest\n!\nvlan 50\n name cameras\n!"]),
    (["no vlan 40"], ["-\nvlan 40\n"]),
    (["no ip http server"], ["+no ip http server"]),
    (["ip http server"], ["+service password-encryption\nip http server\nno ip http secure-server"]),
    (["interface GigabitEthernet1/0/3", "no spanning-tree portfast"],
     ["+interface GigabitEthernet1/0/3\n description staff\n switchport mode access\n switchport access vlan 20\n!"]),
    (["interface GigabitEthernet1/1/1", "switchport trunk allowed vlan remove 20"], ["+ allowed vlan 10,30,40\n"]),
    (["interface GigabitEthernet1/1/1", "switchport trunk allowed vlan add 11,12"],
     ["+ allowed vlan 10-12,20,30,40\n"]),
    (["interface GigabitEthernet1/1/1", "no switchport trunk allowed vlan"], ["-allowed vlan"]),
    (["interface Loopback0", "exit", "no interface Loopback0"], ["-Loopback0"]),
    (["no username admin"], ["-username admin"]),
    (["username support privilege 1 secret x"],
     ["+<secret:switch/nx-kan-001/admin>\nusername support privilege 1 secret x\naaa new-model\n"]),
    (["line vty 0 4", "no login authentication"], ["+line vty 0 4\n transport input ssh\n!"]),
]


@pytest.mark.parametrize(("platform", "commands", "expected"),
                         [(VRP, *case) for case in VRP_CHANGES] + [(IOS, *case) for case in IOS_CHANGES])
def test_running_configuration_follows_each_command(platform: str, commands: list[str], expected: list[str]) -> None:
    _, session = configuring(platform)
    for command in commands:
        shown = session.command(command)
        assert session.status == 0, (command, shown)
    running = "\n".join(session.command(f"do {SHOW[IOS]}") if platform == IOS else session.command(SHOW[VRP]))
    for want in expected:
        assert (want[1:] in running) == (want[0] == "+"), want


@BOTH
def test_the_caret_stands_under_the_word_the_switch_stumbled_on(platform: str) -> None:
    device = Device(platform, "core")
    session = Session(device)
    session.feed(ENTER[platform] + "\n")
    prompt = session.prompt
    shown = session.feed("interface Bogus0/1\n").split("\r\n")
    assert shown[0] == "interface Bogus0/1"  # the echo, after the prompt
    assert shown[1] == " " * (len(prompt) + len("interface ")) + "^"


def test_pager_keys_space_enter_and_q() -> None:
    device = Device(VRP, "core", golden(VRP))  # named nx-ord-012-sw1 by its configuration
    lines = device.text().splitlines()
    session = Session(device)
    first = session.feed("display current-configuration\r\n")  # CR LF is one Enter
    assert first.endswith(VRP_MORE) and first.count("\r\n") == 1 + 24
    one = session.feed("\r")
    assert one.split("\r\n")[0].endswith(lines[24]) and one.count("\r\n") == 1 and one.endswith(VRP_MORE)
    page = session.feed(" ")
    assert page.count("\r\n") == 24 and page.endswith(VRP_MORE)
    assert session.feed("q").endswith("<nx-ord-012-sw1>")
    assert session.feed("\x1b[A").strip() == ""  # an arrow key is no command


@BOTH
def test_seeded_drift_is_deterministic_and_real(platform: str) -> None:
    text = golden(platform)
    drifted, said = seeded_drift(platform, text, "nx-sad-001-sw1")
    assert (drifted, said) == seeded_drift(platform, text, "nx-sad-001-sw1")
    assert seeded_drift(platform, text, "nx-sad-002-sw1") != (drifted, said)
    assert len(said) == 3
    assert re.fullmatch(r"VLAN \d+ \(\w+\) deleted", said[0])
    assert re.fullmatch(r"\S+ moved from VLAN \d+ \(\w+\) to VLAN \d+ \(\w+\)", said[1])
    assert re.fullmatch(r"extra local user \w+ with privilege 15", said[2])
    device = Device(platform, "sw", drifted)
    assert device.problems == []
    vlan = int(said[0].split()[1])
    assert vlan not in device.vlans()
    port, moved_to = said[1].split()[0], said[1].split()[-2]
    node = next(n for n in device.interfaces() if n.text == f"interface {port}")
    assert any(c.text.endswith(f"vlan {moved_to}") for c in node.children)
    assert said[2].split()[3] in drifted
    assert Device(platform, "sw", text).text() != drifted


def test_drift_says_what_the_emulator_cannot_take() -> None:
    drifted, said = seeded_drift(VRP, "sysname core\n#\nfrobnicate now\n#\nreturn\n", "core")
    assert "frobnicate" not in drifted
    assert said[0] == ("line 3 'frobnicate now': Error: Unrecognized command found at '^' position. "
                       "(the emulator does not take it)")
