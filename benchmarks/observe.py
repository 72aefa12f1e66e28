#!/usr/bin/env python3
"""Time `schoolnet observe` over a lab of Sadarak's 12 edge servers, 6 data-center servers and 32 switch
emulators, and `schoolnet report --observed` with a month of observations of every school's tablets.

    .venv/bin/python benchmarks/observe.py
    .venv/bin/python benchmarks/observe.py --days 90 --parallel 10 20

Run as root (it boots a lab of its own: prefix snv, loopback 127.29.x.y).  Each figure is the command as
a user types it, end to end (imports, validation, secret decryption, every SSH session, the snapshot
written), each beside a floor measured in the same run:
- observe: 18 hosts through pyinfra and 32 switches through the switch session; its floor is plain
  paramiko, the same reads over SSH with the same number of threads: a login per device, then a server's
  one observation command and a switch's observation commands, each as an exec request;
- report --observed: the whole reference programme with DAYS daily snapshots of every school (each
  tablet in its first switch's MAC table), last seen for 2,300 tablets and each school's differences;
  its floor is the same report without observations.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paramiko
import yaml
from harness import DEMO_KEY, ROOT, Report, arguments, schoolnet

LAB_ENV = {"SCHOOLNET_LAB_DIR": "/var/lib/schoolnet-lab-bench-observe", "SCHOOLNET_LAB_RUN": "/run/schoolnet-lab-bov",
           "SCHOOLNET_LAB_PREFIX": "snv", "SCHOOLNET_LAB_LOOPBACK": "29", "SCHOOLNET_LAB_APT_PORT": "3151"}
LIMITS = ["district:sadarak", "host:nx-dc1-vpn-01", "host:nx-dc1-dns-0*", "host:nx-dc1-content-0*",
          "host:nx-dc1-mon-01"]


def command(repo: Path, *args: str, ok: tuple[int, ...] = (0,)) -> float:
    return schoolnet(*args, cwd=repo, env=LAB_ENV, ok=ok)[0]


def floor(repo: Path, parallel: int) -> tuple[float, int]:
    """Plain paramiko: each device's login and the very reads observe makes, as exec requests."""
    from schoolnet.observe.server_facts import observe_command
    from schoolnet.observe.servers import managed
    from schoolnet.observe.switch_facts import commands
    from schoolnet.secrets.store import SopsSecrets
    from schoolnet.validate import load_for_action

    os.environ.setdefault("SOPS_AGE_KEY_FILE", DEMO_KEY)
    fleet = load_for_action(repo / "inventory")
    hosts = {h.hostname: h for h in fleet.hosts}
    env = yaml.safe_load((repo / "inventory" / "environments" / "lab.yaml").read_text())
    secrets = SopsSecrets(repo / "inventory" / "secrets.sops.yaml")
    secrets.load()  # decrypted before the clock starts: the command's figure includes it, the floor's not

    def read(name: str) -> int:
        entry, host = env["hosts"][name], hosts[name]
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # the floor: no pinning work either
        if host.kind == "switch":
            assert host.school is not None
            client.connect(entry["address"], entry["port"], username=env.get("switch_user", "admin"), allow_agent=False,
                           look_for_keys=False, password=secrets.get(f"switch/{host.school.id}/admin"))
            reads = list(commands(fleet.catalog[host.model].os))
        else:
            client.connect(entry["address"], entry["port"], username=env["ssh_user"], key_filename=env["ssh_key"],
                           allow_agent=False, look_for_keys=False)
            packages, services = managed(host.roles)
            # as pyinfra runs it: through sudo
            reads = ["sudo -n sh -c " + shlex.quote(observe_command(packages, services, host.kind == "edge"))]
        size = 0
        for text in reads:
            _, stdout, _ = client.exec_command(text)
            size += len(stdout.read())
        client.close()
        return size

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        sizes = list(pool.map(read, sorted(env["hosts"])))
    assert all(sizes)
    return time.perf_counter() - started, len(sizes)


def month_of_observations(repo: Path, days: int) -> int:
    """DAYS daily snapshots of every school, each tablet in its first switch's MAC table; the sightings written."""
    from schoolnet.model.topology import access_ports
    from schoolnet.observe.snapshot import Observation, Snapshot, save
    from schoolnet.validate import load_for_action

    fleet = load_for_action(repo / "inventory")
    first_switch = {s.id: next((h for h in fleet.school_hosts[s.id] if h.kind == "switch"), None)
                    for s in fleet.schools}
    sightings = 0
    for day in range(days):
        snapshot = Snapshot("bench", datetime(2026, 11, 1, 9, tzinfo=UTC) + timedelta(days=day))
        for school in fleet.schools:
            switch = first_switch[school.id]
            if switch is None:
                continue
            ports = [p for p, vid in access_ports(fleet, switch).items() if vid == 30] or ["GigabitEthernet0/0/9"]
            table = [{"mac": t.mac, "vlan": 30, "port": ports[n % len(ports)]} for n, t in enumerate(school.tablets)]
            sightings += len(table)
            snapshot.observations[switch.hostname] = Observation(switch.hostname, "switch", True, facts={
                "serial": switch.serial, "model": "", "lldp": [], "mac_table": table, "interfaces": []})
        save(repo, snapshot)
    return sightings


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--parallel", type=int, nargs="+", default=[20])
    parser.add_argument("--days", type=int, default=30, help="daily snapshots for the report's figure")


def main() -> int:
    args = arguments(__doc__, extra=options)
    if os.geteuid() != 0:
        raise SystemExit("run as root: it boots a lab")
    report = Report("observe over a lab of 18 hosts and 32 switches; report --observed with a month of sightings")
    limit = [a for expression in LIMITS for a in ("--limit", expression)]
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        shutil.copytree(ROOT / "inventory", repo / "inventory", ignore=shutil.ignore_patterns("lab.yaml"))
        shutil.copytree(ROOT / "templates", repo / "templates")
        command(repo, "render")
        command(repo, "lab", "down", "--purge")
        try:
            report.add("lab up", command(repo, "lab", "up", *limit))
            for parallel in args.parallel:
                seconds, devices = floor(repo, parallel)
                report.facts["devices observed"] = devices
                report.add(f"observe, --parallel {parallel}", command(
                    repo, "observe", "--env", "lab", *limit, "--parallel", str(parallel)),
                    floor=(f"paramiko: a login and the same reads per device, {parallel} threads", seconds))
        finally:
            command(repo, "lab", "down", "--purge")
        report.facts["sightings in the history"] = month_of_observations(repo, args.days)
        plain = command(repo, "report", "--out", str(repo / "site-plain"))
        report.add(f"report --observed ({args.days} snapshots, 2,300 tablets)",
                   command(repo, "report", "--observed", "bench", "--out", str(repo / "site")),
                   floor=("the same report without observations", plain))
    report.print(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
