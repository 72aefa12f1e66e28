"""Counts and look-ups over a fleet, for `schoolnet inventory stats|show`."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from schoolnet.model.datacenter import Datacenter, DcDevice
from schoolnet.model.fleet import Fleet, Host
from schoolnet.model.school import School, tablet_name
from schoolnet.model.types import TabletStatus
from schoolnet.problems import Location

TABLET_STATUSES: tuple[str, ...] = TabletStatus.__args__  # type: ignore[attr-defined]


def fleet_stats(fleet: Fleet) -> dict[str, Any]:
    kinds = Counter(host.kind for host in fleet.hosts)
    tablets: Counter[str] = Counter(t.status for s in fleet.schools for t in s.tablets)
    circuits = [c for s in fleet.schools for c in s.uplinks] + [c for d in fleet.datacenters for c in d.circuits]
    return {
        "programme": fleet.programme.name,
        "schools": len(fleet.schools),
        "districts": len(fleet.programme.districts),
        "datacenters": len(fleet.datacenters),
        "racks": sum(len(d.racks) for d in fleet.datacenters),
        "edge_servers": kinds["edge"],
        "switches": kinds["switch"],
        "servers": kinds["server"],
        "other_devices": sum(n for k, n in kinds.items() if k not in {"edge", "switch", "server"}),
        "tablets": sum(tablets.values()),  # at schools; the data center's stock is counted apart
        "tablets_by_status": {status: tablets[status] for status in TABLET_STATUSES},
        "tablets_in_stock_at_the_data_center": sum(len(d.stock) for d in fleet.datacenters),
        "circuits": len(circuits),
        "circuits_by_status": dict(sorted(Counter(c.status for c in circuits).items())),
        "students": sum(s.students for s in fleet.schools),
    }


@dataclass
class Found:
    """What a name refers to, where it is written, its fields, and which of its names matched."""

    kind: str
    name: str
    location: Location
    fields: dict[str, Any]
    matched: str = ""  # "id", "hostname", "serial", "MAC", "asset tag", "handover certificate", ...


CertificateNumber = Callable[[str, str, str], str]  # (prefix, school id, sha256 of its file) -> the number
_MAC_SEPARATORS = re.compile(r"[\s:.\-]")
_MAC = re.compile(r"[0-9a-f]{12}")


def mac_key(text: str) -> str | None:
    """A MAC in any common notation (02:5c:4a:51:0b:63, 02-5C-4A-51-0B-63, 025c.4a51.0b63) as 12 hex digits;
    None when `text` is not one."""
    digits = _MAC_SEPARATORS.sub("", text).lower()
    return digits if _MAC.fullmatch(digits) else None


def find(fleet: Fleet, name: str, certificate_number: CertificateNumber | None = None) -> list[Found]:
    """Everything called `name`, case-insensitive: a school id, a hostname, any serial (edge servers, switches,
    servers, tablets, the stock), a MAC in any notation, an asset tag, a tablet's name or handover certificate,
    or (given how its numbers are made) a school's acceptance certificate number."""
    wanted, wanted_mac = name.strip().lower(), mac_key(name)
    found: list[Found] = []
    seen: set[tuple[str, Location]] = set()  # one thing matched by two of its names (a tag like its hostname)
    for what, written, make in _names(fleet, certificate_number):
        current = None
        if what == "MAC":
            hit = wanted_mac is not None and mac_key(written) == wanted_mac
        elif what == "acceptance certificate":
            current = _same_certificate(written, wanted)
            hit = current is not None
        else:
            hit = written.lower() == wanted
        if not hit:
            continue
        item = make()
        if (item.kind, item.location) in seen and what != "acceptance certificate":
            continue
        seen.add((item.kind, item.location))
        item.matched = what
        if what == "acceptance certificate":
            item.name = name.strip().upper()
            item.fields["made_from"] = (
                "the school's file as it is now" if current else
                f"not the school's file as it is now, which gives {written}: another version of it (its git log "
                "has them all), or a mistyped number")
        found.append(item)
    return found


