"""`schoolnet lab up|down|status`: real Debian 12 hosts, booted by systemd-nspawn, reached over loopback.

Every process the lab starts is recorded in its state file with its PID; `down` stops
those PIDs and nothing else.  `up` is idempotent: running hosts are left alone.  Where
systemd-nspawn is missing, a host is its sshd in a chroot, with no init: packages, files
and on-host checks can be rehearsed there, services cannot (and the lab says so).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from schoolnet.atomic import write_atomically
from schoolnet.contained import PathEscape, beneath, child
from schoolnet.ipam.plan import Addressing
from schoolnet.lab import aptcache, network, uplink
from schoolnet.lab.image import ensure_base
from schoolnet.lab.paths import (
    APT_PORT,
    APT_SOCKET,
    CACHE_DIR,
    HOSTS_DIR,
    KEY,
    LAB_DIR,
    LOGS,
    LOOPBACK_OCTET,
    PREFIX,
    RUN_DIR,
    STATE,
    settings_problem,
)
from schoolnet.model.fleet import Fleet, Host
from schoolnet.processes import Process

LAB_KINDS = ("edge", "server")  # switches, PDUs and storage are not Debian hosts
CGROUP_ROOTS = (Path("/sys/fs/cgroup/systemd"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))
BOOT_TIMEOUT = 60.0
# Memory the machine keeps for itself: `lab up` boots no further host below this.  A booted
# and deployed edge server holds about 40 MiB (38 measured over 216) and more while its packages install.
MEMORY_RESERVE_MIB = int(os.environ.get("SCHOOLNET_LAB_MEMORY_RESERVE_MIB", "2048"))


class LabError(RuntimeError):
    """The lab cannot do what was asked; the message says why and what to do."""


class LabIncomplete(LabError):
    """Some hosts were booted, not all: `state` holds the ones that run."""

    def __init__(self, message: str, state: LabState) -> None:
        super().__init__(message)
        self.state = state


@dataclass
class LabHost:
    hostname: str
    index: int
    address: str
    netns: str
    host_key: str = ""
    pids: dict[str, Process] = field(default_factory=dict)
    segments: list[str] = field(default_factory=list)


@dataclass
class LabState:
    hosts: dict[str, LabHost] = field(default_factory=dict)
    pids: dict[str, Process] = field(default_factory=dict)  # lab-wide helpers: package cache and its relay
    runner: str = "nspawn"  # how its hosts run: systemd-nspawn, or chroot + sshd with no init
    tablets: dict[str, int] = field(default_factory=dict)  # tablet name -> its namespace's number (lab.tablets)

    @classmethod
    def load(cls) -> LabState:
        if not STATE.exists():
            return cls()
        raw = json.loads(STATE.read_text())
        hosts = {}
        for name, data in raw.get("hosts", {}).items():
            pids = data.get("pids", {})
            if "nspawn" in pids:  # state written before chroot hosts existed
                pids["host"] = pids.pop("nspawn")
            data["pids"] = {key: Process.load(value) for key, value in pids.items()}
            hosts[name] = LabHost(**data)
        helpers = {key: Process.load(value) for key, value in raw.get("pids", {}).items()}
        return cls(hosts, helpers, raw.get("runner", "nspawn"), dict(raw.get("tablets", {})))

    def save(self) -> None:
        STATE.parent.mkdir(parents=True, exist_ok=True)
        hosts = {n: {**asdict(h), "pids": {k: p.dump() for k, p in h.pids.items()}}
                 for n, h in sorted(self.hosts.items())}
        write_atomically(STATE, json.dumps({"hosts": hosts, "pids": {k: p.dump() for k, p in self.pids.items()},
                                            "runner": self.runner, "tablets": self.tablets}, indent=1))

    def unverifiable(self) -> list[int]:
        """PIDs recorded without a start time (by an older schoolnet): never signalled."""
        every = [*self.pids.values(), *(p for h in self.hosts.values() for p in h.pids.values())]
        return sorted(p.pid for p in every if not p.verifiable)

    def next_index(self) -> int:
        used = {h.index for h in self.hosts.values()}
        return next(i for i in range(1, 60_000) if i not in used)


RUNNERS = ("nspawn", "chroot")


def chosen_runner() -> str:
    """systemd-nspawn where it exists, else chroot + sshd; SCHOOLNET_LAB_RUNNER forces either."""
    forced = os.environ.get("SCHOOLNET_LAB_RUNNER", "")
    if forced and forced not in RUNNERS:
        raise LabError(f"SCHOOLNET_LAB_RUNNER={forced!r}: expected one of {', '.join(RUNNERS)}")
    return forced or ("nspawn" if shutil.which("systemd-nspawn") else "chroot")


def require_root() -> None:
    wrong = settings_problem()
    if wrong:
        raise LabError(wrong)
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, overlay mounts, systemd-nspawn): run it as root")
    missing = [p for p in ("debootstrap", "socat", "nginx", "ssh-keygen", "zstd", "unshare")
               if shutil.which(p) is None and not Path(f"/usr/sbin/{p}").exists()]
    if missing:
        raise LabError(f"missing {', '.join(missing)}: run `make lab-tools` (scripts/setup-tools.sh lab) as root")


def lab_hosts(hosts: list[Host]) -> list[Host]:
    return [h for h in hosts if h.kind in LAB_KINDS]


def available_memory_mib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    return 0


def memory_short(progress: str, advice: str) -> str:
    """Why starting more stops here ("stopped <progress> to go: ..."), or "" while the machine keeps
    MEMORY_RESERVE_MIB free."""
    available = available_memory_mib()
    if available >= MEMORY_RESERVE_MIB:
        return ""
    return (f"stopped {progress} to go: {available} MiB of memory left, {MEMORY_RESERVE_MIB} MiB kept for the "
            f"machine; {advice}")


def loopback(index: int) -> str:
    return f"127.{LOOPBACK_OCTET}.{index // 250}.{index % 250 + 1}"


def ssh_banner(address: str, port: int = 22) -> str:
    """What answers on address:port, through the forwarder and into the host: empty until sshd is up."""
    try:
        with socket.create_connection((address, port), timeout=3) as conn:
            conn.settimeout(3)
            return conn.recv(64).decode("ascii", "replace")
    except OSError:
        return ""


def _listening(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


def _guest(root: Path, path: str) -> Path:
    """A path inside a host's root, written by root from outside: a link planted in a kept disk must
    not lead the write onto this machine."""
    try:
        return beneath(root, path)
    except PathEscape as exc:
        raise LabError(f"{root}: {exc}; delete the host's disk with `schoolnet lab down --purge`") from None


def running(process: Process | None) -> bool:
    return process is not None and process.running()


def host_cgroup(root: Path, hostname: str) -> Path:
    """The cgroup under hierarchy `root` that holds everything one lab host runs (never outside the
    lab's own: `lab down` kills what it finds in there)."""
    return child(child(root, f"schoolnet-lab-{PREFIX}"), hostname)


def _spawn(name: str, argv: list[str], netns: str | None = None, cgroup: str | None = None) -> Process:
    """Start a daemon detached from our terminal (its own session, no inherited descriptors), logging to a file."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = open(child(LOGS, f"{name}.log"), "ab")  # noqa: SIM115 - handed to the child
    command = ["ip", "netns", "exec", netns, *argv] if netns else argv

    def enter_cgroup() -> None:
        if cgroup:
            for root in CGROUP_ROOTS:
                procs = host_cgroup(root, cgroup) / "cgroup.procs"
                if procs.exists():
                    procs.write_text(str(os.getpid()))

    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                               close_fds=True, preexec_fn=enter_cgroup)
    log.close()
    return Process.of(process.pid)


def _stop(process: Process | None, wait: float = 10.0) -> None:
    if process is not None:
        process.stop(wait)


class Lab:
    def __init__(self, fleet: Fleet, say: Callable[[str], None]) -> None:
        fleet.require_validated("the lab")  # hostnames become directories, cgroups and namespaces here
        self.fleet = fleet
        self.say = say
        self.addressing = Addressing(fleet)
        try:
            self.uplinks = uplink.Uplinks(fleet)
        except uplink.UplinkError as exc:
            raise LabError(str(exc)) from None

    # --- up ---------------------------------------------------------------------------------------

    def up(self, hosts: list[Host]) -> LabState:
        require_root()
        runner = chosen_runner()  # a wrong SCHOOLNET_LAB_RUNNER fails before anything starts
        state = LabState.load()
        if any(running(h.pids.get("host")) for h in state.hosts.values()) and state.runner != runner:
            raise LabError(f"the lab's hosts run with {state.runner}, not {runner}: `schoolnet lab down` first")
        base = ensure_base(self.say)
        self._ensure_inotify()
        self._ensure_key()
        self._ensure_apt_cache(state)
        network.ensure_router(self.uplinks.router_addresses)
        state.runner = runner
        if runner == "chroot":
            self.say("systemd-nspawn is not available here (or SCHOOLNET_LAB_RUNNER=chroot): falling back to "
                     "chroot + sshd with no init; deploys install packages and check and install files, "
                     "but no service is started")
        started: list[LabHost] = []
        wanted = lab_hosts(hosts)
        short_of_memory = ""
        for number, host in enumerate(wanted):
            entry = state.hosts.get(host.hostname)
            if entry is not None and running(entry.pids.get("host")):
                continue
            short_of_memory = memory_short(f"booting with {len(wanted) - number} of {len(wanted)} host(s)",
                                           "boot fewer hosts with --limit")
            if short_of_memory:
                break
            if entry is None:
                index = state.next_index()
                entry = LabHost(host.hostname, index, loopback(index), f"{PREFIX}-h{index}")
                state.hosts[host.hostname] = entry
            self._prepare(host, entry, base)
            self._boot(entry, runner)
            started.append(entry)
            state.save()
        for entry in started:
            self._wait_ready(entry)
            self.say(f"  {entry.hostname:<22} up at {entry.address}")
        state.save()
        if short_of_memory:
            raise LabIncomplete(short_of_memory, state)
        return state

    def _ensure_inotify(self) -> None:
        """Each booted systemd holds several inotify instances; the kernel's default of 128 per user
        stops the twentieth host or so ("Too many open files").  Raise the machine-wide limits."""
        for name, wanted in (("max_user_instances", 8192), ("max_user_watches", 524288)):
            path = Path("/proc/sys/fs/inotify") / name
            if path.exists() and int(path.read_text()) < wanted:
                path.write_text(str(wanted))
                self.say(f"raised fs.inotify.{name} to {wanted} for the lab's hosts")

    def _ensure_key(self) -> None:
        if not KEY.exists():
            KEY.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "schoolnet-lab", "-f", str(KEY)],
                           check=True)

    def _ensure_apt_cache(self, state: LabState) -> None:
        """The lab's package cache (nginx, see `schoolnet.lab.aptcache`) on 127.0.0.1 here, relayed
        into each host through a UNIX socket."""
        if running(state.pids.get("apt-cache")) and running(state.pids.get("apt-relay")):
            return
        for name in ("apt-relay", "apt-cache", "apt-cacher-ng"):  # a half-running pair, or a lab of before
            _stop(state.pids.pop(name, None))
        cache = CACHE_DIR / f"apt-{PREFIX}"  # two labs never write one cache
        for directory in (cache / ".body", cache / ".proxy", cache / "files", LOGS, RUN_DIR):
            directory.mkdir(parents=True, exist_ok=True)
        for directory in (cache / ".body", cache / ".proxy", cache / "files"):
            shutil.chown(directory, aptcache.WORKER_USER, aptcache.WORKER_USER)
        config = LAB_DIR / "apt-cache.conf"
        config.write_text(aptcache.config(cache, RUN_DIR, LOGS, APT_PORT))
        state.pids["apt-cache"] = _spawn("apt-cache", ["nginx", "-c", str(config)])
        deadline = time.monotonic() + 20
        while not _listening("127.0.0.1", APT_PORT):
            if not running(state.pids["apt-cache"]) or time.monotonic() > deadline:
                raise LabError(f"the lab's package cache did not start; see {LOGS}/apt-cache.log and "
                               f"{LOGS}/apt-cache.error.log")
            time.sleep(0.1)
        APT_SOCKET.unlink(missing_ok=True)
        state.pids["apt-relay"] = _spawn("apt-relay", ["socat", f"UNIX-LISTEN:{APT_SOCKET},fork,mode=600",
                                                       f"TCP:127.0.0.1:{APT_PORT}"])
        state.save()

    def _segments(self, host: Host, index: int) -> list[tuple[str, str, str | None]]:
        """(interface inside the host, bridge, address) for each segment the host sits on."""
        if host.school is not None:
            plan = self.addressing.school(host.school)
            if plan is None:
                raise LabError(f"{host.hostname}: its school has no prefix; run `schoolnet validate`")
            seg = f"s{self.fleet.schools.index(host.school) + 1}"
            wan, lan = uplink.port_names(self.fleet, host)
            return [(wan, uplink.BRIDGE, f"{self.uplinks.edge_address(index)}/{uplink.SEGMENT.prefixlen}"),
                    *((f"{lan}.{v.vlan.vid}", f"b{seg}v{v.vlan.vid}", f"{v.gateway}/{v.network.prefixlen}")
                      for v in plan.vlans)]
        site = host.datacenter
        assert site is not None
        networks = {n.name: n.prefix for n in site.networks}
        segments: list[tuple[str, str, str | None]] = []
        for number, interface in enumerate(getattr(host.device, "interfaces", [])):
            if interface.network and interface.address and interface.network in networks:
                prefix = networks[interface.network]
                segments.append((f"eno{number + 1}", uplink.dc_bridge(interface.network),
                                 f"{interface.address}/{prefix.prefixlen}"))
        return segments

    def _route(self, host: Host, entry: LabHost) -> None:
        """Join the host to the lab's stand-in for the tunnel (see `schoolnet.lab.uplink`)."""
        if host.school is not None:
            for route in self.uplinks.edge_routes():
                network.ensure_route(entry.netns, route.prefix, route.via)
            back = self.uplinks.school_route(host, entry.index)
            if back is not None:
                network.ensure_route(network.LAB_NS, back.prefix, back.via)
            return
        bridge = next((b for b in entry.segments if b in self.uplinks.router_addresses), None)
        for route in self.uplinks.dc_routes(bridge) if bridge else []:
            network.ensure_route(entry.netns, route.prefix, route.via)

    def _prepare(self, host: Host, entry: LabHost, base: Path) -> None:
        home = child(HOSTS_DIR, host.hostname)
        upper, work, merged = home / "upper", home / "work", home / "merged"
        for directory in (upper, work, merged):
            directory.mkdir(parents=True, exist_ok=True)
        if not os.path.ismount(merged):
            subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                            f"lowerdir={base},upperdir={upper},workdir={work}", str(merged)], check=True)
        key = home / "ssh_host_ed25519_key"
        if not key.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", host.hostname, "-f", str(key)],
                           check=True)
        shutil.copy2(key, _guest(merged, "etc/ssh/ssh_host_ed25519_key"))
        shutil.copy2(key.with_suffix(".pub"), _guest(merged, "etc/ssh/ssh_host_ed25519_key.pub"))
        entry.host_key = " ".join(key.with_suffix(".pub").read_text().split()[:2])
        _guest(merged, "etc/hostname").write_text(host.hostname + "\n")
        _guest(merged, "etc/hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {host.hostname}\n")
        machine_id = _guest(merged, "etc/machine-id")
        if not machine_id.read_text().strip():
            machine_id.write_text(os.urandom(16).hex() + "\n")
        authorized = _guest(merged, "home/deploy/.ssh/authorized_keys")
        authorized.parent.mkdir(parents=True, exist_ok=True)
        authorized.write_text(KEY.with_suffix(".pub").read_text())
        subprocess.run(["chroot", str(merged), "chown", "-R", "deploy:deploy", "/home/deploy/.ssh"], check=True)
        network.ensure_netns(entry.netns)
        entry.segments = []
        for number, (inside, bridge, address) in enumerate(self._segments(host, entry.index)):
            network.plug(entry.netns, inside, bridge, f"h{entry.index}p{number}", address)
            entry.segments.append(bridge)
        self._route(host, entry)

    def _boot(self, entry: LabHost, runner: str) -> None:
        for root in CGROUP_ROOTS[:2]:
            if root.exists():
                host_cgroup(root, entry.hostname).mkdir(parents=True, exist_ok=True)
        merged = child(HOSTS_DIR, entry.hostname) / "merged"
        if runner == "chroot":
            policy = _guest(merged, "usr/sbin/policy-rc.d")  # as in any Debian chroot: packages start no daemon
            policy.write_text("#!/bin/sh\nexit 101\n")
            policy.chmod(0o755)
            # its own mount and PID namespaces: /dev and /proc mounted for it vanish with it, and its
            # sshd is PID 1 there, so stopping the recorded PID stops everything the host started; its
            # root is a mount point, as on a machine (the deploy's checks make mount namespaces there)
            entry.pids["host"] = _spawn(entry.hostname, [
                "unshare", "--mount", "--pid", "--fork", "--kill-child", "sh", "-c",
                'mount --bind "$1" "$1" && mount --rbind /dev "$1/dev" && mount -t proc proc "$1/proc" && '
                'mkdir -p "$1/run/sshd" && '
                'exec chroot "$1" /usr/sbin/sshd -D -e', "sh", str(merged)],
                netns=entry.netns, cgroup=entry.hostname)
        else:
            entry.pids["host"] = _spawn(entry.hostname, [
                "systemd-nspawn", "-D", str(merged), "--boot", "--register=no", "--keep-unit",
                f"--network-namespace-path=/run/netns/{entry.netns}", "--console=passive", "--resolv-conf=off",
                "--timezone=off", "--link-journal=no", f"--machine={entry.hostname}",
                "--capability=CAP_NET_ADMIN",  # its own namespace only: services bind, nft loads, dnsmasq starts
            ], cgroup=entry.hostname)
        entry.pids["ssh-forward"] = _spawn(f"{entry.hostname}-ssh", [
            "socat", f"TCP-LISTEN:22,bind={entry.address},reuseaddr,fork",
            f"EXEC:ip netns exec {entry.netns} socat STDIO TCP\\:127.0.0.1\\:22"])
        entry.pids["apt-relay"] = _spawn(f"{entry.hostname}-apt", [
            "socat", "TCP-LISTEN:3142,bind=127.0.0.1,reuseaddr,fork", f"UNIX-CONNECT:{APT_SOCKET}"],
            netns=entry.netns)

    def _wait_ready(self, entry: LabHost) -> None:
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            if not running(entry.pids.get("host")):
                raise LabError(f"{entry.hostname} stopped while booting; see {LOGS}/{entry.hostname}.log")
            if ssh_banner(entry.address).startswith("SSH-"):
                return
            time.sleep(0.3)
        raise LabError(f"{entry.hostname} did not answer SSH within {BOOT_TIMEOUT:.0f} s; "
                       f"see {LOGS}/{entry.hostname}.log")

