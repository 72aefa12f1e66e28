"""plan and deploy: the dry run with diffs, and the real run with a record."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from schoolnet.cli.common import EXIT_PROBLEMS, F, inventory_option, limit_option, usage_error
from schoolnet.contained import beneath, child
from schoolnet.deploy import gate, record
from schoolnet.deploy.connection import ConnectionError_, UnusableEnvironment, usable_environment
from schoolnet.deploy.gate import Ready, Skipped
from schoolnet.model.select import LimitError, select_hosts
from schoolnet.secrets.redact import redact
from schoolnet.validate import load_for_action

if TYPE_CHECKING:
    from schoolnet.deploy.outcome import DeployResult, HostOutcome

# pyinfra (and gevent under it) is imported only by plan and deploy: gevent in the process
# deadlocks the forked workers that load and render big fleets.


def env_option(func: F) -> F:
    return click.option("--env", "environment", required=True, help="prod, lab, ... (environments/<env>.yaml)")(func)


def _prepare(inventory: Path, build: Path, limits: tuple[str, ...], environment: str,
             only: list[str] | None = None) -> Ready:
    """Refuse to go on unless the inventory validates, the environment and its deploy key can be used (one
    line, exit 2), no host named is still planned or staged, the selected hosts' builds are fresh and every
    selected file checks (problems: file:line lines and exit 1, through the CLI's group)."""
    try:
        return gate.prepare(inventory, build, limits, only, environment=environment, listed_only=False,
                            need_key=True)
    except (LimitError, gate.NothingSelected, UnusableEnvironment) as exc:
        usage_error(str(exc))


def say_skipped(skipped: list[Skipped]) -> None:
    """One line per selected host left out because it is not installed yet."""
    for host in skipped:
        click.echo(f"schoolnet: {host.line()}", err=True)


def _run(ready: Ready, environment: str, dry: bool, parallel: int) -> DeployResult:
    from schoolnet.deploy.run import run_deploy

    try:
        return run_deploy(ready.fleet, environment, ready.hosts, ready.build, dry, parallel,
                          lambda text: click.echo(text, err=True), manifest=ready.manifest)
    except UnusableEnvironment as exc:  # the gate said so first; here for callers that skip it
        usage_error(str(exc))
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


def _deployed(ready: Ready, environment: str, limits: list[str], parallel: int, title: str,
              fmt: str) -> tuple[DeployResult, dict[str, Any]]:
    """Run a deploy and record it, whatever happened, Ctrl-C included: the record is the trail."""
    result = _run(ready, environment, dry=False, parallel=parallel)  # after a Ctrl-C, others are ignored: exit 130
    entry = record.append(ready.fleet.root.resolve().parent, environment, limits, result.outcomes,
                          interrupted=result.interrupted, skipped={s.hostname: s.status for s in ready.skipped})
    _summary(result.outcomes, title + (" (interrupted)" if result.interrupted else ""))
    if result.interrupted:
        if fmt == "json":
            click.echo(json.dumps(entry, indent=2))
        click.echo("schoolnet: interrupted; every host's outcome is in deploys/log.jsonl", err=True)
        sys.exit(130)
    return result, entry


parallel_option = click.option("--parallel", type=click.IntRange(1, 200), default=20, show_default=True,
                               help="Hosts at once.")


@click.command()
@inventory_option
@env_option
@limit_option
@click.option("--build", type=click.Path(path_type=Path, file_okay=False), default=Path("build"), show_default=True)
@parallel_option
def plan(inventory: Path, environment: str, limits: tuple[str, ...], build: Path, parallel: int) -> None:
    """Dry run: per host, what would change, with file diffs (secrets masked as <secret:NAME>); per
    selected switch, the lines a push would send.

    \b
    Example:
      schoolnet plan --env lab --limit district:sadarak
    """
    from schoolnet.cli.switches_cmds import plan_switches
    from schoolnet.deploy.bridge import deployable
    from schoolnet.switches.run import switches

    fleet = load_for_action(inventory)
    try:
        selected = select_hosts(fleet, limits)
        usable_environment(fleet, environment, key=False)
    except (LimitError, UnusableEnvironment) as exc:
        usage_error(str(exc))
    if not deployable(selected) and not switches(selected):
        usage_error("--limit selects no deployable host or managed switch")
    # Whether hosts not installed yet are refused or skipped is decided over servers and switches together;
    # then the deploy key, once there are servers to reach (switches log in with a password).
    acted, skipped = gate.installed(fleet, deployable(selected) + switches(selected), limits)
    try:
        usable_environment(fleet, environment, key=bool(deployable(acted)))
    except UnusableEnvironment as exc:
        usage_error(str(exc))
    say_skipped(skipped)
    failed = bool(deployable(acted)) and _plan_servers(inventory, environment, limits, build, parallel)
    if switches(acted):
        failed = plan_switches(inventory, build, environment, limits, parallel) or failed
    if failed:
        sys.exit(EXIT_PROBLEMS)


def _plan_servers(inventory: Path, environment: str, limits: tuple[str, ...], build: Path, parallel: int) -> bool:
    from schoolnet.deploy.steps import CURRENT

    ready = _prepare(inventory, build, limits, environment)  # its skipped hosts were said by `plan`
    result = _run(ready, environment, dry=True, parallel=parallel)
    for outcome in result.outcomes:
        entries = {f["path"]: f for f in ready.manifest["hosts"][outcome.hostname]["files"]}
        for path, (current, mode) in sorted(CURRENT.get(outcome.hostname, {}).items()):
            spec = entries[path]
            new = beneath(child(build / "hosts", outcome.hostname), path).read_text().splitlines()
            old = current or []
            if spec["secrets"] or spec["mode"] == "0600" or mode == 0o600:  # a file that holds or held secrets:
                old, new = redact(old, new, spec["secrets"], ready.secrets)  # neither today's nor earlier values
            click.echo("\n".join(difflib.unified_diff(old, new, f"{outcome.hostname}:{path}", f"build:{path}",
                                                     lineterm="")))
    for outcome in result.outcomes:
        line = outcome.reason if outcome.status == "failed" else (
            f"{len(outcome.changes)} change(s): " + "; ".join(outcome.changes[:4]) if outcome.changes else "no change")
        click.echo(f"{outcome.hostname}: {line}", err=True)
    return any(o.status == "failed" for o in result.outcomes)


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
    ready = _prepare(inventory, build, limits, environment, only)
    say_skipped(ready.skipped)
    if not yes and not click.confirm(f"deploy to {len(ready.hosts)} host(s) in {environment}?", err=True):
        sys.exit(EXIT_PROBLEMS)
    result, entry = _deployed(ready, environment, list(limits), parallel, f"deploy to {environment}", fmt)
    if fmt == "json":
        click.echo(json.dumps(entry, indent=2))
    if any(o.status == "failed" for o in result.outcomes):
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
    done: set[str] = set()
    said: set[str] = set()
    entries = []
    for number, wave in chosen:
        ready = _prepare(inventory, build, tuple(wave.limit), environment)
        say_skipped([s for s in ready.skipped if s.hostname not in said])
        said |= {s.hostname for s in ready.skipped}
        ready.hosts = [h for h in ready.hosts if h.hostname not in done]
        if not ready.hosts:
            continue
        if not yes and not click.confirm(f"wave {number} ({wave.name}): deploy to {len(ready.hosts)} host(s)?",
                                         err=True):
            sys.exit(EXIT_PROBLEMS)
        result, entry = _deployed(ready, environment, wave.limit, parallel, f"wave {number}: {wave.name}", fmt)
        done |= {h.hostname for h in ready.hosts}
        entries.append(entry)
        outcomes = result.outcomes
        rate = failure_rate(sum(o.status == "failed" for o in outcomes), len(outcomes))
        if rate > plan_.max_failure_rate:
            click.echo(f"✗ wave {number} ({wave.name}) failed on {rate:.0%} of its hosts, over "
                       f"{plan_.max_failure_rate:.0%}: the rollout stops here", err=True)
            break
    if fmt == "json":
        click.echo(json.dumps(entries, indent=2))
    if any(h["status"] == "failed" for entry in entries for h in entry["hosts"]):
        sys.exit(EXIT_PROBLEMS)
