"""The lab's switch emulator: the VRP and IOS command line as a pure state machine, then over real SSH.

The first half drives `switchlab.cli` directly: the grammar as a table, every line the templates
produce, undo/no, the vendors' normalisations, seeded drift.  It does so in `echo` printing, where the
switch prints back what it took, so each line can be checked; how the switch prints what it took
(secrets hashed, hidden lines, factory lines) is tests/test_switch_printing.py.  The second half starts
`python -m schoolnet.switchlab.server` on 127.0.0.1 (a free port, a temporary state directory),
logs in with paramiko against the pinned host key, and stops it by its PID with SIGTERM.
"""

from __future__ import annotations

import base64
import copy
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schoolnet.switchlab.cli import ERRORS, IOS, IOS_MORE, VRP, VRP_MORE, Device, Session
from schoolnet.switchlab.drift import seeded_drift
from tests.conftest import ROOT

GOLDEN = {VRP: ROOT / "tests/golden/nx-ord-012-sw1/startup.cfg",
          IOS: ROOT / "tests/golden/nx-kan-001-sw1/startup-config"}
ENTER = {VRP: "system-view", IOS: "configure terminal"}
SHOW = {VRP: "display current-configuration", IOS: "show running-config"}
NO_PAGING = {VRP: "screen-length 0 temporary", IOS: "terminal length 0"}
MORE = {VRP: VRP_MORE, IOS: IOS_MORE}
LEAVE = {VRP: "quit", IOS: "exit"}
PASSWORD = "lab-password"
BOTH = pytest.mark.parametrize("platform", [VRP, IOS])


def golden(platform: str) -> str:
    return GOLDEN[platform].read_text()


def configuring(platform: str, config: str | None = None) -> tuple[Device, Session]:
    """A switch booted from `config` (its golden rendering by default), a session in system view / (config)."""
    device = Device(platform, "sw", golden(platform) if config is None else config, persist=lambda text: None,
                    printing="echo")
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
    device = Device(platform, "sw", text, printing="echo")
    assert device.problems == []
    printed = device.text()
    assert Device(platform, "sw", printed, printing="echo").text() == printed  # what it saves, it boots from unchanged
    body = [line for line in text.splitlines() if line.strip() and not line.startswith(("!", "#"))]
    normalised = {"vlan batch 10 20 40 30": "vlan batch 10 20 30 40",  # a VLAN list is a sorted set
                  " port trunk allow-pass vlan 10 20 40 30": " port trunk allow-pass vlan 10 20 30 40",
                  " switchport trunk allowed vlan 10,20,40,30": " switchport trunk allowed vlan 10,20,30,40"}
    assert sorted(normalised.get(line, line) for line in body) == sorted(
        line for line in printed.splitlines() if not line.startswith(("!", "#", "version ")))


@BOTH
def test_a_configuration_pasted_into_configuration_mode_gives_the_same_switch(platform: str) -> None:
    """How a client pushes: the rendered lines typed one by one; a top-level line leaves the section."""
    booted = Device(platform, "sw", golden(platform), printing="echo")
    device, session = configuring(platform, "")
    for line in golden(platform).splitlines():
        if line.strip() in ("return", "end"):
            break
        session.command(line)
        assert session.status == 0, line
    assert device.text() == booted.text()


@BOTH
def test_undo_or_no_removes_each_line(platform: str) -> None:
    booted = Device(platform, "sw", golden(platform), printing="echo")
    lines = booted.text().splitlines()
    section = ""
    for line in lines:
        if line.startswith(("!", "#", "version", "return", "end")):
            continue
        if not line.startswith(" "):
            section = line
        device = Device(platform, "sw", "", printing="echo")
        device.root = copy.deepcopy(booted.root)  # the golden switch afresh, without parsing it again
        session = Session(device, interactive=False)
        session.command(ENTER[platform])
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
     ["+uplink to nx-ord-012-edge\n port link-type trunk\n port trunk allow-pass vlan 10 20 30 40 50\n#"]),
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
    (["interface GigabitEthernet1/1/1", "no switchport trunk allowed vlan"],
     ["+uplink to nx-kan-001-edge\n switchport mode trunk\n!\ninterface GigabitEthernet1/1/2\n"]),
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
    device = Device(platform, "core", printing="echo")
    session = Session(device)
    session.feed(ENTER[platform] + "\n")
    prompt = session.prompt
    shown = session.feed("interface Bogus0/1\n").split("\r\n")
    assert shown[0] == "interface Bogus0/1"  # the echo, after the prompt
    assert shown[1] == " " * (len(prompt) + len("interface ")) + "^"