def down(purge: bool = False) -> tuple[int, list[int]]:
    """Stop the hosts and helpers the lab started, by their records (never by name).  Their disks and
    host keys stay, as a real host's would across a power cycle, unless `purge`: then the next `up`
    boots fresh Debian hosts with new keys.  Needs no inventory: a broken one never keeps a lab up.
    Returns the hosts stopped and the PIDs recorded by an older schoolnet, left alone."""
    require_root()
    state = LabState.load()
    left_alone = state.unverifiable()
    for entry in state.hosts.values():  # ask every container to halt at once, then wait for each
        process = entry.pids.get("host")
        if process is not None:
            process.signal(signal.SIGTERM)
    for entry in state.hosts.values():
        _stop_host(entry)
    for number in state.tablets.values():  # lab.tablets' namespaces: nothing runs in them once leased
        network.delete_netns(f"{PREFIX}-tab{number}")
    state.tablets.clear()
    for name in ("apt-relay", "apt-cache", "apt-cacher-ng"):
        _stop(state.pids.pop(name, None))
    network.delete_netns(network.LAB_NS)
    count = len(state.hosts)
    state.hosts.clear()
    state.save()
    if purge:
        _purge_disks()
    return count, left_alone


def _purge_disks() -> None:
    """Delete every host's disk (overlay upper layer) and key; the cached base image stays."""
    if not HOSTS_DIR.exists():
        shutil.rmtree(LAB_DIR / "switches", ignore_errors=True)
        return
    mounted = [home.name for home in HOSTS_DIR.iterdir() if os.path.ismount(home / "merged")]
    if mounted:  # deleting through a live overlay would walk the host's whole root
        raise LabError(f"cannot purge: still mounted: {', '.join(sorted(mounted))}; "
                       "see `mount | grep schoolnet-lab`, unmount them, then run `schoolnet lab down --purge` again")
    shutil.rmtree(HOSTS_DIR)
    shutil.rmtree(LAB_DIR / "switches", ignore_errors=True)  # the emulators' keys and saved configurations


