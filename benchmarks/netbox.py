#!/usr/bin/env python3
"""Time `schoolnet netbox apply` and `plan` on the reference programme, beside NetBox's own write speed.

    .venv/bin/python benchmarks/netbox.py

Run as root: it starts a NetBox of its own (`schoolnet netbox up`, port 8510,
/var/lib/schoolnet-netbox-bench) from the cached migrated database, and wipes it between runs.
Each figure is the command as a user types it, end to end (imports, validation of the whole
inventory, secret store, reading NetBox, every write):
- first apply: an empty NetBox to the whole reference programme;
- no-change plan and no-change apply: what a daily run costs (reads only);
- floor: the very write requests that first apply sent (recorded through SCHOOLNET_NETBOX_TRACE),
  replayed in the same order with a plain HTTP client (http.client, one keep-alive connection)
  against a fresh copy of the same empty NetBox: NetBox's own speed for the same objects.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SCHOOLNET = str(Path(sys.executable).parent / "schoolnet")
BENCH = {"SCHOOLNET_NETBOX_DIR": "/var/lib/schoolnet-netbox-bench", "SCHOOLNET_NETBOX_PORT": "8510",
         "SOPS_AGE_KEY_FILE": str(ROOT / "keys" / "demo.agekey")}
URL = "http://127.0.0.1:8510"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    """The command's wall time and its standard output (the JSON, when asked for)."""
    print("  running: schoolnet", " ".join(args), file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = subprocess.run([SCHOOLNET, *args], cwd=ROOT, env={**os.environ, **BENCH, **(env or {})},
                            capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"schoolnet {' '.join(args)}: exit {result.returncode}\n{result.stderr[-2000:]}")
    return took, result.stdout


def fresh_netbox() -> dict[str, str]:
    """An empty NetBox (wiped, then started from the cached migrated database); NETBOX_URL/TOKEN for it."""
    run("netbox", "down", "--wipe")
    run("netbox", "up")
    token = (Path(BENCH["SCHOOLNET_NETBOX_DIR"]) / "token").read_text().strip()
    return {"NETBOX_URL": URL, "NETBOX_TOKEN": token}


def replay(trace: Path, token: str) -> tuple[float, int]:
    """The recorded writes, in order, on one keep-alive connection; every answer must be a success."""
    requests = [json.loads(line) for line in trace.read_text().splitlines()]
    split = urlsplit(URL)
    connection = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=900)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"}
    started = time.perf_counter()
    for request in requests:
        connection.request(request["method"], request["path"], body=request["body"].encode(), headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        if answer.status >= 300:
            raise SystemExit(f"replay: {request['method']} {request['path']} -> {answer.status} {body[:300]!r}")
    return time.perf_counter() - started, len(requests)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: the benchmark starts its own NetBox")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "writes.jsonl"
        target = fresh_netbox()
        first, output = run("netbox", "apply", "--yes", "--format", "json",
                            env={**target, "SCHOOLNET_NETBOX_TRACE": str(trace)})
        result = json.loads(output)
        objects = sum(sum(actions.values()) for actions in result["written"].values())
        plan, plan_out = run("netbox", "plan", "--format", "json", env=target)
        reads = json.loads(plan_out)["requests"]
        again, _ = run("netbox", "apply", "--yes", env=target)
        target = fresh_netbox()
        floor, writes = replay(trace, target["NETBOX_TOKEN"])
        rows = [("first apply (empty NetBox -> reference programme)", first,
                 f"{objects:,} objects, {result['requests']} requests"),
                (f"floor: the same {writes} write requests replayed with http.client", floor, ""),
                ("no-change plan", plan, f"{reads} read requests"),
                ("no-change apply", again, "no write request")]
    run("netbox", "down", "--wipe")
    print(f"\n{'':56} {'seconds':>9}")
    for name, seconds, note in rows:
        print(f"{name:56} {seconds:9.1f}  {note}")
    print(f"\nfirst apply / floor: {first / floor:.2f}x (target <= 1.2x); no-change plan {plan:.1f} s (target < 30 s)")


if __name__ == "__main__":
    main()
