#!/usr/bin/env python3
"""Time `schoolnet netbox apply` and `plan` on the reference programme, beside NetBox's own write speed.

    .venv/bin/python benchmarks/netbox.py                                  # the whole reference programme
    .venv/bin/python benchmarks/netbox.py --limit district:sadarak --limit district:kangarli --limit site:nx-dc1
    .venv/bin/python benchmarks/netbox.py --limit ... --chunks 50,250,1000 --servers 3x1,5x1,2x4
    .venv/bin/python benchmarks/netbox.py --mac-order 600

Run as root: it starts a NetBox of its own (`schoolnet netbox up`, port 8510,
/var/lib/schoolnet-netbox-bench) from the cached migrated database, and wipes it between runs.
Each figure is the command as a user types it, end to end (imports, validation of the whole
inventory, secret store, reading NetBox, every write):
- first apply: an empty NetBox to the programme (or the --limit part of it); afterwards every
  object type is counted back through NetBox's API and must equal what the inventory describes;
- floor: the very write requests that first apply sent (recorded through SCHOOLNET_NETBOX_TRACE),
  replayed in the same order with a plain HTTP client (http.client, one keep-alive connection)
  against a fresh copy of the same empty NetBox: NetBox's own speed for the same objects;
- no-change plan and no-change apply: what a daily run costs (reads only), run against the NetBox
  the first apply filled, before the floor replaces it; each must find nothing to change.
Settings tried, each a first apply beside its own floor: --chunks (objects per bulk request,
SCHOOLNET_NETBOX_CHUNK) and --servers (gunicorn WORKERSxTHREADS, SCHOOLNET_NETBOX_WORKERS and
SCHOOLNET_NETBOX_THREADS).  --mac-order N times N tablets' interfaces and MACs written both ways
with plain HTTP: interfaces, then MACs assigned to them, then each interface's primary MAC (what
apply does), against MACs created unassigned, then interfaces naming them (NetBox assigns each
MAC when its interface is created).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness import ROOT, Report, arguments, schoolnet

from schoolnet.netbox.desired import build_desired
from schoolnet.netbox.mapping import TYPES
from schoolnet.validate import load_for_action

BENCH = {"SCHOOLNET_NETBOX_DIR": "/var/lib/schoolnet-netbox-bench", "SCHOOLNET_NETBOX_PORT": "8510"}
URL = "http://127.0.0.1:8510"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    return schoolnet(*args, cwd=ROOT, env={**BENCH, **(env or {})})


@contextmanager
def step(what: str) -> Iterator[None]:
    """A step that fails stops the benchmark with one line, naming the step and why (exit 1), not a traceback."""
    try:
        yield
    except SystemExit as stop:
        if isinstance(stop.code, str):
            raise SystemExit(f"{what}: {stop.code}") from None
        raise
    except Exception as exc:  # NetBox unreachable, a refused request, an answer that is not what was expected
        reason = " ".join(str(exc).split())[:300] or "no reason given"
        raise SystemExit(f"{what}: {type(exc).__name__}: {reason}") from None


def fresh_netbox(server: dict[str, str] | None = None) -> dict[str, str]:
    """An empty NetBox (wiped, then started from the cached migrated database); NETBOX_URL/TOKEN for it."""
    run("netbox", "down", "--wipe")
    run("netbox", "up", env=server)
    token = (Path(BENCH["SCHOOLNET_NETBOX_DIR"]) / "token").read_text().strip()
    return {"NETBOX_URL": URL, "NETBOX_TOKEN": token}


class Http:
    """One keep-alive connection to the benchmark's NetBox, as a plain client talks to it."""

    def __init__(self, token: str) -> None:
        split = urlsplit(URL)
        self.connection = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=900)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json"}

    def send(self, method: str, path: str, body: str = "") -> Any:
        self.connection.request(method, path, body=body.encode(), headers=self.headers)
        answer = self.connection.getresponse()
        data = answer.read()
        if answer.status >= 300:
            raise SystemExit(f"{method} {path} -> {answer.status} {data[:300]!r}")
        return json.loads(data) if data else None


def replay(trace: Path, token: str) -> tuple[float, int]:
    """The recorded writes, in order, on one keep-alive connection; every answer must be a success."""
    requests = [json.loads(line) for line in trace.read_text().splitlines()]
    client = Http(token)
    started = time.perf_counter()
    for request in requests:
        client.send(request["method"], request["path"], request["body"])
    return time.perf_counter() - started, len(requests)


