"""Rack elevations and the programme's topology as SVG, drawn from the views alone.

Plain SVG text with every value escaped, no script: it shows the same in a browser, in a
printed page and in a diff.  Each drawn device and school carries data attributes (its U
position, its uplink status) so tests and scripts can read the drawing, not guess at pixels.
"""

from __future__ import annotations

from html import escape

from schoolnet.report.facts import DatacenterView, DistrictView, RackView

UNIT = 16  # pixels per rack unit
RACK_WIDTH = 300
GUTTER = 30  # unit numbers left of the rack
TOP = 28

STATUS_COLOURS = {
    "active": "#2e7d32", "provisioning": "#f9a825", "planned": "#1565c0", "offline": "#c62828",
    "deprovisioning": "#8d6e63", "decommissioned": "#9e9e9e", "none": "#6a1b9a",
}
KIND_COLOURS = {"server": "#bbdefb", "switch": "#c8e6c9", "firewall": "#ffcdd2", "storage": "#ffe0b2",
                "edge": "#d1c4e9", "pdu": "#eeeeee"}


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def rack_elevation(rack: RackView, device_href: str = "#dev-") -> str:
    """One rack, U1 at the bottom as on the real frame; a device spans its height from its lowest unit."""
    height = rack.u_height * UNIT
    over = rack.power_w > rack.power_budget_w
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rack" data-rack="{_attr(rack.name)}" '
        f'data-units="{rack.u_height}" width="{GUTTER + RACK_WIDTH + 10}" height="{TOP + height + 34}" '
        f'viewBox="0 0 {GUTTER + RACK_WIDTH + 10} {TOP + height + 34}" role="img" '
        f'aria-label="rack {_attr(rack.name)}">',
        f'<title>rack {_attr(rack.name)}: {rack.u_height}U, {rack.power_w} W of {rack.power_budget_w} W</title>',
        f'<text x="{GUTTER}" y="18" class="rack-name">{_attr(rack.name)}</text>',
        f'<rect x="{GUTTER}" y="{TOP}" width="{RACK_WIDTH}" height="{height}" class="frame"/>',
    ]
    for unit in range(1, rack.u_height + 1):
        y = TOP + (rack.u_height - unit) * UNIT
        parts.append(f'<text x="{GUTTER - 4}" y="{y + UNIT - 4}" class="unit">{unit}</text>')
    for device in rack.mounted:
        assert device.position is not None
        top_unit = device.position + device.u_height - 1
        y = TOP + (rack.u_height - top_unit) * UNIT
        fill = KIND_COLOURS.get(device.kind, "#e0e0e0")
        tip = (f"{device.hostname} ({device.vendor} {device.model}), serial {device.serial}, "
               f"asset tag {device.asset_tag or 'none'}, U{device.position}"
               + (f"-U{top_unit}" if top_unit != device.position else "") + f", {device.power_w} W")
        parts.append(
            f'<a href="{_attr(device_href + device.hostname)}">'
            f'<g class="device" data-hostname="{_attr(device.hostname)}" data-u="{device.position}" '
            f'data-height="{device.u_height}" data-serial="{_attr(device.serial)}" '
            f'data-asset-tag="{_attr(device.asset_tag)}">'
            f'<title>{_attr(tip)}</title>'
            f'<rect x="{GUTTER + 2}" y="{y + 1}" width="{RACK_WIDTH - 4}" height="{device.u_height * UNIT - 2}" '
            f'fill="{fill}"/>'
            f'<text x="{GUTTER + 8}" y="{y + UNIT - 4}">{_attr(device.hostname)} · {_attr(device.model)}</text>'
            f'</g></a>')
    power_class = "power over" if over else "power"
    parts.append(f'<text x="{GUTTER}" y="{TOP + height + 22}" class="{power_class}">power {rack.power_w} W '
                 f'of {rack.power_budget_w} W budget ({_percent(rack.power_w, rack.power_budget_w)})</text>')
    parts.append("</svg>")
    return "".join(parts)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "no budget"


SCHOOL_ROW = 18
SCHOOLS_PER_COLUMN = 30
COLUMN_WIDTH = 150


def topology(datacenters: list[DatacenterView], hubs: list[str], districts: list[DistrictView],
             school_href: str = "schools/", district_href: str = "districts/") -> str:
    """Data center and VPN hub on top, schools below grouped by district; each school's line to its
    district's trunk is coloured by the status of its uplink."""
    columns = [max(1, -(-len(d.schools) // SCHOOLS_PER_COLUMN)) for d in districts]
    width = max(640, sum(columns) * COLUMN_WIDTH + 40)
    rows = min(SCHOOLS_PER_COLUMN, max((len(d.schools) for d in districts), default=0))
    band = 170  # the schools start here
    height = band + rows * SCHOOL_ROW + 70
    centre = width // 2
    dc_label = ", ".join(d.name for d in datacenters) or "data center"
    hub_label = ", ".join(hubs) or "no VPN hub"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="topology" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="programme topology">',
        '<title>Data center, VPN hub and schools by district; uplinks coloured by circuit status</title>',
        f'<rect x="{centre - 150}" y="10" width="300" height="34" rx="4" class="node dc"/>',
        f'<text x="{centre}" y="32" text-anchor="middle">{_attr(dc_label)}</text>',
        f'<line x1="{centre}" y1="44" x2="{centre}" y2="70" class="trunk"/>',
        f'<rect x="{centre - 150}" y="70" width="300" height="34" rx="4" class="node hub"/>',
        f'<text x="{centre}" y="92" text-anchor="middle">VPN hub: {_attr(hub_label)}</text>',
    ]
    x = 20
    for district, span in zip(districts, columns, strict=True):
        block = span * COLUMN_WIDTH
        anchor = x + 10
        parts.append(f'<path d="M{centre} 104 V 122 H {anchor} V {band - 22}" class="trunk" fill="none"/>')
        parts.append(f'<a href="{_attr(district_href + district.id + ".html")}"><text x="{anchor}" '
                     f'y="{band - 28}" class="district">{_attr(district.name)} ({len(district.schools)})</text></a>')
        for index, school in enumerate(district.schools):
            column, row = divmod(index, SCHOOLS_PER_COLUMN)
            sx = x + 10 + column * COLUMN_WIDTH
            sy = band + row * SCHOOL_ROW
            status = school.uplink_status
            colour = STATUS_COLOURS.get(status, "#000000")
            uplinks = "; ".join(f"{u.circuit_id} {u.bandwidth_mbps} Mb/s {u.status}" for u in school.uplinks)
            parts.append(
                f'<a href="{_attr(school_href + school.id + ".html")}"><g class="school" '
                f'data-school="{_attr(school.id)}" data-uplink-status="{_attr(status)}">'
                f'<title>{_attr(school.id)} {_attr(school.name)}: {_attr(uplinks or "no uplink")}</title>'
                f'<line x1="{anchor}" y1="{band - 20}" x2="{sx + 4}" y2="{sy - 4}" stroke="{colour}" '
                'class="uplink"/>'
                f'<circle cx="{sx + 4}" cy="{sy - 4}" r="4" fill="{colour}"/>'
                f'<text x="{sx + 12}" y="{sy}">{_attr(school.id)}</text></g></a>')
        x += block
    legend_y = height - 22
    lx = 20
    for status, colour in STATUS_COLOURS.items():
        parts.append(f'<circle cx="{lx + 5}" cy="{legend_y - 4}" r="5" fill="{colour}"/>'
                     f'<text x="{lx + 14}" y="{legend_y}" class="legend">{status}</text>')
        lx += 120
    parts.append("</svg>")
    return "".join(parts)
