"""`schoolnet inventory show`: any name a person holds in hand finds its thing, in words; a miss says what is close."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from schoolnet.handover.certificate import certificate_number
from schoolnet.model import load_fleet_or_raise
from schoolnet.model.fleet import Fleet
from schoolnet.model.stats import mac_key
from tests.conftest import invoke

SCHOOL = "inventory/schools/ordubad/nx-ord-001.yaml"
DC = "inventory/datacenter/nx-dc1.yaml"
STOCK = 'stock:\n  - {serial: R9STOCK0001, model: samsung-galaxy-tab-a9plus, mac: "02:5c:00:00:00:01"}\n'
DC_MAC = "      - {name: mgmt, network: mgmt, address: 10.0.10.23, mac: \"02:aa:bb:cc:dd:01\"}\n"


def school(fleet: Fleet) -> object:
    return fleet.schools_by_id["nx-ord-001"]


def tablet(fleet: Fleet) -> object:
    return fleet.schools_by_id["nx-ord-001"].tablets[0]


def host(fleet: Fleet, kind: str, site: str = "nx-ord-001") -> object:
    return next(h for h in fleet.hosts if h.kind == kind and h.site == site)


def acceptance(fleet: Fleet, digest: str | None = None) -> str:
    one = fleet.schools_by_id["nx-ord-001"]
    assert fleet.programme.handover is not None
    return certificate_number(fleet.programme.handover.certificate_prefix, one.id, digest or fleet.doc(one).sha256)


Query = Callable[[Fleet], str]
# (id, what is typed, the kind and name found, the name that matched, the file it is defined in)
FOUND: list[tuple[str, Query, str, Query, str, str]] = [
    ("school-id-any-case", lambda f: "NX-ORD-001", "school", lambda f: "nx-ord-001", "id", SCHOOL),
    ("hostname", lambda f: "nx-ord-001-edge", "edge", lambda f: "nx-ord-001-edge", "hostname", SCHOOL),
    ("edge-serial", lambda f: host(f, "edge").serial.lower(), "edge", lambda f: "nx-ord-001-edge", "serial", SCHOOL),
    ("switch-serial", lambda f: host(f, "switch").serial, "switch", lambda f: "nx-ord-001-sw1", "serial", SCHOOL),
    ("server-serial", lambda f: host(f, "server", "nx-dc1").serial, "server",
     lambda f: host(f, "server", "nx-dc1").hostname, "serial", DC),
    ("edge-asset-tag", lambda f: host(f, "edge").device.asset_tag.lower(), "edge", lambda f: "nx-ord-001-edge",
     "asset tag", SCHOOL),
    ("tablet-serial", lambda f: tablet(f).serial.lower(), "tablet", lambda f: tablet(f).serial, "serial", SCHOOL),
    ("tablet-hostname", lambda f: "NX-ORD-001-T001", "tablet", lambda f: tablet(f).serial, "hostname", SCHOOL),
    ("mac-colons", lambda f: tablet(f).mac, "tablet", lambda f: tablet(f).serial, "MAC", SCHOOL),
    ("mac-dashes-upper", lambda f: tablet(f).mac.replace(":", "-").upper(), "tablet", lambda f: tablet(f).serial,
     "MAC", SCHOOL),
    ("mac-cisco-dots", lambda f: ".".join(re.findall("....", mac_key(tablet(f).mac) or "")), "tablet",
     lambda f: tablet(f).serial, "MAC", SCHOOL),
    ("mac-bare", lambda f: (mac_key(tablet(f).mac) or "").upper(), "tablet", lambda f: tablet(f).serial, "MAC", SCHOOL),
    ("handover-certificate", lambda f: tablet(f).handover.certificate.lower(), "tablet", lambda f: tablet(f).serial,
     "handover certificate", SCHOOL),
    ("acceptance-certificate", lambda f: acceptance(f).lower(), "acceptance certificate", lambda f: acceptance(f),
     "acceptance certificate", SCHOOL),
    ("stock-serial", lambda f: "r9stock0001", "tablet", lambda f: "R9STOCK0001", "serial", DC),
    ("stock-mac", lambda f: "02-5C-00-00-00-01", "tablet", lambda f: "R9STOCK0001", "MAC", DC),
    ("datacenter-interface-mac", lambda f: "02aa.bbcc.dd01", "server", lambda f: "nx-dc1-vpn-01", "MAC", DC),
]


@pytest.fixture
def fleet(inventory: Path) -> Fleet:
    """The small programme with a tablet in the data center's stock and a MAC on a data-center interface."""
    dc = inventory / "datacenter" / "nx-dc1.yaml"
    text = dc.read_text()
    vpn = text.index("hostname: nx-dc1-vpn-01")
    mgmt = text.index("      - {name: mgmt", vpn)
    text = text[:mgmt] + DC_MAC + text[text.index("\n", mgmt) + 1:]
    dc.write_text(text + STOCK)
    return load_fleet_or_raise(inventory)