def counts_read_back(target: dict[str, str], limits: list[str]) -> dict[str, int]:
    """Every owned object type counted through NetBox's API; each must equal what the inventory (or the limited
    part of it) describes."""
    import pynetbox

    from schoolnet.netbox.scope import limit_of, within

    fleet = load_for_action(ROOT / "inventory")
    desired = build_desired(fleet)
    desired = within(desired, limit_of(fleet, tuple(limits), desired.objects))
    api = pynetbox.api(URL, token=target["NETBOX_TOKEN"])
    found = {}
    for object_type in TYPES:
        if not object_type.tagged:
            continue
        count = int(getattr(getattr(api, object_type.app), object_type.endpoint).count(tag="schoolnet"))
        want = len(desired.objects.get(object_type.name, {}))
        if count != want:
            raise SystemExit(f"{object_type.name}: NetBox holds {count}, the inventory describes {want}")
        found[object_type.name] = count
    return found


def no_change(limit_args: list[str], target: dict[str, str]) -> list[tuple[str, float, str]]:
    """A daily run against the NetBox a first apply filled: plan, then apply; each must find nothing to change."""
    with step("no-change plan"):
        plan, output = run("netbox", "plan", "--format", "json", *limit_args, env=target)
        planned = json.loads(output)
        if planned["changes"]:
            raise SystemExit(f"{len(planned['changes'])} changes planned right after the first apply")
    with step("no-change apply"):
        again, output = run("netbox", "apply", "--yes", "--format", "json", *limit_args, env=target)
        written = json.loads(output)["written"]
        if written:
            raise SystemExit(f"wrote {written} right after the first apply")
    return [("no-change plan", plan, f"{planned['requests']} read requests"),
            ("no-change apply", again, "no write request")]


def first_apply(report: Report, limits: list[str], label: str, apply_env: dict[str, str] | None = None,
                server: dict[str, str] | None = None, daily: bool = False) -> None:
    """An empty NetBox published by `schoolnet netbox apply`, beside the same writes replayed on another; with
    `daily`, the no-change plan and apply too, against the NetBox this apply filled (the floor's fresh NetBox
    replaces it, so they run before the floor)."""
    limit_args = [a for expression in limits for a in ("--limit", expression)]
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "writes.jsonl"
        with step("first apply"):
            target = fresh_netbox(server)
            seconds, output = run("netbox", "apply", "--yes", "--format", "json", *limit_args,
                                  env={**target, **(apply_env or {}), "SCHOOLNET_NETBOX_TRACE": str(trace)})
            result = json.loads(output)
            objects = sum(sum(actions.values()) for actions in result["written"].values())
        with step("counting the first apply's objects back"):
            counted = counts_read_back(target, limits)
        afterwards = no_change(limit_args, target) if daily else []
        with step("floor"):
            replayed = fresh_netbox(server)
            floor, writes = replay(trace, replayed["NETBOX_TOKEN"])
    report.add(f"first apply, {label}", seconds, floor=(f"the same {writes} write requests, http.client", floor),
               note=f"{objects:,} objects, {result['requests']} requests; {sum(counted.values()):,} owned objects "
                    "counted back, every type equal to the inventory")
    for name, took, note in afterwards:
        report.add(name, took, note=note)