def test_pager_keys_space_enter_and_q() -> None:
    device = Device(VRP, "core", golden(VRP), printing="echo")  # named nx-ord-012-sw1 by its configuration
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
    device = Device(platform, "sw", drifted, printing="echo")
    assert device.problems == []
    vlan = int(said[0].split()[1])
    assert vlan not in device.vlans()
    port, moved_to = said[1].split()[0], said[1].split()[-2]
    node = next(n for n in device.interfaces() if n.text == f"interface {port}")
    assert any(c.text.endswith(f"vlan {moved_to}") for c in node.children)
    assert said[2].split()[3] in drifted
    assert Device(platform, "sw", text, printing="echo").text() != drifted


def test_drift_says_what_the_emulator_cannot_take() -> None:
    drifted, said = seeded_drift(VRP, "sysname core\n#\nfrobnicate now\n#\nreturn\n", "core")
    assert "frobnicate" not in drifted
    assert said[0] == ("line 3 'frobnicate now': Error: Unrecognized command found at '^' position. "
                       "(the emulator does not take it)")


# ---- over SSH ----

HOST_KEY = Ed25519PrivateKey.generate()


@dataclass
class Switch:
    """A running emulator process."""

    process: subprocess.Popen[str]
    port: int
    state: Path
    argv: list[str]
    stderr: str = ""

    def stop(self) -> int:
        """SIGTERM to its PID; its exit status (what it wrote on stderr is kept)."""
        self.process.send_signal(signal.SIGTERM)
        _, self.stderr = self.process.communicate(timeout=10)
        return self.process.returncode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(argv: list[str]) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-m", "schoolnet.switchlab.server", *argv], text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    ready = process.stdout.readline()
    assert ready.startswith("ready 127.0.0.1:"), process.communicate(timeout=10)
    return process


Launch = Callable[..., Switch]


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launch]:
    """launch(platform, boot=True, reject=[]) starts a switch; every one is stopped with SIGTERM at the end
    and must exit 0."""
    key = tmp_path / "ssh_host_ed25519_key"
    key.write_bytes(HOST_KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                           serialization.NoEncryption()))
    (tmp_path / "password").write_text(PASSWORD + "\nthe second line is not the password\n")
    started: list[Switch] = []

    def launch_(platform: str, boot: bool = True, reject: tuple[str, ...] = ()) -> Switch:
        port = free_port()
        argv = ["--listen", "127.0.0.1", "--port", str(port), "--host-key", str(key),
                "--state", str(tmp_path / "state"), "--platform", platform, "--hostname", "factory-sw",
                "--user", "admin", "--password-file", str(tmp_path / "password"), "--printing", "echo",
                *(["--boot", str(GOLDEN[platform])] if boot else []),
                *(arg for pattern in reject for arg in ("--reject", pattern))]
        switch = Switch(start(argv), port, tmp_path / "state", argv)
        started.append(switch)
        return switch

    yield launch_
    for switch in started:
        if switch.process.poll() is None:
            assert switch.stop() == 0
        assert switch.stderr == ""  # no traceback, no skipped line


def restart(switch: Switch) -> None:
    assert switch.stop() == 0 and switch.stderr == ""
    switch.process = start(switch.argv)


def client(port: int, password: str = PASSWORD, user: str = "admin") -> paramiko.SSHClient:
    """A paramiko client that knows only the switch's pinned host key (no trust on first use)."""
    ssh = paramiko.SSHClient()
    ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
    public = HOST_KEY.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    pinned = paramiko.PKey.from_type_string("ssh-ed25519", base64.b64decode(public.split()[1]))
    ssh.get_host_keys().add(f"[127.0.0.1]:{port}", "ssh-ed25519", pinned)
    ssh.connect("127.0.0.1", port, username=user, password=password, timeout=10, banner_timeout=10,
                auth_timeout=10, allow_agent=False, look_for_keys=False)
    return ssh


