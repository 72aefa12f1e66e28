"""SN4xx: rack space and power in the data center."""

from __future__ import annotations

from collections.abc import Iterator

from schoolnet.problems import Problem
from schoolnet.rulebook import problem
from schoolnet.validate.registry import Context, rule


@rule("SN401", "rack-overlap", "Two devices occupy the same rack unit.",
      bad="position: 33   # nx-dc1-vpn-01 is at 33 already", good="position: 31")
def rack_overlaps(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for site in fleet.datacenters:
        occupied: dict[tuple[str, int], str] = {}
        for index, device in enumerate(site.devices):
            model = fleet.catalog.get(device.model)
            if device.rack is None or device.position is None or model is None:
                continue
            for unit in range(device.position, device.position + model.u_height):
                holder = occupied.setdefault((device.rack, unit), device.hostname)
                if holder != device.hostname:
                    yield problem("SN401", fleet.loc(site, "devices", index, "position"),
                                  f"{device.hostname} needs U{unit} of rack {device.rack}, held by {holder}",
                                  "move it to a free position")
                    break


@rule("SN402", "rack-overflow", "A device does not fit its rack (above the top unit), or a racked model "
      "has no position.", bad="position: 42   # a 2U server in a 42U rack", good="position: 41")
def rack_fits(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for site in fleet.datacenters:
        heights = {r.name: r.u_height for r in site.racks}
        for index, device in enumerate(site.devices):
            model = fleet.catalog.get(device.model)
            if device.rack not in heights or model is None:
                continue
            assert device.rack is not None
            if device.position is None:
                if model.u_height > 0:
                    yield problem("SN402", fleet.loc(site, "devices", index),
                                  f"{device.hostname} is a {model.u_height}U {model.id} in rack {device.rack} "
                                  "without a position", "add position: (its lowest rack unit)")
                continue
            top = device.position + model.u_height - 1
            if top > heights[device.rack]:
                yield problem("SN402", fleet.loc(site, "devices", index, "position"),
                              f"{device.hostname} would reach U{top} of {heights[device.rack]}U rack {device.rack}",
                              f"use a position of at most {heights[device.rack] - model.u_height + 1}")


@rule("SN403", "rack-power", "The devices in a rack draw more than its power budget.",
      bad="power_budget_w: 1500   # four 800 W hypervisors", good="power_budget_w: 5000")
def rack_power(ctx: Context) -> Iterator[Problem]:
    fleet = ctx.fleet
    for site in fleet.datacenters:
        for index, rack in enumerate(site.racks):
            members = [d for d in site.devices if d.rack == rack.name]
            draw = sum(fleet.catalog[d.model].power_w for d in members if d.model in fleet.catalog)
            if draw > rack.power_budget_w:
                yield problem("SN403", fleet.loc(site, "racks", index, "power_budget_w"),
                              f"rack {rack.name} draws {draw} W from {len(members)} devices, over its budget "
                              f"of {rack.power_budget_w} W", "move a device or raise the budget with facilities")
