"""`schoolnet observe`, `reconcile` and `locate`: what is really there, against the inventory."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from schoolnet.cli.common import EXIT_PROBLEMS, emit, format_option, inventory_option, limit_option, usage_error
from schoolnet.deploy.connection import UnusableEnvironment, usable_environment
from schoolnet.deploy.gate import installed
from schoolnet.model.select import LimitError, select_hosts
from schoolnet.observe.locate import locate_any
from schoolnet.observe.reconcile import evidence_for, reconcile
from schoolnet.observe.run import observe, observed_kinds
from schoolnet.observe.snapshot import history, plain_environment
from schoolnet.problems import Severity
from schoolnet.secrets import open_store
from schoolnet.validate.run import load_for_action

env_option = click.option("--env", "environment", required=True, help="prod, lab, ... (environments/<env>.yaml)")


def observed_environment(name: str) -> str:
    """An environment named on the command line, before it becomes observations/<name>."""
    if not plain_environment(name):
        usage_error(f"{name!r} is not an environment's name (lower-case letters, digits, - and _)")
    return name


@click.command("observe")
@inventory_option
@env_option
@limit_option
@click.option("--parallel", type=click.IntRange(1, 200), default=20, show_default=True, help="Devices at once.")
def observe_cmd(inventory: Path, environment: str, limits: tuple[str, ...], parallel: int) -> None:
    """Read what servers and switches really hold, read-only, into a snapshot under observations/.

    \b
    Examples:
      schoolnet observe --env lab --limit district:sadarak
      schoolnet reconcile --env lab            # the latest snapshot against the inventory
    """
    fleet = load_for_action(inventory)
    try:
        env = usable_environment(fleet, environment, key=True)
        hosts = select_hosts(fleet, list(limits))
    except (UnusableEnvironment, LimitError) as exc:
        usage_error(str(exc))
    if env.addresses == "explicit":
        hosts = [h for h in hosts if h.hostname in env.hosts]
    servers, switch_hosts = observed_kinds(hosts)
    chosen, skipped = installed(fleet, servers + switch_hosts, limits)
    for left in skipped:
        click.echo(f"schoolnet: {left.line()}", err=True)
    if not chosen:
        usage_error("no server or managed switch selected")
    root = fleet.root.resolve().parent
    snapshot, path = observe(fleet, environment, chosen, open_store(inventory), parallel,
                             lambda line: click.echo(f"… {line}", err=True), root)
    failed = [o for o in snapshot.observations.values() if not o.ok]
    for name, observation in sorted(snapshot.observations.items()):
        mark = "✓" if observation.ok else "✗"
        note = observation.facts.get("unobservable", "") if observation.ok else observation.reason
        click.echo(f"{mark} {name}" + (f"  ({note})" if note else ""))
    click.echo(f"{len(snapshot.observations) - len(failed)} observed, {len(failed)} failed: "
               f"{path.relative_to(root)}")
    if failed:
        sys.exit(EXIT_PROBLEMS)


@click.command("reconcile")
@inventory_option
@env_option
@format_option("text", "json", "github")
def reconcile_cmd(inventory: Path, environment: str, fmt: str) -> None:
    """The latest observation against the inventory: each difference at the line to change; exit 1 if any."""
    fleet = load_for_action(inventory)
    root = fleet.root.resolve().parent
    snapshots = list(history(root, observed_environment(environment)))
    if not snapshots:
        usage_error(f"nothing observed in {environment} yet: run `schoolnet observe --env {environment}` first")
    snapshot = snapshots[0]
    evidence = evidence_for(fleet, environment, snapshots)
    problems = reconcile(evidence)
    emit(problems, fmt, "schoolnet.observe")
    errors = sum(p.severity is Severity.ERROR for p in problems)
    answered = sum(o.ok for o in snapshot.observations.values())
    if fmt == "text":
        reasons: dict[str, list[str]] = {}
        for name, why in sorted(evidence.unobservable.items()):
            reasons.setdefault(why, []).append(name)
        for why, names in reasons.items():  # one line per reason: a lab's dozen servers share one
            shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            click.echo(f"  serial and model of {len(names)} server(s) not compared ({why}): {shown}")
        click.echo(f"{'✗' if errors or not answered else '✓'} {answered} of {len(snapshot.observations)} device(s) "
                   f"observed {snapshot.name}: {errors} difference(s), {len(problems) - errors} warning(s)")
    if not answered:  # nothing was compared: not a clean bill
        click.echo(f"schoolnet: the latest run in {environment} observed nothing: run schoolnet observe again "
                   "once the devices answer", err=True)
    sys.exit(EXIT_PROBLEMS if errors or not answered else 0)


@click.command("locate")
@inventory_option
@click.option("--env", "environment", default=None, help="The environment whose observations to read "
              "(default: every one).")
@format_option("text", "json")
@click.argument("what")
def locate_cmd(inventory: Path, environment: str | None, fmt: str, what: str) -> None:
    """Where a MAC, serial or hostname was last seen, and where the inventory says it belongs."""
    fleet = load_for_action(inventory)
    found = locate_any(fleet, fleet.root.resolve().parent, what,
                       observed_environment(environment) if environment else None)
    if found is None:
        usage_error(f"{what!r} is no MAC, serial or hostname the inventory or an observation knows")
    if fmt == "json":
        click.echo(json.dumps(found.as_json(), indent=2, sort_keys=True))
        return
    for line in found.lines():
        click.echo(line)
