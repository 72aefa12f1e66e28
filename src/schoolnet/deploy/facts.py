"""One pyinfra fact for everything a deploy compares on a host: files, packages, services.

pyinfra's own facts cost a round trip each (two per file: content hash, then stat) and
its listing facts (`dpkg -l`, `systemctl show '*'`) send hundreds of lines per host.
An edge server has a dozen files and eight services, a fleet a few hundred hosts:
reading exactly what the roles manage, in one command per host, is what keeps an
idempotent redeploy of the whole fleet within minutes.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from pyinfra.api.facts import FactBase

RUNNING = {"running", "waiting", "exited", "listening", "mounted"}  # as pyinfra's SystemdStatus
ENABLED = {"enabled", "static"}  # as pyinfra's SystemdEnabled


@dataclass(frozen=True)
class FileState:
    sha256: str
    mode: int
    owner: str
    group: str


@dataclass
class HostState:
    files: dict[str, FileState | None] = field(default_factory=dict)  # None: missing
    packages: set[str] = field(default_factory=set)  # installed, of those asked for
    running: set[str] = field(default_factory=set)  # unit names, e.g. dnsmasq.service
    enabled: set[str] = field(default_factory=set)


def unit_name(service: str) -> str:
    return service if "." in service else f"{service}.service"


def host_state_command(paths: list[str], packages: list[str], services: list[str]) -> str:
    """Lines: `file SHA MODE OWNER GROUP PATH` or `missing PATH`; `pkg NAME STATUS`; then systemctl's
    blank-line separated Id/SubState/UnitFileState blocks."""
    parts = []
    if paths:
        quoted = " ".join(shlex.quote(p) for p in paths)
        parts.append(f"for f in {quoted}; do if [ -f \"$f\" ]; then printf 'file %s %s %s\\n' "
                     "\"$(sha256sum < \"$f\" | cut -c1-64)\" \"$(stat -c '%a %U %G' \"$f\")\" \"$f\"; "
                     "else printf 'missing %s\\n' \"$f\"; fi; done")
    if packages:
        parts.append("dpkg-query -W -f='pkg ${Package} ${db:Status-Abbrev}\\n' "
                     + " ".join(shlex.quote(p) for p in packages) + " 2>/dev/null || true")
    if services:
        parts.append("echo; systemctl show --property Id --property SubState --property UnitFileState "
                     + " ".join(shlex.quote(unit_name(s)) for s in services) + " 2>/dev/null || true")
    return "; ".join(parts) or "true"


def parse_host_state(lines: list[str]) -> HostState:
    state = HostState()
    unit: dict[str, str] = {}

    def end_unit() -> None:
        if unit.get("SubState") in RUNNING:
            state.running.add(unit.get("Id", ""))
        if unit.get("UnitFileState") in ENABLED:
            state.enabled.add(unit.get("Id", ""))
        unit.clear()

    for line in lines:
        if line.startswith("file "):
            _, sha256, mode, owner, group, path = line.split(" ", 5)
            state.files[path] = FileState(sha256, int(mode, 8), owner, group)
        elif line.startswith("missing "):
            state.files[line.removeprefix("missing ")] = None
        elif line.startswith("pkg "):
            name, _, status = line.removeprefix("pkg ").partition(" ")
            if status[:2] in ("ii", "hi"):
                state.packages.add(name)
        elif "=" in line:
            key, _, value = line.strip().partition("=")
            if key == "Id" and "Id" in unit:  # blocks are blank-line separated; do not rely on it
                end_unit()
            unit[key] = value
        elif not line.strip():
            end_unit()
    end_unit()
    return state


class HostStateFact(FactBase[HostState]):
    """What the host holds now of the given files, packages and services, read in one command."""

    def command(self, paths: list[str], packages: list[str], services: list[str]) -> str:
        return host_state_command(paths, packages, services)

    def process(self, output: list[str]) -> HostState:
        return parse_host_state(output)
