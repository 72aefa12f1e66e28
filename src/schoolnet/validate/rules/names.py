"""SN5xx: formats of names, MACs, serials and keys.

Inventory names become file names (build/hosts/<host>/), shell words in
deploys and DNS labels; they are checked here, before any later stage uses them.
"""

from __future__ import annotations

import base64
import binascii
import re
import zoneinfo
from collections.abc import Iterator
from typing import Any

from schoolnet.problems import Problem
from schoolnet.rulebook import problem
from schoolnet.validate.registry import Context, rule

HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
SAFE_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?$")
MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
SERIAL = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,39}$")
SCHOOL_ID = re.compile(r"^(?P<programme>[a-z0-9]+)-(?P<district>[a-z]{3})-(?P<number>\d{3,4})$")
KEY_TYPES = {"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ssh-rsa"}
# A device in these states is not installed yet: its host key may wait (SN506, SN507), and every command
# that reaches hosts refuses it by name or skips it (schoolnet.deploy.gate.installed, SN821).
NOT_INSTALLED = ("planned", "staged")


@rule("SN501", "hostname-format", "A hostname is not an RFC 1123 label: lowercase letters, digits and "
      "hyphens, at most 63 characters, no leading or trailing hyphen.",
      bad="hostname: NX-DC1-DNS_01", good="hostname: nx-dc1-dns-01")
