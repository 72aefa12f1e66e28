"""What a server says of itself, read in one command through pyinfra (as deploy's HostStateFact reads a host).

One round trip per host: the DMI serial and model (the kernel's copy of the table dmidecode reads,
`/sys/class/dmi/id`), every interface's MAC (`ip -o link`), the OS release, the kernel, the uptime,
the packages and services its roles manage (deploy's own query), and on an edge server the DHCP
leases dnsmasq holds (`/var/lib/misc/dnsmasq.leases`, Debian's default).

A container or a chroot sees its machine's DMI, not its own: `systemd-detect-virt` says which, and
the serial and model are then "not observable" with that reason, never the machine's numbers
passed off as the server's.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from pyinfra.api.facts import FactBase

from schoolnet.deploy.facts import host_state_command, parse_host_state, unit_name

LEASES = "/var/lib/misc/dnsmasq.leases"
SECTIONS = ("dmi", "virt", "links", "os", "kernel", "uptime", "leases", "state")


@dataclass(frozen=True)
class Lease:
    mac: str
    address: str
    name: str
    expires: int  # seconds since the epoch, as dnsmasq writes it


@dataclass
class ServerFacts:
    serial: str | None = None  # None: not observable, `unobservable` says why
    model: str | None = None
    unobservable: str = ""
    macs: dict[str, str] = field(default_factory=dict)  # interface -> MAC, lower case
    os_release: str = ""
    kernel: str = ""
    uptime_seconds: float = 0.0
    packages: dict[str, bool] = field(default_factory=dict)  # of those its roles manage: installed?
    services: dict[str, bool] = field(default_factory=dict)  # running?
    leases: list[Lease] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"serial": self.serial, "model": self.model, "unobservable": self.unobservable,
                "macs": self.macs, "os_release": self.os_release, "kernel": self.kernel,
                "uptime_seconds": self.uptime_seconds, "packages": self.packages, "services": self.services,
                "leases": [vars(lease) for lease in self.leases]}


def observe_command(packages: list[str], services: list[str], leases: bool) -> str:
    """`== SECTION` headers, then what each command printed."""
    state = host_state_command([], packages, services)
    parts = [
        "echo '== dmi'; cat /sys/class/dmi/id/product_serial /sys/class/dmi/id/product_name 2>/dev/null",
        "echo '== virt'; systemd-detect-virt --container 2>/dev/null; "
        "systemd-detect-virt --chroot 2>/dev/null && echo chroot",
        "echo '== links'; ip -o link show 2>/dev/null",
        "echo '== os'; (. /etc/os-release && echo \"$PRETTY_NAME\")",
        "echo '== kernel'; uname -r",
        "echo '== uptime'; cut -d' ' -f1 /proc/uptime",
        f"echo '== leases'; cat {shlex.quote(LEASES)} 2>/dev/null" if leases else "echo '== leases'",
        f"echo '== state'; {state}",
    ]
    return "; ".join(parts)


def parse_observed(lines: list[str], packages: list[str], services: list[str]) -> ServerFacts:
    sections: dict[str, list[str]] = {name: [] for name in SECTIONS}
    current = ""
    for line in lines:
        if line.startswith("== ") and line[3:] in sections:
            current = line[3:]
        elif current:
            sections[current].append(line)
    facts = ServerFacts()
    virt = [v.strip() for v in sections["virt"] if v.strip() and v.strip() != "none"]
    dmi = [v.strip() for v in sections["dmi"]]
    if virt:
        facts.unobservable = f"not observable in a {virt[0]}: it shares its machine's DMI"
    elif len(dmi) >= 2 and dmi[0]:
        facts.serial, facts.model = dmi[0], dmi[1]
    else:
        facts.unobservable = "not observable: the DMI table is not readable (run as root, or sudo)"
    for line in sections["links"]:
        parts = line.split()
        if len(parts) > 1 and "link/ether" in parts:
            facts.macs[parts[1].rstrip(":").split("@")[0]] = parts[parts.index("link/ether") + 1].lower()
    facts.os_release = " ".join(sections["os"]).strip()
    facts.kernel = " ".join(sections["kernel"]).strip()
    try:
        facts.uptime_seconds = float((sections["uptime"] or ["0"])[0])
    except ValueError:
        facts.uptime_seconds = 0.0
    for line in sections["leases"]:
        parts = line.split()
        if len(parts) >= 4 and parts[0].isdigit():
            facts.leases.append(Lease(parts[1].lower(), parts[2], parts[3], int(parts[0])))
    state = parse_host_state(sections["state"])
    facts.packages = {p: p in state.packages for p in packages}
    facts.services = {s: unit_name(s) in state.running for s in services}
    return facts


class ObservedServer(FactBase[ServerFacts]):
    """Everything `observe` reads of a server, in one command."""

    def command(self, packages: list[str], services: list[str], leases: bool) -> str:
        self._asked = (packages, services)
        return observe_command(packages, services, leases)

    def process(self, output: list[str]) -> ServerFacts:
        packages, services = getattr(self, "_asked", ([], []))
        return parse_observed(output, packages, services)
