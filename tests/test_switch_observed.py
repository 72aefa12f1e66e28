"""What the lab's switch emulator says about itself and the wire, and that observe reads it back exactly.

The emulator answers the observation commands (`display version|esn|lldp neighbor|mac-address|interface brief`,
`show version|lldp neighbors [detail]|mac address-table|interfaces status`) from its identity (the inventory's
serial and model) and from `STATE/observed.json` (neighbours, MACs, links), in the layout of real switches'
captures (tests/switch_corpus/observe/).  Each printout, for a state with two neighbours and a few MACs, parses
with `schoolnet.observe.switch_facts` to exactly that state.  The last tests start the emulator over SSH and
read it through `switches.session.Session`, as observe will; it is stopped by its PID."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schoolnet.atomic import write_atomically
from schoolnet.observe import switch_facts
from schoolnet.observe.switch_facts import Interface, MacEntry, Neighbour, SwitchFacts
from schoolnet.switches.platforms import dialect
from schoolnet.switches.session import Session as SshSession
from schoolnet.switches.session import Target
from schoolnet.switchlab import observed
from schoolnet.switchlab.cli import IOS, VRP, Device, Session
from schoolnet.switchlab.observed import Learned, Observed, ObservedError, StateFile, parse_state, state_json
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "switch_corpus" / "observe"
BOTH = pytest.mark.parametrize("platform", [VRP, IOS])
PORT = {VRP: "GigabitEthernet0/0/{}", IOS: "GigabitEthernet1/0/{}"}
UPLINK = {VRP: "XGigabitEthernet0/0/1", IOS: "GigabitEthernet1/1/1"}
SHUT = 9  # shut down in the configuration: the state says a neighbour and a MAC are there, the switch shows neither
BOOT = {VRP: f"sysname nx-bab-001-sw1\n#\ninterface GigabitEthernet0/0/{SHUT}\n shutdown\n#\nreturn\n",
        IOS: f"hostname nx-kan-001-sw1\n!\ninterface GigabitEthernet1/0/3\n description classroom 12 projector\n"
             f" switchport access vlan 30\n!\ninterface GigabitEthernet1/0/{SHUT}\n shutdown\n!\nend\n"}


def state(platform: str, serial: str = "") -> Observed:
    """Two neighbours (the uplink's switch and the edge server), four MACs, one port up with nothing learned."""
    port = PORT[platform].format
    return Observed(
        neighbours=(observed.Neighbour(UPLINK[platform], "nx-bab-001-core", "XGigabitEthernet0/0/24"),
                    observed.Neighbour(port(2), "nx-bab-001-edge", "eno1", "Debian GNU/Linux 12 (bookworm)"),
                    observed.Neighbour(port(SHUT), "hidden-by-shutdown", "eth0")),
        macs=(Learned("025c97ed0dbc", 30, port(3)), Learned("025c4cd0796d", 30, port(3)),
              Learned("0a1b2c3d4e5f", 10, port(2)), Learned("0a1b2c3d4e60", 99, UPLINK[platform]),
              Learned("0a1b2c3d4e61", 30, port(SHUT))),
        up=frozenset({port(7)}), serial=serial)


def switch(platform: str, seen: Callable[[], Observed] = Observed, serial: str = "", model: str = "") -> Session:
    device = Device(platform, "sw", BOOT[platform], observed=seen, serial=serial, model=model)
    return Session(device, interactive=False)


def typing(session: Session) -> Callable[[str], str]:
    """A `run` for `switch_facts.collect`: one command typed, what it printed."""
    return lambda command: session.feed(command + "\n")


def printout(session: Session, command: str) -> str:
    text = session.feed(command + "\n")
    assert session.status == 0, text
    return text


# in the order the switches list their ports
EXPECTED_NEIGHBOURS = {p: (Neighbour(PORT[p].format(2), "nx-bab-001-edge", "eno1"),
                           Neighbour(UPLINK[p], "nx-bab-001-core", "XGigabitEthernet0/0/24")) for p in (VRP, IOS)}
# sorted as the switches print them: by VLAN, then MAC
EXPECTED_MACS = {p: (MacEntry("0a:1b:2c:3d:4e:5f", 10, PORT[p].format(2)),
                     MacEntry("02:5c:4c:d0:79:6d", 30, PORT[p].format(3)),
                     MacEntry("02:5c:97:ed:0d:bc", 30, PORT[p].format(3)),
                     MacEntry("0a:1b:2c:3d:4e:60", 99, UPLINK[p])) for p in (VRP, IOS)}
LINKED = {p: {PORT[p].format(n) for n in (2, 3, 7)} | {UPLINK[p]} for p in (VRP, IOS)}

READS = [  # platform, command, how observe reads it, what it must read
    (VRP, "display lldp neighbor", lambda t: switch_facts.neighbours(VRP, t), EXPECTED_NEIGHBOURS[VRP]),
    (VRP, "display mac-address", lambda t: switch_facts.mac_table(VRP, t), EXPECTED_MACS[VRP]),
    (IOS, "show lldp neighbors detail", lambda t: switch_facts.neighbours(IOS, t), EXPECTED_NEIGHBOURS[IOS]),
    (IOS, "show lldp neighbors", lambda t: switch_facts.neighbours(IOS, t, "show lldp neighbors"),
     EXPECTED_NEIGHBOURS[IOS]),
    (IOS, "show mac address-table", lambda t: switch_facts.mac_table(IOS, t), EXPECTED_MACS[IOS]),
]


@pytest.mark.parametrize(("platform", "command", "read", "expected"), READS)
def test_each_printout_reads_back_as_the_state(platform: str, command: str, read: Callable[[str], object],
                                                expected: object) -> None:
    assert read(printout(switch(platform, lambda: state(platform)), command)) == expected


@BOTH
def test_links_are_the_states_and_a_shut_port_is_shown_shut(platform: str) -> None:
    command = switch_facts.COMMANDS[platform].interfaces
    links = switch_facts.interfaces(platform, printout(switch(platform, lambda: state(platform)), command))
    ports = {link.name: link for link in links}
    assert {name for name, link in ports.items() if link.up and name in observed_ports(platform)} == LINKED[platform]
    assert ports[PORT[platform].format(SHUT)] == Interface(PORT[platform].format(SHUT), up=False, enabled=False)
    assert len([name for name in ports if name in observed_ports(platform)]) == 28  # every port, 24 + 4


def observed_ports(platform: str) -> set[str]:
    return set(Device(platform, "sw").physical_ports()) - {"MEth0/0/1"}


@BOTH
def test_with_no_state_nothing_is_seen_and_every_port_is_down(platform: str) -> None:
    facts = switch_facts.parse(platform, switch_facts.collect(typing(switch(platform)), platform))
    assert facts.neighbours == () and facts.macs == ()
    assert not any(link.up for link in facts.interfaces if link.name in observed_ports(platform))


IDENTITY = [  # platform, what the switch was started with, the state's serial, what observe reads
    (VRP, {}, "", ("2102350000LAB0000001", "S5735-L24P4S-A", "V200R022C00SPC500")),
    (VRP, {"serial": "2102945708PXIKUPXUPW"}, "", ("2102945708PXIKUPXUPW", "S5735-L24P4S-A", "V200R022C00SPC500")),
    (VRP, {"serial": "2102945708PXIKUPXUPW", "model": "S5735-L24T4X-A1"}, "2102317869PKZBI3APVD",
     ("2102317869PKZBI3APVD", "S5735-L24T4X-A1", "V200R022C00SPC500")),  # a chassis swapped under the same name
    (IOS, {}, "", ("FOC0000LAB1", "C1000-24P-4G-L", "15.2(7)E8")),
    (IOS, {"serial": "FOC2715FEG7"}, "", ("FOC2715FEG7", "C1000-24P-4G-L", "15.2(7)E8")),
    (IOS, {"serial": "FOC2715FEG7", "model": "C1000-48FP-4G-L"}, "FOC2629V739",
     ("FOC2629V739", "C1000-48FP-4G-L", "15.2(7)E8")),
]


@pytest.mark.parametrize(("platform", "started", "swapped", "expected"), IDENTITY)
def test_serial_and_model_are_what_the_switch_was_started_with_or_the_state_says(
        platform: str, started: dict[str, str], swapped: str, expected: tuple[str, str, str]) -> None:
    session = switch(platform, lambda: state(platform, swapped), started.get("serial", ""), started.get("model", ""))
    facts = switch_facts.parse(platform, switch_facts.collect(typing(session), platform))
    assert (facts.serial, facts.model, facts.version) == expected
    assert facts.neighbours == EXPECTED_NEIGHBOURS[platform] and facts.macs == EXPECTED_MACS[platform]


LAYOUT = [  # platform, command, capture: the emulator's first lines are the capture's, column for column
    (VRP, "display version", "huawei_vrp_display_version5.raw", 1),
    (VRP, "display mac-address", "huawei_vrp_display_mac-address.raw", 3),
    (VRP, "display interface brief", "huawei_vrp_display_interface_brief.raw", 12),
    (IOS, "show lldp neighbors", "cisco_ios_show_lldp_neighbors.raw", 5),
    (IOS, "show mac address-table", "cisco_ios_show_mac-address-table6.raw", 8),
    (IOS, "show interfaces status", "cisco_ios_show_interfaces_status.raw", 1),
    (IOS, "show lldp neighbors detail", "cisco_ios_show_lldp_neighbors_detail4.raw", 1),
]


@pytest.mark.parametrize(("platform", "command", "capture", "lines"), LAYOUT)
def test_headers_are_the_real_switches(platform: str, command: str, capture: str, lines: int) -> None:
    ours = printout(switch(platform, lambda: state(platform)), command).splitlines()[:lines]
    theirs = (CORPUS / capture).read_text(encoding="utf-8").splitlines()[:lines]
    assert [line.rstrip() for line in ours] == [line.rstrip() for line in theirs]


def test_ios_cuts_a_long_device_id_to_20_characters_in_its_table_but_not_in_the_detail() -> None:
    long = Observed(neighbours=(observed.Neighbour(PORT[IOS].format(1), "nx-nax-017-edge.school.example", "eno1"),))
    session = switch(IOS, lambda: long)
    table = switch_facts.neighbours(IOS, printout(session, "show lldp neighbors"), "show lldp neighbors")
    detail = switch_facts.neighbours(IOS, printout(session, "show lldp neighbors detail"))
    assert [n.system_name for n in table] == ["nx-nax-017-edge.scho"]
    assert [n.system_name for n in detail] == ["nx-nax-017-edge.school.example"]


def test_uptime_reads_as_each_vendor_counts() -> None:
    view = observed.View(VRP, "sw", "S5735-L24P4S-A", "1", 0, ())
    assert observed.vrp_version(view)[3].endswith("uptime is 0 week, 0 day, 0 hour, 0 minute")
    week = observed.View(VRP, "sw", "S5735-L24P4S-A", "1", 7 * 1440 + 2 * 1440 + 61, ())
    assert observed.vrp_version(week)[3].endswith("uptime is 1 week, 2 days, 1 hour, 1 minute")
    ios = observed.View(IOS, "sw", "C1000-24P-4G-L", "1", 3 * 7 * 1440 + 6 * 1440 + 32, ())
    assert observed.ios_version(ios)[5] == "sw uptime is 3 weeks, 6 days, 32 minutes"  # as ntc-templates' capture
    assert observed.ios_version(observed.View(IOS, "sw", "C1000-24P-4G-L", "1", 0, ()))[5] == "sw uptime is 0 minutes"


# ---- the state file ----

BAD_STATES = [  # text, the one line that says what is wrong
    ("[", "not JSON"),
    ("[]", "expected an object with the keys serial, lldp, mac, up"),
    ('{"neighbours": []}', "unknown key 'neighbours': the keys are serial, lldp, mac, up"),
    ('{"lldp": {}}', "lldp: expected a list"),
    ('{"lldp": [{"local_port": "GigabitEthernet0/0/1", "system_name": "x"}]}',
     "lldp[0]: expected the keys local_port, port_id, system_name (and optionally description)"),
    ('{"lldp": [{"local_port": "GigabitEthernet0/0/99", "system_name": "x", "port_id": "y"}]}',
     "lldp[0].local_port: 'GigabitEthernet0/0/99' is not a port of this switch"),
    ('{"lldp": [{"local_port": "GigabitEthernet0/0/1", "system_name": "x\\nEvil: 1", "port_id": "y"}]}',
     "lldp[0].system_name: expected one line of text"),
    ('{"mac": [{"mac": "02:5c:97:ed:0d", "vlan": 30, "port": "GigabitEthernet0/0/1"}]}',
     "mac[0].mac: '02:5c:97:ed:0d' is not a MAC address"),
    ('{"mac": [{"mac": "02:5c:97:ed:0d:bc", "vlan": "30", "port": "GigabitEthernet0/0/1"}]}',
     "mac[0].vlan: expected a VLAN id 1-4094"),
    ('{"mac": [{"mac": "02:5c:97:ed:0d:bc", "vlan": 4095, "port": "GigabitEthernet0/0/1"}]}',
     "mac[0].vlan: expected a VLAN id 1-4094"),
    ('{"up": "GigabitEthernet0/0/1"}', "up: expected a list of ports"),
    ('{"up": ["Gi0/0/1"]}', "up[0]: 'Gi0/0/1' is not a port of this switch"),
    ('{"serial": 12}', "serial: expected one line of text"),
]


@pytest.mark.parametrize(("text", "error"), BAD_STATES)
def test_a_state_file_the_emulator_cannot_read_says_what_is_wrong(text: str, error: str) -> None:
    with pytest.raises(ObservedError) as raised:
        parse_state(text, Device(VRP, "sw").physical_ports())
    assert str(raised.value).startswith(error)


@BOTH
def test_the_state_file_written_by_state_json_reads_back_the_same(platform: str) -> None:
    written = state(platform, "SERIAL42")
    assert parse_state(state_json(written), Device(platform, "sw").physical_ports()) == written
    assert json.loads(state_json(written))["mac"][0] == {"mac": "02:5c:97:ed:0d:bc", "vlan": 30,
                                                        "port": PORT[platform].format(3)}


def test_the_state_file_is_read_again_when_it_changes_and_a_broken_one_is_said_once(tmp_path: Path) -> None:
    path = tmp_path / "observed.json"
    said: list[str] = []
    reader = StateFile(path, Device(VRP, "sw").physical_ports(), said.append)
    assert reader() == Observed()  # no file: nothing seen
    write_atomically(path, state_json(state(VRP)))
    assert reader() == state(VRP)
    write_atomically(path, '{"up": ["Gi0/0/1"]}')
    assert reader() == Observed() and reader() == Observed()
    assert len(said) == 1 and "'Gi0/0/1' is not a port of this switch" in said[0]
    write_atomically(path, state_json(state(VRP, "2102317869PKZBI3APVD")))
    assert reader().serial == "2102317869PKZBI3APVD" and len(said) == 1
    path.unlink()
    assert reader() == Observed()


# ---- over SSH, through the session audit uses ----

PASSWORD = "lab-password"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


Started = tuple[Target, Path, "subprocess.Popen[str]"]


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Callable[..., Started]]:
    """emulator(platform, *options) starts one on 127.0.0.1, booted from BOOT; one still running at the end is
    stopped by its PID with SIGTERM and must exit 0 having said nothing.  Returns the session target, the state
    directory and the process."""
    key = Ed25519PrivateKey.generate()
    (tmp_path / "key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                                     serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    (tmp_path / "password").write_text(PASSWORD + "\n")
    started: list[subprocess.Popen[str]] = []

    def start(platform: str, *options: str) -> Started:
        port, state_dir = _free_port(), tmp_path / f"state-{len(started)}"
        boot = tmp_path / f"boot-{platform}.cfg"
        boot.write_text(BOOT[platform])
        process = subprocess.Popen(
            [sys.executable, "-m", "schoolnet.switchlab.server", "--listen", "127.0.0.1", "--port", str(port),
             "--host-key", str(tmp_path / "key"), "--state", str(state_dir), "--platform", platform,
             "--hostname", "nx-bab-001-sw1", "--user", "admin", "--password-file", str(tmp_path / "password"),
             "--boot", str(boot), *options], text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started.append(process)
        assert process.stdout is not None and process.stdout.readline().startswith("ready 127.0.0.1:")
        return Target("nx-bab-001-sw1", "127.0.0.1", port, public.decode(), "admin", PASSWORD), state_dir, process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            _, errors = process.communicate(timeout=10)
            assert process.returncode == 0 and errors == "", errors


def observe(platform: str, target: Target) -> SwitchFacts:
    with SshSession(target, dialect(platform), timeout=10) as session:
        return switch_facts.parse(platform, switch_facts.collect(session.run, platform))


@BOTH
def test_observe_reads_a_running_emulator_through_the_audits_session(
        platform: str, emulator: Callable[..., Started]) -> None:
    target, state_dir, _ = emulator(platform, "--serial=2102945708PXIKUPXUPW", "--ports",
                                 *(("GigabitEthernet0/0/1-24", "XGigabitEthernet0/0/1-4") if platform == VRP else
                                   ("GigabitEthernet1/0/1-24", "GigabitEthernet1/1/1-4")))
    facts = observe(platform, target)
    assert facts.serial == "2102945708PXIKUPXUPW" and facts.neighbours == () and facts.macs == ()
    write_atomically(state_dir / "observed.json", state_json(state(platform)))  # laid out while it runs
    facts = observe(platform, target)
    assert facts.neighbours == EXPECTED_NEIGHBOURS[platform] and facts.macs == EXPECTED_MACS[platform]
    assert {link.name for link in facts.interfaces if link.up and link.name in observed_ports(platform)} == \
        LINKED[platform]
    write_atomically(state_dir / "observed.json", state_json(state(platform, "2102317869PKZBI3APVD")))
    assert observe(platform, target).serial == "2102317869PKZBI3APVD"  # the chassis swapped: observe sees it


def test_a_broken_state_file_is_said_on_the_emulators_log_and_the_switch_sees_nothing(
        emulator: Callable[..., Started]) -> None:
    target, state_dir, process = emulator(VRP)
    write_atomically(state_dir / "observed.json", '{"up": ["Gi0/0/1"]}')
    facts = observe(VRP, target)
    assert facts.neighbours == () and not any(link.up for link in facts.interfaces if link.name.startswith("Gig"))
    observe(VRP, target)  # said once, not at every command
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=10)
    assert process.returncode == 0
    assert errors.splitlines() == [f"switch emulator: {state_dir / 'observed.json'}: up[0]: 'Gi0/0/1' is not a port "
                                   "of this switch; the switch sees nothing until it is fixed"]