def _stop_host(entry: LabHost) -> None:
    for name in ("ssh-forward", "apt-relay", "host", "switch"):
        _stop(entry.pids.pop(name, None), wait=20.0)
    if not entry.netns:  # a switch emulator: a process on loopback, nothing more to undo
        return
    for root in CGROUP_ROOTS[:2]:  # first: nothing of the host may still use its files or network
        _remove_cgroup(host_cgroup(root, entry.hostname))
    merged = child(HOSTS_DIR, entry.hostname) / "merged"
    if os.path.ismount(merged):
        subprocess.run(["umount", str(merged)], check=False)
    network.delete_netns(entry.netns)


def _remove_cgroup(cgroup: Path, wait: float = 20.0) -> None:
    """Remove the host's cgroup once it is empty.

    The recorded PID going away does not mean its descendants have: a chroot host's sshd
    is killed by the kernel when its `unshare` parent goes, and its sessions after it, a
    moment later.  Whatever is still inside the cgroup the lab made for this host was
    started by that host, so it is killed here; nothing outside it is touched.
    """
    deadline = time.monotonic() + wait
    while cgroup.exists():
        directories = sorted((p for p in cgroup.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for directory in [*directories, cgroup]:
            with contextlib.suppress(FileNotFoundError):
                for member in (directory / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(member), signal.SIGKILL)
            try:
                directory.rmdir()
            except FileNotFoundError:
                pass
            except OSError as error:
                if error.errno != errno.EBUSY:
                    raise LabError(f"cannot remove {directory}: {error.strerror}") from error
        if cgroup.exists():
            if time.monotonic() > deadline:
                raise LabError(f"{cgroup} still holds processes after {wait:.0f} s; "
                               "see its cgroup.procs, then run `schoolnet lab down` again")
            time.sleep(0.1)


def stop_host(hostname: str) -> None:
    """Stop one host (its container and forwarders) but keep its place in the lab: tests of unreachable hosts."""
    require_root()
    state = LabState.load()
    _stop_host(state.hosts[hostname])
    state.save()


def status() -> list[dict[str, Any]]:
    state = LabState.load()
    rows = []
    for entry in sorted(state.hosts.values(), key=lambda e: e.index):
        emulator = "switch" in entry.pids or not entry.netns
        up = running(entry.pids.get("switch" if emulator else "host"))
        rows.append({"host": entry.hostname, "address": entry.address, "running": up,
                     "ssh": up and ssh_banner(entry.address).startswith("SSH-"), "segments": entry.segments,
                     "kind": "switch emulator (command line only, no data plane)" if emulator else "Debian host"})
    return rows