PROMPT = {VRP: re.compile(r"(<[^<>\r\n]+>|\[[^\[\]\r\n]+\])$"), IOS: re.compile(r"[\w.-]+(\([\w-]+\))?#$")}


class Shell:
    """An interactive session as a client sees it: raw bytes, read up to an expected ending."""

    def __init__(self, platform: str, port: int) -> None:
        self.platform = platform
        self.ssh = client(port)
        self.channel = self.ssh.invoke_shell(term="vt100", width=200, height=0)
        self.channel.settimeout(10)
        self.buffer = ""
        self.greeting = self.until(PROMPT[platform])

    def until(self, ending: re.Pattern[str]) -> str:
        """Everything up to and including what matches `ending` at the end of what the switch sent."""
        while not ending.search(self.buffer):
            chunk = self.channel.recv(65536)
            assert chunk, f"closed; got {self.buffer!r}"
            self.buffer += chunk.decode()
        text, self.buffer = self.buffer, ""
        return text

    def type(self, line: str, ending: re.Pattern[str] | None = None) -> str:
        """Type `line` and Enter; the switch's answer up to the prompt, CR removed."""
        self.channel.send((line + "\n").encode())
        return self.until(ending or PROMPT[self.platform]).replace("\r", "")

    def output(self, line: str) -> list[str]:
        """What `line` printed: without its echo and the next prompt."""
        return self.type(line).split("\n")[1:-1]

    def prompt_after(self, line: str) -> str:
        return self.type(line).split("\n")[-1]

    def close(self) -> None:
        self.ssh.close()


@pytest.fixture
def shells() -> Iterator[list[Shell]]:
    opened: list[Shell] = []
    yield opened
    for shell in opened:
        shell.close()


def shell(shells: list[Shell], platform: str, switch: Switch) -> Shell:
    opened = Shell(platform, switch.port)
    shells.append(opened)
    return opened


def test_prompts_in_each_view_vrp(launch: Launch, shells: list[Shell]) -> None:
    s = shell(shells, VRP, launch(VRP))
    assert s.greeting.replace("\r", "").startswith("\nInfo: The max number of VTY users is 5")
    assert s.greeting.endswith("<nx-ord-012-sw1>")
    assert s.type("system-view").endswith("Enter system view, return user view with Ctrl+Z.\n[nx-ord-012-sw1]")
    for command, prompt in [("interface Vlanif10", "[nx-ord-012-sw1-Vlanif10]"),
                            ("interface GigabitEthernet0/0/3", "[nx-ord-012-sw1-GigabitEthernet0/0/3]"),
                            ("vlan 50", "[nx-ord-012-sw1-vlan50]"),
                            ("aaa", "[nx-ord-012-sw1-aaa]"),
                            ("authentication-scheme default", "[nx-ord-012-sw1-aaa-authen-default]"),
                            ("quit", "[nx-ord-012-sw1-aaa]"),
                            ("user-interface vty 0 4", "[nx-ord-012-sw1-ui-vty0-4]"),
                            ("quit", "[nx-ord-012-sw1]"),
                            ("quit", "<nx-ord-012-sw1>"),
                            ("system-view", "[nx-ord-012-sw1]"),
                            ("interface LoopBack0", "[nx-ord-012-sw1-LoopBack0]"),
                            ("return", "<nx-ord-012-sw1>"),
                            ("sys", "[nx-ord-012-sw1]"),
                            ("sysname core-1", "[core-1]")]:
        assert s.prompt_after(command) == prompt, command
    s.channel.send(b"aaa\n")
    s.until(PROMPT[VRP])
    s.channel.send(b"\x1a")  # Ctrl+Z
    assert s.until(PROMPT[VRP]).endswith("<core-1>")
    s.channel.send(b"quit\n")  # from the user view: the session ends
    s.until(re.compile(r"quit\r\n$"))
    assert s.channel.recv(100) == b"" and s.channel.recv_exit_status() == 0


