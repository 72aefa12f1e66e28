"""lab up | down | status: local Debian 12 hosts to rehearse on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from schoolnet.cli.common import EXIT_PROBLEMS, inventory_option, limit_option, usage_error
from schoolnet.lab.environment import write_lab_environment
from schoolnet.lab.lab import Lab, LabError, LabIncomplete, LabState, down, lab_hosts, require_root, status
from schoolnet.model.select import LimitError, select_hosts
from schoolnet.secrets import open_store
from schoolnet.validate import load_for_action


@click.group()
def lab() -> None:
    """Real Debian 12 hosts on this machine (systemd-nspawn), reached by SSH on 127.20.x.y. Needs root."""


@lab.command("up")
@inventory_option
@limit_option
@click.option("--build", type=click.Path(path_type=Path, file_okay=False), default=Path("build"), show_default=True,
              help="Where a switch's first boot takes its configuration from (with seeded differences).")
@click.option("--tablets", is_flag=True, help="Also plug in the selected schools' tablets: a namespace each on the "
              "tablet VLAN with the tablet's MAC, leasing its address from the edge server (deploy it first).")
def lab_up(inventory: Path, limits: tuple[str, ...], build: Path, tablets: bool) -> None:
    """Boot one lab host per selected edge server or data-center server, and one switch emulator per
    selected switch; write environments/lab.yaml.

    Root only. Running hosts are left alone. Booting stops when less than
    SCHOOLNET_LAB_MEMORY_RESERVE_MIB (2048) MiB of memory is left. Without
    systemd-nspawn, hosts are chroot + sshd with no init (services not started).
    A switch is an SSH emulator of its vendor's command line (no data plane) on its
    own loopback address; it keeps its saved configuration across down/up.

    \b
    Examples:
      schoolnet lab up --limit district:sadarak --limit role:vpn-hub --limit role:dns-authoritative
      schoolnet lab up --limit district:sadarak --tablets     # after a deploy: tablets take their leases
    """
    from schoolnet.lab import switches as lab_switch_emulators  # paramiko's server side: only when needed
    from schoolnet.lab.switches import lab_switches

    fleet = load_for_action(inventory)  # every rule, names first: they become paths, cgroups, shell words
    try:
        selected = select_hosts(fleet, limits)
    except LimitError as exc:
        usage_error(str(exc))
    hosts, switches = lab_hosts(selected), lab_switches(selected)
    if not hosts and not switches:
        usage_error("--limit selects no edge server, data-center server or managed switch")
    click.echo(f"lab: {len(hosts)} host(s), {len(switches)} switch(es)", err=True)
    say = lambda text: click.echo(text, err=True)  # noqa: E731
    try:
        if hosts:
            state = Lab(fleet, say).up(hosts)
        else:
            require_root()
            state = LabState.load()
        if switches:
            lab_switch_emulators.start(fleet, switches, state, build, open_store(inventory), say)
            state.save()
        if tablets:
            from schoolnet.lab.tablets import start_tablets

            schools = list({id(h.school): h.school for h in selected if h.school is not None}.values())
            start_tablets(fleet, schools, state, say)
            lab_switch_emulators.lay_out(fleet, switches, state)  # what the switches learned from them
    except LabIncomplete as exc:
        path = write_lab_environment(inventory, exc.state)
        click.echo(f"schoolnet: {exc}\n{len(exc.state.hosts)} lab host(s) running; wrote {path}", err=True)
        sys.exit(EXIT_PROBLEMS)
    except LabError as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    path = write_lab_environment(inventory, state)
    click.echo(f"✓ {len(state.hosts)} lab host(s) running; wrote {path}", err=True)


@lab.command("down")
@inventory_option
@click.option("--purge", is_flag=True,
              help="Also delete each host's disk and host key: the next `up` boots fresh hosts.")
def lab_down(inventory: Path, purge: bool) -> None:
    """Stop every host and helper the lab started (by their recorded PIDs) and remove its namespaces.

    Hosts keep their disks and keys across down/up, as real hosts keep theirs across a
    power cycle; --purge starts the next rehearsal from fresh Debian hosts. Reads only the
    lab's own records, so a broken inventory never keeps a lab up.
    """
    try:
        count, left_alone = down(purge)
    except LabError as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    if left_alone:
        click.echo(f"schoolnet: left alone PIDs {', '.join(map(str, left_alone))}: recorded by an older schoolnet "
                   "without start times, so they cannot be told from whatever has that number now; stop them "
                   "by hand if they are the lab's", err=True)
    (inventory / "environments" / "lab.yaml").unlink(missing_ok=True)
    click.echo(f"✓ lab down: {count} host(s) stopped" + ("; their disks and keys deleted" if purge else ""),
               err=True)


@lab.command("status")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def lab_status(fmt: str) -> None:
    """Which lab hosts run, where, and whether SSH answers."""
    rows = status()
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("lab: no hosts (schoolnet lab up)")
    for row in rows:
        state = "running" if row["running"] else "stopped"
        click.echo(f"{row['host']:<22} {row['address']:<14} {state:<8} ssh {'ok' if row['ssh'] else '--'}  "
                   f"{row['kind']}")


@lab.command("probe")
@click.argument("school")
@click.option("--vlan", default="tablets", show_default=True, help="The VLAN the client sits on.")
@inventory_option
def lab_probe(school: str, vlan: str, inventory: Path) -> None:
    """As a device on SCHOOL's VLAN: resolve the edge server's name, then fetch a page through the school's
    cache proxy twice: the first answer must come from a data-center content server (a MISS), the second
    from the school's cache (a HIT).  Exit 1 when any answer is not what the inventory says it must be.

    \b
    Example:
      schoolnet lab up --limit school:nx-sad-001 --limit role:content
      schoolnet deploy --env lab --limit school:nx-sad-001 --limit role:content --yes
      schoolnet lab probe nx-sad-001
    """
    from schoolnet.ipam import Addressing
    from schoolnet.lab.probe import probe

    fleet = load_for_action(inventory)
    target = fleet.schools_by_id.get(school)
    plan = Addressing(fleet).school(target) if target is not None else None
    if target is None or plan is None:
        usage_error(f"no school {school!r} with a prefix")
    edge = target.device_hostnames()[[d.kind for d in target.devices].index("edge")]
    content = [h.hostname for h in fleet.hosts if "content" in h.roles]
    try:
        result = probe(plan, edge, vlan, fleet.programme.domain, content)
    except LabError as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    for check in result.checks:
        click.echo(f"{'✓' if check.ok else '✗'} {check.what} -> {check.answer}")
    if not result.ok:
        click.echo("schoolnet: the probe failed: is every host on the way in the lab and deployed "
                   f"(the edge server and the content servers: {', '.join(content) or 'none in the inventory'})?",
                   err=True)
        sys.exit(EXIT_PROBLEMS)


@lab.command("ssh", context_settings={"ignore_unknown_options": True})
@click.argument("host")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@inventory_option
def lab_ssh(host: str, command: tuple[str, ...], inventory: Path) -> None:
    """Run COMMAND on a lab host over SSH, checking its pinned host key strictly.

    \b
    Example:
      schoolnet lab ssh nx-sad-001-edge sudo dnsmasq --test
    """
    import subprocess
    import tempfile

    from schoolnet.deploy.connection import connections, known_hosts

    fleet = load_for_action(inventory)
    env = fleet.environments.get("lab")
    entry = env.hosts.get(host) if env is not None else None
    if env is None or entry is None:
        usage_error(f"{host} is not in the lab (schoolnet lab up --limit host:{host})")
    if not env.ssh_key:
        usage_error("environments/lab.yaml names no ssh_key: run `schoolnet lab up` again")
    with tempfile.TemporaryDirectory(prefix="schoolnet-lab-ssh-") as private:
        known = Path(private) / "known_hosts"
        known.write_text(known_hosts(connections(fleet, "lab", [h for h in fleet.hosts if h.hostname == host])))
        # only the pinned key counts (no user's or machine's known_hosts), and nothing after `--` is an option
        argv = ["ssh", "-i", env.ssh_key, "-o", f"UserKnownHostsFile={known}", "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                "-l", env.ssh_user, "--", str(entry.address), *command]
        code = subprocess.run(argv).returncode
    if code:
        sys.exit(code)
