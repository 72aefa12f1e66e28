#!/usr/bin/env python3
"""Time `schoolnet switches audit|push` over every switch of the reference programme, against lab emulators.

    .venv/bin/python benchmarks/switches.py                  # all 539 switches, --parallel 20 and 50
    .venv/bin/python benchmarks/switches.py --limit 'host:nx-sad-*-sw*' --parallel 20

Run as root (it boots a lab of its own: prefix snb, loopback 127.24.x.y; about 18 MiB per switch).
Each figure is the command as a user types it, end to end (imports, the gate: validate, freshness and
`check` of the selected files, secret decryption, every SSH session):
- first audit: every switch booted with its seeded drift (non-compliant);
- first push: converges them all (types, saves, audits again);
- no-change audit and no-change push: what a daily run costs;
- floor: plain paramiko, the same number of SSH logins, each reading the running configuration with one
  exec request, the same number of threads: what any audit over SSH must pay.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import paramiko
import yaml
from harness import DEMO_KEY, ROOT, Report, arguments, schoolnet

LAB_ENV = {"SCHOOLNET_LAB_DIR": "/var/lib/schoolnet-lab-bench", "SCHOOLNET_LAB_RUN": "/run/schoolnet-lab-bench",
           "SCHOOLNET_LAB_PREFIX": "snb", "SCHOOLNET_LAB_LOOPBACK": "24", "SCHOOLNET_LAB_APT_PORT": "3146"}


def command(repo: Path, *args: str, ok: tuple[int, ...] = (0,)) -> float:
    return schoolnet(*args, cwd=repo, env=LAB_ENV, ok=ok)[0]


def floor(repo: Path, parallel: int) -> float:
    """Plain paramiko: log in to each switch and read its configuration with one exec request."""
    from schoolnet.secrets.store import SopsSecrets

    env = yaml.safe_load((repo / "inventory" / "environments" / "lab.yaml").read_text())["hosts"]
    os.environ.setdefault("SOPS_AGE_KEY_FILE", DEMO_KEY)
    secrets = SopsSecrets(repo / "inventory" / "secrets.sops.yaml")
    secrets.load()  # decrypted before the clock starts: the command's figure includes it, the floor's not
    switches = {name: h for name, h in env.items() if "-sw" in name}

    def read(name: str) -> int:
        entry = switches[name]
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # the floor: no pinning work either
        client.connect(entry["address"], entry["port"], username="admin",
                       password=secrets.get(f"switch/{name.rsplit('-', 1)[0]}/admin"), allow_agent=False,
                       look_for_keys=False)
        huawei = (repo / "build" / "hosts" / name / "startup.cfg").exists()
        _, stdout, _ = client.exec_command("display current-configuration" if huawei else "show running-config")
        size = len(stdout.read())
        client.close()
        return size

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        sizes = list(pool.map(read, sorted(switches)))
    assert all(sizes)
    return time.perf_counter() - started


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", default="kind:switch")
    parser.add_argument("--parallel", type=int, nargs="+", default=[20, 50])


def main() -> int:
    args = arguments(__doc__, extra=options)
    if os.geteuid() != 0:
        raise SystemExit("run as root: it boots a lab of switch emulators")
    report = Report("switches audit and push, every switch of the reference programme on lab emulators")
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        shutil.copytree(ROOT / "inventory", repo / "inventory", ignore=shutil.ignore_patterns("lab.yaml"))
        shutil.copytree(ROOT / "templates", repo / "templates")
        command(repo, "render")
        command(repo, "lab", "down", "--purge")
        try:
            report.add("lab up", command(repo, "lab", "up", "--limit", args.limit))
            env = yaml.safe_load((repo / "inventory" / "environments" / "lab.yaml").read_text())["hosts"]
            report.facts["switches"] = len(env)
            first = args.parallel[0]
            limit = ["--env", "lab", "--limit", args.limit]
            report.add(f"first audit (seeded drift), --parallel {first}", command(
                repo, "switches", "audit", *limit, "--parallel", str(first), "--format", "json", ok=(1,)))
            report.add(f"first push, --parallel {first}", command(
                repo, "switches", "push", *limit, "--parallel", str(first), "--yes"))
            for parallel in args.parallel:
                audit = command(repo, "switches", "audit", *limit, "--parallel", str(parallel), "--format", "json")
                report.add(f"no-change audit, --parallel {parallel}", audit,
                           floor=(f"paramiko: a login and a read per switch, {parallel} threads",
                                  floor(repo, parallel)))
            last = args.parallel[-1]
            report.add(f"no-change push, --parallel {last}", command(
                repo, "switches", "push", *limit, "--parallel", str(last), "--yes"))
        finally:
            command(repo, "lab", "down", "--purge")
    report.print(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