def close_names(fleet: Fleet, name: str, certificate_number: CertificateNumber | None = None,
                n: int = 3) -> list[str]:
    """The names most like `name` (difflib), as they are written: for a did-you-mean."""
    by_key: dict[str, str] = {}
    for what, written, _ in _names(fleet, certificate_number):
        key = mac_key(written) if what == "MAC" else None
        by_key.setdefault(key or written.lower(), written)
    wanted = mac_key(name) or name.strip().lower()
    return [by_key[key] for key in difflib.get_close_matches(wanted, list(by_key), n=n, cutoff=0.6)]


def _same_certificate(number: str, wanted: str) -> bool | None:
    """True when `wanted` is `number`; False when it is the same school's number with another digest (the
    certificate was made from another version of the file); None when it is neither."""
    if wanted.upper() == number.upper():
        return True
    head, _, digest = wanted.upper().rpartition("-")
    made_now = number.upper().rpartition("-")
    return False if head == made_now[0] and len(digest) == len(made_now[2]) else None


Names = Iterator[tuple[str, str, Callable[[], Found]]]  # (what, as written, the thing it names)


def _names(fleet: Fleet, certificate_number: CertificateNumber | None) -> Names:
    """Every name of every thing in the fleet; the thing itself is made only when asked for."""
    handover = fleet.programme.handover
    for school in fleet.schools:
        yield "id", school.id, partial(_school, fleet, school)
        if handover is not None and certificate_number is not None:
            number = certificate_number(handover.certificate_prefix, school.id, fleet.doc(school).sha256)
            yield "acceptance certificate", number, partial(_certificate, fleet, school)
        for index, tablet in enumerate(school.tablets):
            make = partial(_tablet, fleet, school, index)
            yield "serial", tablet.serial, make
            yield "MAC", tablet.mac, make
            yield "hostname", tablet_name(school.id, tablet.slot), make
            if tablet.asset_tag:
                yield "asset tag", tablet.asset_tag, make
            if tablet.handover is not None:
                yield "handover certificate", tablet.handover.certificate, make
    for host in fleet.hosts:
        make = partial(_host, fleet, host)
        yield "hostname", host.hostname, make
        yield "serial", host.serial, make
        if host.device.asset_tag:
            yield "asset tag", host.device.asset_tag, make
        for interface in host.device.interfaces if isinstance(host.device, DcDevice) else ():
            if interface.mac:
                yield "MAC", interface.mac, make
    for site in fleet.datacenters:
        for index, kept in enumerate(site.stock):
            make = partial(_stock, fleet, site, index)
            yield "serial", kept.serial, make
            yield "MAC", kept.mac, make
            if kept.asset_tag:
                yield "asset tag", kept.asset_tag, make


def _school(fleet: Fleet, school: School) -> Found:
    return Found("school", school.id, fleet.loc(school, "id"), {
        "school_name": school.name, **school.model_dump(mode="json", exclude={"id", "name", "devices", "tablets",
                                                                             "uplinks"}),
        "hosts": school.device_hostnames(), "tablets": len(school.tablets),
        "uplinks": [u.model_dump(mode="json") for u in school.uplinks],
        "prefix": str(fleet.ledger.allocations.get(school.id, "none"))})


def _certificate(fleet: Fleet, school: School) -> Found:
    doc = fleet.doc(school)
    return Found("acceptance certificate", "", fleet.loc(school), {
        "school": school.id, "school_name": school.name, "file": doc.name, "file_sha256": doc.sha256})


def _tablet(fleet: Fleet, school: School, index: int) -> Found:
    tablet = school.tablets[index]
    return Found("tablet", tablet.serial, fleet.loc(school, "tablets", index),
                 {"school": school.id, "hostname": tablet_name(school.id, tablet.slot),
                  **tablet.model_dump(mode="json", exclude_none=True)})


def _host(fleet: Fleet, host: Host) -> Found:
    return Found(host.kind, host.hostname, fleet.host_location(host),
                 {"site": host.site, "roles": list(host.roles),
                  **host.device.model_dump(mode="json", exclude_none=True)})


def _stock(fleet: Fleet, site: Datacenter, index: int) -> Found:
    kept = site.stock[index]
    return Found("tablet", kept.serial, fleet.loc(site, "stock", index),
                 {"site": site.site, "in": "the data center's stock",
                  **kept.model_dump(mode="json", exclude_none=True)})