def mac_order(report: Report, tablets: int) -> None:
    """The interfaces and MACs of `tablets` tablets, written as apply writes them and MAC-first."""
    target = fresh_netbox()
    client = Http(target["NETBOX_TOKEN"])
    site = client.send("POST", "/api/dcim/sites/", json.dumps({"name": "bench", "slug": "bench"}))["id"]
    maker = client.send("POST", "/api/dcim/manufacturers/", json.dumps({"name": "bench", "slug": "bench"}))["id"]
    kind = client.send("POST", "/api/dcim/device-types/", json.dumps({"manufacturer": maker, "model": "bench",
                                                                      "slug": "bench"}))["id"]
    role = client.send("POST", "/api/dcim/device-roles/", json.dumps({"name": "bench", "slug": "bench"}))["id"]

    def devices(prefix: str) -> list[int]:
        return [d["id"] for start in range(0, tablets, 250) for d in client.send("POST", "/api/dcim/devices/",
                json.dumps([{"name": f"{prefix}-{n}", "site": site, "device_type": kind, "role": role}
                            for n in range(start, min(start + 250, tablets))]))]

    def chunks(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        return [items[start:start + 250] for start in range(0, len(items), 250)]

    def mac(prefix: int, n: int) -> str:
        return f"02:{prefix:02x}:00:00:{n // 256:02x}:{n % 256:02x}"

    as_apply = devices("a")
    started = time.perf_counter()
    interfaces = [i["id"] for part in chunks([{"device": d, "name": "wlan0", "type": "ieee802.11ac"}
                                             for d in as_apply])
                  for i in client.send("POST", "/api/dcim/interfaces/", json.dumps(part))]
    macs = [m["id"] for part in chunks([{"mac_address": mac(1, n), "assigned_object_type": "dcim.interface",
                                         "assigned_object_id": i} for n, i in enumerate(interfaces)])
            for m in client.send("POST", "/api/dcim/mac-addresses/", json.dumps(part))]
    for part in chunks([{"id": i, "primary_mac_address": m} for i, m in zip(interfaces, macs, strict=True)]):
        client.send("PATCH", "/api/dcim/interfaces/", json.dumps(part))
    three_passes = time.perf_counter() - started

    mac_first = devices("b")
    started = time.perf_counter()
    macs = [m["id"] for part in chunks([{"mac_address": mac(2, n)} for n in range(tablets)])
            for m in client.send("POST", "/api/dcim/mac-addresses/", json.dumps(part))]
    for part in chunks([{"device": d, "name": "wlan0", "type": "ieee802.11ac", "primary_mac_address": m}
                        for d, m in zip(mac_first, macs, strict=True)]):
        client.send("POST", "/api/dcim/interfaces/", json.dumps(part))
    two_passes = time.perf_counter() - started
    assigned = client.send("GET", f"/api/dcim/mac-addresses/?id={macs[0]}&id={macs[-1]}&fields=id,assigned_object_id")
    if any(row["assigned_object_id"] is None for row in assigned["results"]):
        raise SystemExit("NetBox did not assign a MAC named by a new interface")
    report.add(f"{tablets} tablets' interfaces and MACs, MAC first (two bulk passes)", two_passes,
               floor=("as apply writes them: interfaces, MACs, primary MACs (three passes)", three_passes))


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", action="append", default=[], metavar="EXPR", help="publish only this part")
    parser.add_argument("--chunks", default="", help="comma-separated objects per bulk request to try")
    parser.add_argument("--servers", default="", help="comma-separated gunicorn WORKERSxTHREADS to try, e.g. 5x1,2x4")
    parser.add_argument("--mac-order", type=int, default=0, metavar="N", help="time N tablets' interfaces and MACs "
                        "written both ways, and nothing else")


def main() -> int:
    args = arguments(__doc__, extra=options)
    if os.geteuid() != 0:
        raise SystemExit("run as root: the benchmark starts its own NetBox")
    part = " ".join(args.limit) or "the whole reference programme"
    report = Report("NetBox: tablets' interfaces and MACs written two ways, plain HTTP" if args.mac_order
                    else f"netbox apply and plan: {part}")
    try:
        if args.mac_order:
            with step(f"{args.mac_order} tablets' interfaces and MACs"):
                mac_order(report, args.mac_order)
        elif args.chunks or args.servers:
            for chunk in filter(None, args.chunks.split(",")):
                first_apply(report, args.limit, f"{chunk} objects a request", {"SCHOOLNET_NETBOX_CHUNK": chunk})
            for server in filter(None, args.servers.split(",")):
                workers, threads = server.split("x")
                first_apply(report, args.limit, f"gunicorn {workers} workers x {threads} threads",
                            server={"SCHOOLNET_NETBOX_WORKERS": workers, "SCHOOLNET_NETBOX_THREADS": threads})
        else:
            first_apply(report, args.limit, part, daily=True)
    except KeyboardInterrupt:
        raise SystemExit("interrupted") from None
    finally:
        stopped = netbox_down()
        if stopped:
            print(stopped, file=sys.stderr)
    report.print(args.json)
    return 1 if stopped else 0


def netbox_down() -> str:
    """Stop the benchmark's NetBox and delete its data: '' or one line saying why it could not."""
    try:
        run("netbox", "down", "--wipe")
    except SystemExit as stop:
        return f"stopping the benchmark's NetBox: {stop.code}"
    return ""


if __name__ == "__main__":
    sys.exit(main())