def test_prompts_in_each_view_ios(launch: Launch, shells: list[Shell]) -> None:
    s = shell(shells, IOS, launch(IOS))
    assert s.greeting == "\r\nnx-kan-001-sw1#"
    assert s.type("configure terminal").endswith(
        "Enter configuration commands, one per line.  End with CNTL/Z.\nnx-kan-001-sw1(config)#")
    for command, prompt in [("interface Vlan10", "nx-kan-001-sw1(config-if)#"),
                            ("interface GigabitEthernet1/0/3", "nx-kan-001-sw1(config-if)#"),
                            ("vlan 50", "nx-kan-001-sw1(config-vlan)#"),
                            ("line vty 0 4", "nx-kan-001-sw1(config-line)#"),
                            ("exit", "nx-kan-001-sw1(config)#"),
                            ("exit", "nx-kan-001-sw1#"),
                            ("conf t", "nx-kan-001-sw1(config)#"),
                            ("interface Loopback0", "nx-kan-001-sw1(config-if)#"),
                            ("end", "nx-kan-001-sw1#"),
                            ("configure terminal", "nx-kan-001-sw1(config)#"),
                            ("hostname core-1", "core-1(config)#")]:
        assert s.prompt_after(command) == prompt, command
    s.channel.send(b"interface Gi1/0/1\n\x1a")
    assert s.until(re.compile(r"\r\ncore-1#$"))
    s.channel.send(b"exit\n")
    s.until(re.compile(r"exit\r\n$"))
    assert s.channel.recv(100) == b"" and s.channel.recv_exit_status() == 0


@BOTH
def test_paging_until_turned_off(platform: str, launch: Launch, shells: list[Shell]) -> None:
    s = shell(shells, platform, launch(platform))
    more = re.compile(re.escape(MORE[platform]) + "$")
    first = s.type(SHOW[platform], more).split("\n")
    assert first[0] == SHOW[platform] and len(first) == 1 + 24 + 1 and first[-1] == MORE[platform]
    s.channel.send(b" ")
    second = s.until(more)
    assert second.count("\r\n") == 24
    s.channel.send(b"\r")
    assert s.until(more).count("\r\n") == 1
    s.channel.send(b"q")
    assert PROMPT[platform].search(s.until(PROMPT[platform]))
    answer = s.output(NO_PAGING[platform])
    assert answer == (["Info: The configuration takes effect on the current user terminal interface only."]
                      if platform == VRP else [])
    whole = s.output(SHOW[platform])
    assert MORE[platform] not in "\n".join(whole)
    assert whole[-1] == ("return" if platform == VRP else "end") and len(whole) > 150


@BOTH
def test_configuration_sections_undo_and_running_config(platform: str, launch: Launch, shells: list[Shell]) -> None:
    s = shell(shells, platform, launch(platform))
    s.type(NO_PAGING[platform])
    s.type(ENTER[platform])
    vrp = platform == VRP
    steps = [  # command, a piece the running configuration then holds (+) or not (-)
        ("vlan 50", "+vlan batch 10 20 30 40 50" if vrp else "+vlan 50"),  # VRP: a VLAN, no section yet
        ("description cameras" if vrp else "name cameras", "+vlan 50\n " + ("description" if vrp else "name") +
         " cameras"),
        ("interface GigabitEthernet0/0/3" if vrp else "interface GigabitEthernet1/0/3", ""),
        ("port default vlan 50" if vrp else "switchport access vlan 50",
         "+ description staff\n port link-type access\n port default vlan 50" if vrp else
         "+ description staff\n switchport mode access\n switchport access vlan 50"),
        ("undo stp edged-port" if vrp else "no spanning-tree portfast", "- vlan 50\n stp edged-port enable" if vrp else
         "- vlan 50\n spanning-tree portfast"),
        ("interface LoopBack0" if vrp else "interface Loopback0", "+interface LoopBack0" if vrp else
         "+interface Loopback0"),
        ("undo interface LoopBack0" if vrp else "no interface Loopback0", "-Loopback0" if not vrp else "-LoopBack0"),
        ("undo vlan 50" if vrp else "no vlan 50", "-cameras"),
    ]
    show = "display current-configuration" if vrp else "do show running-config"
    for command, piece in steps:
        assert s.output(command) == [], command
        if piece:
            running = "\n".join(s.output(show))
            assert (piece[1:] in running) == (piece[0] == "+"), (command, piece)


