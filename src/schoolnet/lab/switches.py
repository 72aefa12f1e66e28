"""The lab's switches: one SSH switch emulator per selected switch, on its own loopback address.

Real VRP and IOS images cannot run here, so each switch is `schoolnet.switchlab.server`: the
vendor's command line over SSH (paramiko's server side), not its data plane.  Like a lab server, it
keeps its host key and its saved configuration across `lab down`/`up` (`--purge` forgets both), and
on its very first start it boots from its rendered configuration with a few seeded differences, so
an audit has something real to find."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from schoolnet.atomic import write_atomically
from schoolnet.contained import beneath, child
from schoolnet.lab.lab import (
    LabError,
    LabHost,
    LabIncomplete,
    LabState,
    _listening,
    _spawn,
    loopback,
    memory_short,
    running,
)
from schoolnet.lab.network import LAB_NS
from schoolnet.lab.paths import LAB_DIR
from schoolnet.lab.topology import host_macs, learned, school_wire, write_observed
from schoolnet.model.fleet import Fleet, Host
from schoolnet.secrets.names import switch_admin
from schoolnet.secrets.store import SecretStore
from schoolnet.switches.platforms import dialect
from schoolnet.switches.run import switches
from schoolnet.switchlab.drift import seeded_drift

SWITCHES_DIR = LAB_DIR / "switches"
READY_TIMEOUT = 20.0


def lab_switches(hosts: list[Host]) -> list[Host]:
    return switches(hosts)


def _home(hostname: str) -> Path:
    home = child(SWITCHES_DIR, hostname)
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    return home


def _host_key(home: Path) -> str:
    key = home / "ssh_host_ed25519_key"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "schoolnet-lab-switch", "-f", str(key)],
                       check=True)
    return " ".join(key.with_suffix(".pub").read_text().split()[:2])


def _boot_config(fleet: Fleet, host: Host, home: Path, build: Path) -> Path | None:
    """The rendered configuration with seeded differences, for a switch's first start (a switch that has
    saved once boots from what it saved)."""
    speaks = dialect(fleet.catalog[host.model].os)
    rendered = beneath(child(build / "hosts", host.hostname), speaks.config_file, resolve=False)
    if not rendered.is_file():
        return None
    drifted, _ = seeded_drift(speaks.os, rendered.read_text(encoding="utf-8"), host.hostname)
    boot = home / "boot.cfg"
    write_atomically(boot, drifted, 0o600)
    return boot


def lay_out(fleet: Fleet, wanted: list[Host], state: LabState) -> None:
    """Each switch's view of the wire (neighbours, learned MACs, links), from the school's topology and what
    its VLANs' bridges learned."""
    names = {h.hostname for h in wanted}
    for school in {id(h.school): h.school for h in wanted if h.school is not None}.values():
        edge = next((h for h in fleet.school_hosts.get(school.id, []) if h.kind == "edge"), None)
        entry = state.hosts.get(edge.hostname) if edge is not None else None
        macs = host_macs(entry.netns) if entry is not None and entry.netns else {}
        seen = {int(b.rsplit("v", 1)[1]): learned(LAB_NS, b) for b in (entry.segments if entry else [])
                if b.rsplit("v", 1)[-1].isdigit()}
        for name, wire in school_wire(fleet, school, macs, seen).items():
            if name in names:
                write_observed(_home(name) / "state", wire)


def start(fleet: Fleet, hosts: list[Host], state: LabState, build: Path, store: SecretStore,
          say: Callable[[str], None]) -> list[LabHost]:
    """Start an emulator for each switch of `hosts` that is not running; wait until each answers.  Like
    the lab's hosts, starting stops while memory is short (each emulator holds about 18 MiB)."""
    fleet.require_validated("the lab")
    started = []
    wanted = lab_switches(hosts)
    lay_out(fleet, wanted, state)
    short_of_memory = ""
    for number, host in enumerate(wanted):
        entry = state.hosts.get(host.hostname)
        if entry is not None and running(entry.pids.get("switch")):
            continue
        short_of_memory = memory_short(f"starting switches with {len(wanted) - number} of {len(wanted)}",
                                       "start fewer with --limit")
        if short_of_memory:
            break
        if entry is None:
            index = state.next_index()
            entry = LabHost(host.hostname, index, loopback(index), "")
            state.hosts[host.hostname] = entry
        home = _home(host.hostname)
        entry.host_key = _host_key(home)
        assert host.school is not None
        password = home / "password"
        write_atomically(password, store.get(switch_admin(host.school.id)) + "\n", 0o600)
        argv = [sys.executable, "-m", "schoolnet.switchlab.server", "--listen", entry.address, "--port", "22",
                "--host-key", str(home / "ssh_host_ed25519_key"), "--state", str(home / "state"),
                "--platform", fleet.catalog[host.model].os, "--hostname", host.hostname,
                "--user", fleet.environments["lab"].switch_user if "lab" in fleet.environments else "admin",
                "--password-file", str(password), "--ports", *fleet.catalog[host.model].ports,
                # what `display esn` / `show version` say: the inventory's serial, and the model's part number
                # (the catalogue names it as it is sold, `Catalyst C1000-24P-4G-L`; the switch prints the last word)
                f"--serial={host.serial}", f"--model={fleet.catalog[host.model].model.split()[-1]}"]
        if not (home / "state" / "saved.cfg").exists():
            boot = _boot_config(fleet, host, home, build)
            if boot is not None:
                argv += ["--boot", str(boot)]
        entry.pids["switch"] = _spawn(f"switch-{host.hostname}", argv)
        started.append(entry)
        state.save()
    deadline = time.monotonic() + READY_TIMEOUT
    for entry in started:
        while not _listening(entry.address, 22):
            if not running(entry.pids.get("switch")) or time.monotonic() > deadline:
                raise LabError(f"the switch emulator of {entry.hostname} did not start: see its log in "
                               f"{LAB_DIR / 'logs'}/switch-{entry.hostname}.log")
            time.sleep(0.05)
        say(f"  {entry.hostname:<22} switch emulator at {entry.address}")
    if short_of_memory:
        raise LabIncomplete(short_of_memory, state)
    return started