@pytest.mark.parametrize(("typed", "kind", "name", "matched", "file"), [c[1:] for c in FOUND],
                         ids=[c[0] for c in FOUND])
def test_show_finds_any_name_a_thing_has(fleet: Fleet, typed: Query, kind: str, name: Query, matched: str,
                                         file: str) -> None:
    code, out = invoke("inventory", "show", typed(fleet), "--format", "json")
    assert code == 0, out
    (found,) = json.loads(out)
    assert (found["kind"], found["name"], found["matched"]) == (kind, name(fleet), matched)
    assert found["defined_at"].startswith(f"{file}:")


def test_an_acceptance_certificate_of_another_version_of_the_file_is_found_and_said_so(fleet: Fleet) -> None:
    now = acceptance(fleet)
    code, out = invoke("inventory", "show", acceptance(fleet, "0" * 64))
    assert code == 0, out
    assert f"made_from: not the school's file as it is now, which gives {now}" in out
    code, out = invoke("inventory", "show", now)
    assert "made_from: the school's file as it is now" in out


# (what is typed, what the one line must hold)
MISSED = [
    ("nx-ord-001-egde", "did you mean nx-ord-001-edge"),
    ("NX-ORD-01", "did you mean nx-ord-001"),
    ("02-5C-00-00-00-02", "did you mean 02:5c:00:00:00:01"),  # a MAC is suggested as written
    ("qqqqqqqqqqqqqqqqqqqqqqqq",
     "(try a school id, a hostname, a serial, a MAC, an asset tag or a certificate number)"),
]


@pytest.mark.parametrize(("typed", "said"), MISSED, ids=[m[0] for m in MISSED])
def test_a_miss_is_one_line_with_what_is_close(fleet: Fleet, typed: str, said: str) -> None:
    code, out = invoke("inventory", "show", typed)
    assert code == 1
    assert out.count("\n") == 1 and out.startswith(f"schoolnet: nothing is called {typed!r} ("), out
    assert said in out, out


def test_the_handover_is_said_in_words(fleet: Fleet, inventory: Path) -> None:
    first = tablet(fleet)
    record = first.handover
    assert record is not None
    role = record.received_by.replace("-", " ").replace("it ", "IT ")
    code, out = invoke("inventory", "show", first.serial)
    assert code == 0
    assert (f"  handover: handed over on {record.date.day} {record.date:%B %Y} by the Programme director (Ministry "
            f"of Digital Development, programme office (synthetic)) to the {role} of Ordubad school No. 1, "
            f"certificate {record.certificate}\n") in out
    assert "  status: handed over\n" in out and "{" not in out
    path = inventory / "schools/ordubad/nx-ord-001.yaml"
    path.write_text(path.read_text().replace("status: handed_over", "status: in_repair", 1))
    code, out = invoke("inventory", "show", first.serial)
    assert f"certificate {record.certificate}; now in repair\n" in out


def test_lists_read_as_lines_not_json(fleet: Fleet) -> None:
    code, out = invoke("inventory", "show", "nx-ord-001")
    assert code == 0
    assert "  uplinks:\n    - provider " in out and "  coordinates: lat " in out
    assert "{" not in out and "[" not in out


def test_a_thing_matched_by_two_of_its_names_is_shown_once(fleet: Fleet) -> None:
    code, out = invoke("inventory", "show", "nx-dc1-vpn-01")  # its hostname, and its asset tag NX-DC1-VPN-01
    assert code == 0 and out.count("(defined at") == 1


def test_the_formats_offered_are_the_formats_there_are(inventory: Path) -> None:
    code, out = invoke("inventory", "show", "--help")
    assert code == 0
    assert "[text|json]" in out and "json is for machines" in out
    assert "junit" not in out and "github" not in out
    assert invoke("inventory", "show", "nx-ord-001", "--format", "github")[0] == 2