@BOTH
def test_unknown_command_gets_the_vendors_error(platform: str, launch: Launch, shells: list[Shell]) -> None:
    s = shell(shells, platform, launch(platform))
    prompt = s.greeting.split("\n")[-1]
    if platform == VRP:
        assert s.output("frobnicate the switch") == [" " * len(prompt) + "^",
                                                     "Error: Unrecognized command found at '^' position."]
    else:
        assert s.output("frobnicate the switch") == [" " * len(prompt) + "^",
                                                     "% Invalid input detected at '^' marker.", ""]
    s.type(ENTER[platform])
    prompt = s.prompt_after("")
    word = "snmp-agent frobnicate" if platform == VRP else "snmp-server frobnicate"
    assert s.output(word)[0] == " " * (len(prompt) + len(word.split()[0]) + 1) + "^"


@BOTH
def test_a_rejected_command_is_refused_with_the_vendors_error(platform: str, launch: Launch,
                                                              shells: list[Shell]) -> None:
    s = shell(shells, platform, launch(platform, reject=(r"^ntp", r"vlan 40$")))
    s.type(NO_PAGING[platform])
    s.type(ENTER[platform])
    error = ERRORS[platform]["unknown"]
    ntp = "ntp-service unicast-server 10.0.20.18" if platform == VRP else "ntp server 10.0.20.18"
    assert error in s.output(ntp)
    interface = "interface GigabitEthernet0/0/3" if platform == VRP else "interface GigabitEthernet1/0/3"
    s.type(interface)
    assign = "port default vlan" if platform == VRP else "switchport access vlan"
    refused = s.output(f"{assign} 40")
    prompt_length = len(s.prompt_after(""))
    assert refused[:2] == [" " * (prompt_length + f"{assign} 40".index("vlan 40")) + "^", error]  # under the match
    assert s.output(f"{assign} 30") == []  # only the matching command is refused
    show = "display current-configuration" if platform == VRP else "do show running-config"
    running = "\n".join(s.output(show))
    assert "10.0.20.18" not in running and f"{assign} 30" in running


@BOTH
def test_save_and_restart_keep_what_was_saved_only(platform: str, launch: Launch, shells: list[Shell]) -> None:
    switch = launch(platform)
    s = shell(shells, platform, switch)
    saved_file = switch.state / "saved.cfg"
    s.type(ENTER[platform])
    s.type("vlan 77")
    s.type(LEAVE[platform])
    s.type("return" if platform == VRP else "end")
    if platform == VRP:
        question = re.compile(r"Continue\? \[Y/N\]:$")
        assert s.type("save", question).endswith(
            "Warning: The current configuration will be written to the device. Continue? [Y/N]:")
        assert s.output("N") == [] and not saved_file.exists()
        s.type("save", question)
        assert s.output("Y") == ["Now saving the current configuration to the slot 0.",
                                 "Info: Save the configuration successfully."]
    else:
        assert s.output("write memory") == ["Building configuration...", "[OK]"]
    assert saved_file.stat().st_mode & 0o777 == 0o600
    assert "vlan 77" in saved_file.read_text() or "77" in saved_file.read_text()
    s.type(ENTER[platform])
    s.type("vlan 88")
    if platform == IOS:  # the other way to save, with its question
        s.type("end")
        s.type("copy running-config startup-config", re.compile(r"\[startup-config\]\? $"))
        assert s.output("") == ["Building configuration...", "[OK]"]
        s.type("configure terminal")
        s.type("vlan 99")
    s.close()
    restart(switch)
    s = shell(shells, platform, switch)
    s.type(NO_PAGING[platform])
    running = "\n".join(s.output(SHOW[platform]))
    assert re.search(r"\b77\b", running)
    assert bool(re.search(r"\b88\b", running)) == (platform == IOS)  # saved by `copy` on IOS only
    assert not re.search(r"\b99\b", running)
    saved = "\n".join(s.output("display saved-configuration" if platform == VRP else "show startup-config"))
    assert re.search(r"\b77\b", saved)


@BOTH
def test_factory_default_without_boot_configuration(platform: str, launch: Launch, shells: list[Shell]) -> None:
    s = shell(shells, platform, launch(platform, boot=False))
    assert s.greeting.endswith("<factory-sw>" if platform == VRP else "factory-sw#")
    s.type(NO_PAGING[platform])
    running = s.output(SHOW[platform])
    assert ("sysname factory-sw" if platform == VRP else "hostname factory-sw") in running
    assert len(running) < 20


