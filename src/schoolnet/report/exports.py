"""CSV exports: the tables an auditor opens in a spreadsheet, with a column order that never moves."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from schoolnet.report.facts import CircuitRow, DatacenterView, DeviceRow, SchoolView

TABLET_COLUMNS = ("district", "school", "slot", "serial", "model", "mac", "status", "asset_tag", "certificate",
                  "handover_date", "received_by", "address", "source")
DEVICE_COLUMNS = ("site", "district", "hostname", "kind", "vendor", "model", "serial", "asset_tag", "status", "rack",
                  "position", "management_address", "source")
CIRCUIT_COLUMNS = ("site", "district", "provider", "circuit_id", "bandwidth_mbps", "status", "purpose", "source")


# A cell a spreadsheet would read as a formula (OWASP's CSV injection): =, +, -, @, a tab or a carriage return
# first.  Such a text cell is written with a leading apostrophe, which the spreadsheet shows as text.
FORMULA_LEADERS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """A cell as data, never a formula: numbers as they are, text that a spreadsheet would evaluate quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADERS):
        return "'" + value
    return value


def _table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([inert(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def tablets_csv(schools: list[SchoolView]) -> str:
    return _table(TABLET_COLUMNS, (
        (t.district, t.school, t.slot, t.serial, t.model, t.mac, t.status, t.asset_tag, t.certificate,
         t.handover_date, t.received_by, t.address, str(t.source)) for s in schools for t in s.tablets))


def _device(site: str, district: str, d: DeviceRow) -> tuple[object, ...]:
    return (site, district, d.hostname, d.kind, d.vendor, d.model, d.serial, d.asset_tag, d.status, d.rack,
            "" if d.position is None else d.position, d.management, str(d.source))


def devices_csv(schools: list[SchoolView], datacenters: list[DatacenterView]) -> str:
    rows = [_device(dc.site, "", d) for dc in datacenters for d in dc.devices]
    rows += [_device(s.id, s.district, d) for s in schools for d in s.devices]
    return _table(DEVICE_COLUMNS, rows)


def _circuit(district: str, c: CircuitRow) -> tuple[object, ...]:
    return (c.site, district, c.provider, c.circuit_id, c.bandwidth_mbps, c.status, c.purpose, str(c.source))


def circuits_csv(schools: list[SchoolView], datacenters: list[DatacenterView]) -> str:
    rows = [_circuit("", c) for dc in datacenters for c in dc.circuits]
    rows += [_circuit(s.district, c) for s in schools for c in s.uplinks]
    return _table(CIRCUIT_COLUMNS, rows)
