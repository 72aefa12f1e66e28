"""plan and deploy: the dry run with diffs, and the real run with a record."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from schoolnet.check import check_build
from schoolnet.cli.common import EXIT_PROBLEMS, F, fail, inventory_option, usage_error
from schoolnet.cli.render_cmds import limit_option
from schoolnet.deploy import record
from schoolnet.deploy.bridge import deployable
from schoolnet.deploy.connection import ConnectionError_
from schoolnet.model import Fleet
from schoolnet.model.fleet import Host
from schoolnet.model.select import LimitError, select_hosts
from schoolnet.problems import Location, Severity
from schoolnet.render.engine import inventory_digest, load_manifest, tree_digest
from schoolnet.rulebook import problem
from schoolnet.secrets import open_store
from schoolnet.secrets.store import mask
from schoolnet.validate import validate_inventory

if TYPE_CHECKING:
    from schoolnet.deploy.run import HostOutcome

# pyinfra (and gevent under it) is imported only by plan and deploy: gevent in the process
# deadlocks the forked workers that load and render big fleets.


def env_option(func: F) -> F:
    return click.option("--env", "environment", required=True, help="prod, lab, ... (environments/<env>.yaml)")(func)


def _prepare(inventory: Path, build: Path, environment: str, limits: tuple[str, ...],
             only: list[str] | None = None) -> tuple[Fleet, list[Host]]:
    """Refuse to go on unless the inventory validates, build/ is fresh and every selected file checks."""
    fleet, problems = validate_inventory(inventory)
    if fleet is None or any(p.severity is Severity.ERROR for p in problems):
        fail(problems)
    try:
        manifest = load_manifest(build)
    except (OSError, ValueError):
        fail([problem("SN818", Location(f"{build}/manifest.json"), "no rendered build", "run `schoolnet render`")])
    templates = fleet.root.resolve().parent / "templates"
    if (manifest.get("inventory_sha256") != inventory_digest(fleet.root)
            or manifest.get("templates_sha256") != tree_digest(templates)):
        fail([problem("SN818", Location(f"{build}/manifest.json"), "build/ is older than the inventory or templates",
                      "run `schoolnet render` (and `schoolnet check`) again")])
    try:
        hosts = deployable(select_hosts(fleet, limits))
    except LimitError as exc:
        usage_error(str(exc))
    if only is not None:
        hosts = [h for h in hosts if h.hostname in only]
    if not hosts:
        usage_error("no deployable host selected (edge servers and data-center servers with roles)")
    report = check_build(build, secrets=open_store(inventory), hosts={h.hostname for h in hosts})
    if report.problems:
        fail(report.problems)
    return fleet, hosts


def _run(fleet: Fleet, environment: str, hosts: list[Host], build: Path, dry: bool,
         parallel: int) -> list[HostOutcome]:
    from schoolnet.deploy.run import run_deploy

    try:
        return run_deploy(fleet, environment, hosts, build, dry, parallel, lambda text: click.echo(text, err=True))
    except ConnectionError_ as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)


def _summary(outcomes: list[HostOutcome], title: str) -> None:
    table = Table(title=title)
    for column in ("host", "result", "changes / reason"):
        table.add_column(column)
    for o in outcomes:
        style = {"failed": "red", "changed": "yellow"}.get(o.status, "green")
        table.add_row(o.hostname, f"[{style}]{o.status}[/]", o.reason or (f"{len(o.changes)} change(s)"
                                                                            if o.changes else "no change"))
    Console(stderr=True).print(table)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("changed", "unchanged", "failed")}
    click.echo(f"{counts['changed']} changed, {counts['unchanged']} unchanged, {counts['failed']} failed", err=True)


parallel_option = click.option("--parallel", type=click.IntRange(1, 200), default=20, show_default=True,
                               help="Hosts at once.")


@click.command()
@inventory_option
@env_option
@limit_option
@click.option("--build", type=click.Path(path_type=Path, file_okay=False), default=Path("build"), show_default=True)
@parallel_option
def plan(inventory: Path, environment: str, limits: tuple[str, ...], build: Path, parallel: int) -> None:
    """Dry run: per host, what would change, with file diffs (secrets masked as <secret:NAME>).

    \b
    Example:
      schoolnet plan --env lab --limit district:sadarak
    """
    from schoolnet.deploy.steps import CURRENT

    fleet, hosts = _prepare(inventory, build, environment, limits)
    outcomes = _run(fleet, environment, hosts, build, dry=True, parallel=parallel)
    manifest = load_manifest(build)
    store = open_store(inventory)
    for outcome in outcomes:
        entries = {f["path"]: f for f in manifest["hosts"][outcome.hostname]["files"]}
        for path, current in sorted(CURRENT.get(outcome.hostname, {}).items()):
            spec = entries[path]
            new = (build / "hosts" / outcome.hostname / path.lstrip("/")).read_text().splitlines()
            old = current or []
            diff = "\n".join(difflib.unified_diff(old, new, f"{outcome.hostname}:{path}", f"build:{path}",
                                                  lineterm=""))
            click.echo(mask(diff, spec["secrets"], store) if spec["secrets"] else diff)
    for outcome in outcomes:
        line = outcome.reason if outcome.status == "failed" else (
            f"{len(outcome.changes)} change(s): " + "; ".join(outcome.changes[:4]) if outcome.changes else "no change")
        click.echo(f"{outcome.hostname}: {line}", err=True)
    if any(o.status == "failed" for o in outcomes):
        sys.exit(EXIT_PROBLEMS)


@click.command()
@inventory_option
@env_option
@limit_option
@click.option("--build", type=click.Path(path_type=Path, file_okay=False), default=Path("build"), show_default=True)
@parallel_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--retry-failed", is_flag=True, help="Only the hosts that failed in the last deploy to --env.")
@click.option("--waves", "waves_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Deploy wave after wave from this file; halt when a wave fails too often.")
@click.option("--wave", "wave_number", type=click.IntRange(1), help="Only this wave (1-based) of --waves.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def deploy(inventory: Path, environment: str, limits: tuple[str, ...], build: Path, parallel: int, yes: bool,
           retry_failed: bool, waves_file: Path | None, wave_number: int | None, fmt: str) -> None:
    """Push the rendered files to the hosts (checked on each host before activation), then reload services.

    Refuses to run when validate or check fail or build/ is older than the inventory. One
    unreachable or failing host never stops the others. Every run appends to deploys/log.jsonl.

    \b
    Example:
      schoolnet deploy --env lab --limit district:sadarak --yes
      schoolnet deploy --env lab --retry-failed --yes
      schoolnet deploy --env prod --waves waves.yaml --yes
    """
    if waves_file is not None or wave_number is not None:
        _deploy_waves(inventory, environment, build, parallel, yes, waves_file, wave_number, fmt)
        return
    root = inventory.resolve().parent
    only = record.last_failed(root, environment) if retry_failed else None
    if only == []:
        click.echo("schoolnet: the last deploy to this environment had no failed host", err=True)
        return
    fleet, hosts = _prepare(inventory, build, environment, limits, only)
    if not yes and not click.confirm(f"deploy to {len(hosts)} host(s) in {environment}?", err=True):
        sys.exit(EXIT_PROBLEMS)
    outcomes = _run(fleet, environment, hosts, build, dry=False, parallel=parallel)
    entry = record.append(root, environment, list(limits), outcomes)
    if fmt == "json":
        click.echo(json.dumps(entry, indent=2))
    _summary(outcomes, f"deploy to {environment}")
    if any(o.status == "failed" for o in outcomes):
        sys.exit(EXIT_PROBLEMS)


def _deploy_waves(inventory: Path, environment: str, build: Path, parallel: int, yes: bool,
                  waves_file: Path | None, wave_number: int | None, fmt: str) -> None:
    from schoolnet.deploy.waves import failure_rate, load_waves

    if waves_file is None:
        usage_error("--wave N needs --waves FILE")
    plan_ = load_waves(waves_file)  # a bad file: file:line problems and exit 1, through the CLI's group
    chosen = list(enumerate(plan_.waves, 1))
    if wave_number is not None:
        if wave_number > len(chosen):
            usage_error(f"--wave {wave_number}: {waves_file} has {len(chosen)} wave(s)")
        chosen = [chosen[wave_number - 1]]
    root = inventory.resolve().parent
    done: set[str] = set()
    entries = []
    for number, wave in chosen:
        fleet, hosts = _prepare(inventory, build, environment, tuple(wave.limit))
        hosts = [h for h in hosts if h.hostname not in done]
        if not hosts:
            continue
        if not yes and not click.confirm(f"wave {number} ({wave.name}): deploy to {len(hosts)} host(s)?", err=True):
            sys.exit(EXIT_PROBLEMS)
        outcomes = _run(fleet, environment, hosts, build, dry=False, parallel=parallel)
        done |= {h.hostname for h in hosts}
        entries.append(record.append(root, environment, wave.limit, outcomes))
        _summary(outcomes, f"wave {number}: {wave.name}")
        rate = failure_rate(sum(o.status == "failed" for o in outcomes), len(outcomes))
        if rate > plan_.max_failure_rate:
            click.echo(f"✗ wave {number} ({wave.name}) failed on {rate:.0%} of its hosts, over "
                       f"{plan_.max_failure_rate:.0%}: the rollout stops here", err=True)
            break
    if fmt == "json":
        click.echo(json.dumps(entries, indent=2))
    if any(h["status"] == "failed" for entry in entries for h in entry["hosts"]):
        sys.exit(EXIT_PROBLEMS)