@BOTH
def test_wrong_password_or_user_is_refused(platform: str, launch: Launch) -> None:
    switch = launch(platform)
    with socket.create_connection(("127.0.0.1", switch.port)):
        pass  # a readiness probe, as the lab's: connect, close (and no traceback on stderr)
    for user, password in [("admin", "wrong"), ("root", PASSWORD), ("admin", PASSWORD + "\nthe second line")]:
        with pytest.raises(paramiko.AuthenticationException):
            client(switch.port, password, user)
    ssh = client(switch.port)  # and the right one gets in
    ssh.close()


@BOTH
def test_exec_requests(platform: str, launch: Launch) -> None:
    switch = launch(platform)
    ssh = client(switch.port)
    try:
        _, out, _ = ssh.exec_command(SHOW[platform])
        text = out.read().decode()
        assert out.channel.recv_exit_status() == 0
        assert text.endswith("return\n" if platform == VRP else "end\n") and MORE[platform] not in text
        _, out, _ = ssh.exec_command("frobnicate")
        assert out.read().decode().splitlines() == ["frobnicate", "^", ERRORS[platform]["unknown"]] + \
            ([""] if platform == IOS else [])
        assert out.channel.recv_exit_status() == 1
        version = "display version" if platform == VRP else "show version"
        _, out, _ = ssh.exec_command(version)
        assert "emulator" in out.read().decode() and out.channel.recv_exit_status() == 0
        stdin, out, _ = ssh.exec_command("save" if platform == VRP else "write memory")
        if platform == VRP:
            stdin.write("Y\n")
            stdin.flush()
        assert ("successfully" if platform == VRP else "[OK]") in out.read().decode()
        assert out.channel.recv_exit_status() == 0 and (switch.state / "saved.cfg").exists()
    finally:
        ssh.close()


@BOTH
def test_concurrent_sessions_share_one_running_configuration(platform: str, launch: Launch) -> None:
    switch = launch(platform)
    problems: list[str] = []

    def work(number: int) -> None:
        try:
            s = Shell(platform, switch.port)
            s.type(ENTER[platform])
            for vlan in range(100 + number * 10, 105 + number * 10):
                for command in (f"vlan {vlan}", f"{'description' if platform == VRP else 'name'} worker{number}",
                                LEAVE[platform]):
                    if s.output(command) != []:
                        problems.append(f"{command} refused")
            s.close()
        except Exception as exc:  # reported below, with the thread's number
            problems.append(f"{number}: {exc!r}")

    started = time.monotonic()
    workers = [threading.Thread(target=work, args=(n,)) for n in range(4)]  # a VTY line stays free for the reader
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert problems == []
    assert time.monotonic() - started < 30
    ssh = client(switch.port)
    _, out, _ = ssh.exec_command(SHOW[platform])
    running = out.read().decode()
    ssh.close()
    for n in range(4):
        for vlan in range(100 + n * 10, 105 + n * 10):
            assert f"vlan {vlan}\n {'description' if platform == VRP else 'name'} worker{n}\n" in running, vlan


def test_only_loopback_addresses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from schoolnet.switchlab.server import main
    for address in ("10.0.0.1", "0.0.0.0", "::1", "nonsense"):
        with pytest.raises(SystemExit) as stopped:  # before anything is read or bound
            main(["--listen", address, "--host-key", "x", "--state", str(tmp_path / "state"), "--platform", VRP,
                  "--hostname", "x", "--user", "admin", "--password-file", "x"])
        assert stopped.value.code == 2
        assert f"switch emulator: --listen {address}" in capsys.readouterr().err.replace("'", "")
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_host_keys_of_each_kind_load(kind: str, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from schoolnet.switchlab.server import load_host_key
    key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
        Ed25519PrivateKey.generate() if kind == "ed25519" else
        ec.generate_private_key(ec.SECP256R1()) if kind == "ecdsa" else rsa.generate_private_key(65537, 2048))
    path = tmp_path / "key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                       serialization.NoEncryption()))
    assert load_host_key(path).get_bits() > 0
    path.write_text("not a key\n")
    with pytest.raises(ValueError, match="not an unencrypted"):
        load_host_key(path)
