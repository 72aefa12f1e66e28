"""lab up | down | status: local Debian 12 hosts to rehearse on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from schoolnet.cli.common import EXIT_PROBLEMS, inventory_option, usage_error
from schoolnet.cli.render_cmds import limit_option
from schoolnet.lab.environment import write_lab_environment
from schoolnet.lab.lab import Lab, LabError, lab_hosts, status
from schoolnet.model import load_fleet_or_raise
from schoolnet.model.select import LimitError, select_hosts


@click.group()
def lab() -> None:
    """Real Debian 12 hosts on this machine (systemd-nspawn), reached by SSH on 127.20.x.y. Needs root."""


@lab.command("up")
@inventory_option
@limit_option
def lab_up(inventory: Path, limits: tuple[str, ...]) -> None:
    """Boot one lab host per selected edge server or data-center server; write environments/lab.yaml.

    \b
    Example:
      schoolnet lab up --limit district:sadarak --limit role:vpn-hub --limit role:dns-authoritative
    """
    fleet = load_fleet_or_raise(inventory)
    try:
        hosts = lab_hosts(select_hosts(fleet, limits))
    except LimitError as exc:
        usage_error(str(exc))
    if not hosts:
        usage_error("--limit selects no edge server or data-center server (switches are not lab hosts)")
    click.echo(f"lab: {len(hosts)} host(s)", err=True)
    try:
        state = Lab(fleet, lambda text: click.echo(text, err=True)).up(hosts)
    except LabError as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    path = write_lab_environment(inventory, state)
    click.echo(f"✓ {len(state.hosts)} lab host(s) running; wrote {path}", err=True)


@lab.command("down")
@inventory_option
def lab_down(inventory: Path) -> None:
    """Stop every host and helper the lab started (by their recorded PIDs) and remove its namespaces."""
    fleet = load_fleet_or_raise(inventory)
    try:
        count = Lab(fleet, lambda text: click.echo(text, err=True)).down()
    except LabError as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    (inventory / "environments" / "lab.yaml").unlink(missing_ok=True)
    click.echo(f"✓ lab down: {count} host(s) stopped", err=True)


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
        click.echo(f"{row['host']:<22} {row['address']:<14} {state:<8} ssh {'ok' if row['ssh'] else '--'}")