def hostname_format(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for host in fleet.hosts:
        explicit = host.school is None or host.device.hostname is not None
        if explicit and not HOSTNAME.match(host.hostname):
            yield problem("SN501", fleet.host_location(host, "hostname"), f"hostname {host.hostname!r} is not valid",
                          "use lowercase letters, digits and hyphens, at most 63 characters")


@rule("SN502", "mac-format", "A MAC address is not six lowercase hex pairs separated by colons, or is multicast.",
      bad="mac: 02-5C-4A-51-0B-63", good='mac: "02:5c:4a:51:0b:63"')
def mac_format(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet

    def check(mac: str, owner: Any, path: tuple[Any, ...]) -> Iterator[Problem]:
        if not MAC.match(mac):
            yield problem("SN502", fleet.loc(owner, *path), f"MAC {mac!r} is not in the form 02:5c:4a:51:0b:63",
                          "write six lowercase hex pairs separated by colons, in quotes")
        elif int(mac[:2], 16) & 1:
            yield problem("SN502", fleet.loc(owner, *path), f"MAC {mac} is a multicast address; no device has one",
                          "copy the MAC from the device's label again")

    for school in fleet.schools:
        for index, tablet in enumerate(school.tablets):
            yield from check(tablet.mac, school, ("tablets", index, "mac"))
    for site in fleet.datacenters:
        for d, device in enumerate(site.devices):
            for i, interface in enumerate(device.interfaces):
                if interface.mac is not None:
                    yield from check(interface.mac, site, ("devices", d, "interfaces", i, "mac"))


@rule("SN503", "serial-format", "A serial number is not 4-40 uppercase letters, digits and hyphens.",
      bad="serial: r9 rc7 qvw", good="serial: R9RC7QVW9LZ")
def serial_format(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for host in fleet.hosts:
        if not SERIAL.match(host.serial):
            yield problem("SN503", fleet.host_location(host, "serial"), f"serial {host.serial!r} of {host.hostname} "
                          "is not valid", "copy it from the label: uppercase letters, digits, hyphens")
    for school in fleet.schools:
        for index, tablet in enumerate(school.tablets):
            if not SERIAL.match(tablet.serial):
                yield problem("SN503", fleet.loc(school, "tablets", index, "serial"),
                              f"serial {tablet.serial!r} of tablet slot {tablet.slot} is not valid",
                              "copy it from the label: uppercase letters, digits, hyphens")


@rule("SN504", "unsafe-name", "A name that becomes a file name or shell word (school, district, site, rack, "
      "model, provider, VLAN, network, role) is not lowercase letters, digits and inner hyphens.",
      bad="id: nx-ord-012; rm -rf /", good="id: nx-ord-012")
def safe_names(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    programme = fleet.programme

    def names() -> Iterator[tuple[str, Any, tuple[Any, ...]]]:
        yield programme.code, programme, ("code",)
        for i, district in enumerate(programme.districts):
            yield district.id, programme, ("districts", i, "id")
        for i, vlan in enumerate(programme.vlans):
            yield vlan.name, programme, ("vlans", i, "name")
        for i, provider in enumerate(programme.providers):
            yield provider.id, programme, ("providers", i, "id")
        for kind, defaults in programme.defaults.items():
            for i, role in enumerate(defaults.roles or []):
                yield role, programme, ("defaults", kind, "roles", i)
        for i, model in enumerate(fleet.hardware.models):
            yield model.id, fleet.hardware, ("models", i, "id")
        for school in fleet.schools:
            yield school.id, school, ("id",)
            for d, device in enumerate(school.devices):
                for r, role in enumerate(device.roles or []):
                    yield role, school, ("devices", d, "roles", r)
        for site in fleet.datacenters:
            yield site.site, site, ("site",)
            for i, rack in enumerate(site.racks):
                yield rack.name, site, ("racks", i, "name")
            for i, network in enumerate(site.networks):
                yield network.name, site, ("networks", i, "name")
            for d, dc_device in enumerate(site.devices):
                for r, role in enumerate(dc_device.roles):
                    yield role, site, ("devices", d, "roles", r)

    for name, owner, path in names():
        if not SAFE_NAME.match(name):
            yield problem("SN504", fleet.loc(owner, *path), f"name {name!r} is not safe as a file name and shell word",
                          "use lowercase letters, digits and inner hyphens, at most 48 characters")


@rule("SN505", "school-id-format",
      "A school id does not follow <programme>-<district code>-<NNN>, three or four digits.",
      bad="id: ordubad-12", good="id: nx-ord-012")
def school_ids(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    codes = {d.id: d.code for d in fleet.programme.districts}
    for school in fleet.schools:
        match = SCHOOL_ID.match(school.id)
        expected = codes.get(school.district)
        if match is None or match["programme"] != fleet.programme.code or (
                expected is not None and match["district"] != expected):
            example = f"{fleet.programme.code}-{expected or 'xxx'}-001"
            yield problem("SN505", fleet.loc(school, "id"), f"school id {school.id!r} does not follow "
                          f"<programme>-<district code>-<NNN>", f"e.g. {example}")


@rule("SN506", "host-key", "An installed edge server or managed data-center server lacks a pinned SSH host key, "
      "or a key written does not parse (planned and staged servers may wait for their key).",
      bad="ssh_host_key: AAAAC3NzaC1lZDI1NTE5AAAA", good="ssh_host_key: ssh-ed25519 "
      "AAAAC3NzaC1lZDI1NTE5AAAAI...")
def host_keys(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for host in fleet.hosts:
        key = host.device.ssh_host_key
        managed = host.kind == "edge" or (host.kind == "server" and bool(host.roles))
        if key is None and host.status in NOT_INSTALLED:
            continue  # not installed yet: no key to pin; deploys refuse or skip it (SN821)
        if key is None:
            if managed:
                yield problem("SN506", fleet.host_location(host), f"{host.hostname} has no pinned ssh_host_key; "
                              "deploys refuse unpinned hosts", "add ssh_host_key: from `ssh-keyscan` on a trusted "
                              "network, or the installer's record; or status: planned until it is installed")
            continue
        reason = host_key_problem(key)
        if reason:
            yield problem("SN506", fleet.host_location(host, "ssh_host_key"),
                          f"ssh_host_key of {host.hostname}: {reason}", "write '<type> <base64>' as ssh-keyscan prints")


@rule("SN507", "switch-host-key", "An active managed switch has no pinned SSH host key (planned and staged switches "
      "are exempt).", bad="status: active  # and no ssh_host_key", good="ssh_host_key: ssh-ed25519 AAAA... "
      "(written by `schoolnet switches onboard`)")
def switch_host_keys(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for host in fleet.hosts:
        if host.kind != "switch" or host.device.status != "active" or host.device.ssh_host_key is not None or \
                not any(role.startswith("switch-") for role in host.roles):
            continue
        fingerprint = getattr(host.device, "ssh_host_key_fingerprint", None)
        fix = (f"run `schoolnet switches onboard --env <env> --limit host:{host.hostname}`: it pins the key that "
               f"matches {fingerprint}" if fingerprint else
               "record its ssh_host_key_fingerprint (SHA256:..., from the delivery record or the console: "
               "`display ssh server-info` / `show ip ssh`), then run `schoolnet switches onboard`; or set status: "
               "staged until then")
        yield problem("SN507", fleet.host_location(host), f"switch {host.hostname} is active with no pinned "
                      "ssh_host_key: audits and pushes refuse it", fix)


@rule("SN508", "time-zone", "programme.yaml's time_zone is not an IANA time zone name (NetBox refuses any other).",
      bad="time_zone: GMT+4", good="time_zone: Asia/Baku")
def time_zone(ctx: Context) -> Iterator[Problem]:
    # zoneinfo's own list, not ZoneInfo(name): that also opens files such as `localtime`, which NetBox refuses
    fleet = ctx.fleet
    name = fleet.programme.time_zone
    if name not in zoneinfo.available_timezones():
        near = sorted(z for z in zoneinfo.available_timezones() if z.lower() == name.lower())
        yield problem("SN508", fleet.loc(fleet.programme, "time_zone"), f"time zone {name!r} is not an IANA name",
                      f"write {near[0]}" if near else "write an IANA name such as Asia/Baku or UTC")


def host_key_problem(key: str) -> str:
    """Why `key` is not an OpenSSH public key line, or '' when it is."""
    parts = key.split()
    if len(parts) < 2:
        return "expected '<type> <base64 key>'"
    kind, blob = parts[0], parts[1]
    if kind not in KEY_TYPES:
        return f"unknown key type {kind!r}"
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return "the key is not valid base64"
    length = int.from_bytes(raw[:4], "big")
    if raw[4:4 + length].decode("ascii", "replace") != kind:
        return f"the key's contents are not a {kind} key"
    return ""
