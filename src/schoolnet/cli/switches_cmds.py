"""switches audit|push|onboard|rotate: the switches in the same plan → push → record loop as the servers."""

from __future__ import annotations

import json
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from schoolnet.cli.common import EXIT_PROBLEMS, inventory_option, limit_option, usage_error
from schoolnet.cli.progress import counter
from schoolnet.deploy import gate, record
from schoolnet.deploy.connection import ConnectionError_, UnusableEnvironment, address_of, usable_environment
from schoolnet.deploy.gate import Ready
from schoolnet.deploy.locks import lock_dir
from schoolnet.model.fleet import Host
from schoolnet.model.select import LimitError, select_hosts
from schoolnet.outcome import HostOutcome
from schoolnet.problems import InventoryError, Severity
from schoolnet.secrets.manage import PREVIOUS, finish_rotations
from schoolnet.secrets.names import switch_admin
from schoolnet.switches.ledger import Ledger
from schoolnet.switches.onboard import Onboarding, check_one, write_keys
from schoolnet.switches.rotate import rotate_one
from schoolnet.switches.run import Audit, Job, audit_one, jobs, login_slot, push_one, run_all, switches
from schoolnet.switches.saved import audit_saved
from schoolnet.validate.run import validate_inventory

TIMEOUT = 30.0


def _ready(inventory: Path, build: Path, environment: str, limits: tuple[str, ...],
           only: list[str] | None = None, say: bool = True) -> Ready:
    """The gate (deploy's): a missing environment is one line and exit 2; a switch not installed yet is
    refused by name (SN821) or skipped with one line (`say`) when the limits also select installed ones."""
    try:
        ready = gate.prepare(inventory, build, limits, only, environment=environment, targets=switches,
                             nothing="no managed switch selected (switches with a switch-<os> role)")
    except (LimitError, gate.NothingSelected, UnusableEnvironment) as exc:
        usage_error(str(exc))
    if say:
        for skipped in ready.skipped:
            click.echo(f"schoolnet: {skipped.line()}", err=True)
    return ready


def _jobs(ready: Ready, environment: str, offline: bool = False,
          ledger: Ledger | None = None) -> tuple[list[Job], dict[str, str]]:
    try:
        return jobs(ready.fleet, environment, ready.hosts, ready.build, ready.manifest, ready.secrets, offline,
                    ledger)
    except ConnectionError_ as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)


def audits(ready: Ready, environment: str, parallel: int, root: Path, saved: Path | None = None) -> list[Audit]:
    """Every selected switch's audit, in the order of the inventory (used by `plan` too); from the saved
    configurations in `saved` instead of the switches when given."""
    ledger = Ledger(root)
    found, refused = _jobs(ready, environment, offline=saved is not None, ledger=ledger)
    read = (lambda job: audit_saved(ready.fleet, job, saved, ledger)) if saved is not None else \
        (lambda job: audit_one(ready.fleet, job, TIMEOUT, ledger))
    done = run_all(found, read,
                   lambda job, why: Audit(job.hostname, "failed", why), parallel, counter("audited", in_logs=True))
    by_name = {a.hostname: a for a in done} | {name: Audit(name, "failed", why) for name, why in refused.items()}
    return [by_name[h.hostname] for h in ready.hosts]


def print_audits(results: list[Audit]) -> None:
    for audit in results:
        mark = {"compliant": "✓", "non-compliant": "✗", "failed": "✗"}[audit.status]
        detail = f": {audit.reason}" if audit.reason else ""
        click.echo(f"{mark} {audit.hostname} {audit.status}{detail}")
        for line in audit.remediation:
            click.echo(f"    {line}")
        if audit.unmanaged:
            click.echo(f"    ({len(audit.unmanaged)} unmanaged line(s) left as they are)")


def plan_switches(inventory: Path, build: Path, environment: str, limits: tuple[str, ...], parallel: int) -> bool:
    """For `plan`: each selected switch's audit, the lines a push would send; True when any switch failed."""
    results = audits(_ready(inventory, build, environment, limits, say=False), environment, parallel,
                     inventory.resolve().parent)  # `plan` said which hosts it skipped
    print_audits(results)
    return any(a.status == "failed" for a in results)


def _junit(results: list[Audit]) -> str:
    suite = ET.Element("testsuite", name="schoolnet.switches.audit", tests=str(len(results)),
                       failures=str(sum(a.status != "compliant" for a in results)))
    for audit in results:
        case = ET.SubElement(suite, "testcase", classname="switches", name=audit.hostname)
        if audit.status != "compliant":
            failure = ET.SubElement(case, "failure", message=f"{audit.status}: {audit.reason}")
            failure.text = "\n".join(audit.remediation)
    return ET.tostring(suite, encoding="unicode")


@click.group()
def switches_group() -> None:
    """Audit the switches' running configuration against the build, and push what differs.

    \b
    Examples:
      schoolnet switches audit --env lab --limit district:sadarak
      schoolnet switches audit --env prod --running-dir /var/lib/oxidized/configs
      schoolnet switches push --env lab --limit school:nx-sad-001 --yes
      schoolnet switches onboard --env prod --limit school:nx-sad-001
      schoolnet switches rotate --env prod --limit school:nx-sad-001 --yes   # after secrets rotate, render
    """


env_option = click.option("--env", "environment", required=True, help="prod, lab, ... (environments/<env>.yaml)")
build_option = click.option("--build", type=click.Path(path_type=Path, file_okay=False), default=Path("build"),
                            show_default=True)
parallel_option = click.option("--parallel", type=click.IntRange(1, 200), default=20, show_default=True,
                               help="Switches at once.")


@switches_group.command("audit")
@inventory_option
@env_option
@limit_option
@build_option
@parallel_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@click.option("--running-dir", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None,
              help="Read each switch's configuration from DIR/<hostname> (Oxidized) or DIR/configs/<hostname> "
                   "(RANCID) instead of over SSH.")
def audit(inventory: Path, environment: str, limits: tuple[str, ...], build: Path, parallel: int, fmt: str,
          running_dir: Path | None) -> None:
    """Read each switch's running configuration and compare every managed feature with the build.

    Per switch: compliant; non-compliant with the lines a push would send (secrets masked); or
    failed with one reason. Lines outside the managed features are counted, never removed.
    With --running-dir, the saved configurations a backup tool keeps are audited instead, with
    the same output. Exit 0 when every switch is compliant, 1 otherwise.
    """
    started = time.perf_counter()
    results = audits(_ready(inventory, build, environment, limits), environment, parallel, inventory.resolve().parent,
                     running_dir)
    if fmt == "json":
        click.echo(json.dumps([a.as_dict() for a in results], indent=2))
    elif fmt == "junit":
        click.echo(_junit(results))
    else:
        print_audits(results)
    counts = {s: sum(a.status == s for a in results) for s in ("compliant", "non-compliant", "failed")}
    click.echo(f"{'✓' if counts['compliant'] == len(results) else '✗'} {counts['compliant']} compliant, "
               f"{counts['non-compliant']} non-compliant, {counts['failed']} failed "
               f"({time.perf_counter() - started:.1f} s)", err=True)
    if counts["compliant"] != len(results):
        sys.exit(EXIT_PROBLEMS)


@switches_group.command("push")
@inventory_option
@env_option
@limit_option
@build_option
@parallel_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--retry-failed", is_flag=True, help="Only the switches that failed in the last push to --env.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def push(inventory: Path, environment: str, limits: tuple[str, ...], build: Path, parallel: int, yes: bool,
         retry_failed: bool, fmt: str) -> None:
    """Send each switch the lines that make its managed features equal the build, save, audit again.

    A switch counts as pushed only when the audit after the save is compliant. The first line a
    switch refuses stops that switch (its error is the reason); the others go on. One push per
    switch at a time. Every run is appended to deploys/log.jsonl with the lines sent, masked.
    """
    started = time.perf_counter()
    root = inventory.resolve().parent
    only = record.last_failed(root, environment, kind="switches") if retry_failed else None
    if only == []:
        click.echo("schoolnet: the last switch push to this environment had no failed switch", err=True)
        return
    ready = _ready(inventory, build, environment, limits, only)
    if not yes and not click.confirm(f"push to {len(ready.hosts)} switch(es) in {environment}?", err=True):
        sys.exit(EXIT_PROBLEMS)
    ledger = Ledger(root)
    found, refused = _jobs(ready, environment, ledger=ledger)
    pushed = counter("pushed", in_logs=True)
    try:
        locks = lock_dir(root, environment)
        done = run_all(found, lambda job: push_one(ready.fleet, job, TIMEOUT, locks, ledger),
                       lambda job, why: HostOutcome(job.hostname, "failed", reason=why), parallel, pushed)
    finally:
        ledger.save()
    by_name: dict[str, HostOutcome] = {o.hostname: o for o in done}
    for name, why in refused.items():
        by_name[name] = HostOutcome(name, "failed", reason=why)
    outcomes = [by_name[h.hostname] for h in ready.hosts]
    entry = record.append(root, environment, list(limits), outcomes, kind="switches",
                          skipped={s.hostname: s.status for s in ready.skipped})
    if fmt == "json":
        click.echo(json.dumps(entry, indent=2))
    else:
        for o in outcomes:
            mark = "✗" if o.status == "failed" else "✓"
            detail = o.reason if o.status == "failed" else (f"{len(o.changes)} line(s) sent" if o.changes else
                                                           "already compliant")
            click.echo(f"{mark} {o.hostname} {o.status}: {detail}")
    counts = {s: sum(o.status == s for o in outcomes) for s in ("changed", "unchanged", "failed")}
    click.echo(f"{counts['changed']} changed, {counts['unchanged']} unchanged, {counts['failed']} failed "
               f"({time.perf_counter() - started:.1f} s); recorded in deploys/log.jsonl", err=True)
    if counts["failed"]:
        sys.exit(EXIT_PROBLEMS)


@switches_group.command("onboard")
@inventory_option
@env_option
@limit_option
@parallel_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def onboard(inventory: Path, environment: str, limits: tuple[str, ...], parallel: int, fmt: str) -> None:
    """Pin each selected switch's SSH host key, only when it matches the recorded fingerprint.

    Reads the key the switch offers (no login) and compares its SHA256 fingerprint with the
    switch's ssh_host_key_fingerprint in the inventory (from the delivery record or the console).
    A match is written as ssh_host_key into the switch's entry in its school file (file:line
    shown); anything else pins nothing and says why. Exit 0 when every selected switch is pinned.
    """
    fleet, problems = validate_inventory(inventory)
    blocking = [p for p in problems if p.severity is Severity.ERROR and p.code != "SN507"]
    if fleet is None or blocking:
        raise InventoryError(blocking or problems)  # SN507 (a switch not onboarded yet) is what this fixes
    fleet.validated = True
    try:
        usable_environment(fleet, environment, key=False)  # switches log in with a password, not the key
        selected = switches(select_hosts(fleet, limits) if limits else fleet.hosts)
    except (LimitError, UnusableEnvironment) as exc:
        usage_error(str(exc))
    targets: list[tuple[Host, Onboarding]] = []

    def one(host: Host) -> Onboarding:
        try:
            address, port = address_of(fleet, environment, host)
        except ConnectionError_ as exc:
            return Onboarding(host.hostname, "failed", str(exc))
        return check_one(host, address, port, TIMEOUT)

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(selected) or 1))) as pool:
        targets = list(zip(selected, pool.map(one, selected), strict=True))
    write_keys(fleet, inventory, targets)
    results = [result for _, result in targets]
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        for r in results:
            mark = "✓" if r.status in ("pinned", "already") else "✗"
            detail = f"ssh_host_key written at {r.where}" if r.status == "pinned" else r.reason
            click.echo(f"{mark} {r.hostname} {r.status}: {detail}")
    counts = {s: sum(r.status == s for r in results) for s in ("pinned", "already", "refused", "failed")}
    click.echo(", ".join(f"{n} {s}" for s, n in counts.items()), err=True)
    if counts["refused"] or counts["failed"]:
        sys.exit(EXIT_PROBLEMS)


@switches_group.command("rotate")
@inventory_option
@env_option
@limit_option
@build_option
@parallel_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rotate(inventory: Path, environment: str, limits: tuple[str, ...], build: Path, parallel: int, yes: bool,
           fmt: str) -> None:
    """Finish a rotation of switch/<school>/admin: set, prove and record the new login password.

    After `schoolnet secrets rotate switch/<school>/admin` and `schoolnet render`: per switch, log
    in with the password it holds, type the new one, prove it with a fresh login, then save and
    record it. A switch that refuses it keeps the old one; one where the fresh login fails is
    rolled back through the session still open. Every switch keeps a password that logs in. When
    every switch of a school holds the new one, the old one leaves the store.
    """
    started = time.perf_counter()
    root = inventory.resolve().parent
    ready = _ready(inventory, build, environment, limits)
    if not yes and not click.confirm(f"rotate the login of {len(ready.hosts)} switch(es) in {environment}?",
                                     err=True):
        sys.exit(EXIT_PROBLEMS)
    ledger = Ledger(root)
    found, refused = _jobs(ready, environment, ledger=ledger)
    hosts = {h.hostname: h for h in ready.fleet.hosts}
    outcomes: dict[str, HostOutcome] = {n: HostOutcome(n, "failed", reason=why) for n, why in refused.items()}
    todo: list[tuple[Job, str, str]] = []
    for job in found:
        school = hosts[job.hostname].school
        assert school is not None
        name = switch_admin(school.id)
        new, old = ready.secrets.get(name), ready.secrets.values.get(name + PREVIOUS)
        if old is None or ledger.holds(job.hostname, login_slot(job.target.user), new, ""):
            outcomes[job.hostname] = HostOutcome(job.hostname, "unchanged")
        else:
            todo.append((job, old, new))
    by_job = {job.hostname: (old, new) for job, old, new in todo}
    try:
        done = run_all([job for job, _, _ in todo],
                       lambda job: rotate_one(job, *by_job[job.hostname], TIMEOUT, lock_dir(root, environment),
                                              ledger),
                       lambda job, why: HostOutcome(job.hostname, "failed", reason=why), parallel,
                       counter("rotated", in_logs=True))
    finally:
        ledger.save()
    outcomes |= {o.hostname: o for o in done}
    ordered = [outcomes[h.hostname] for h in ready.hosts]
    entry = record.append(root, environment, list(limits), ordered, kind="switches",
                          skipped={s.hostname: s.status for s in ready.skipped})
    finished = _finish_rotations(ready, ledger, ready.fleet.environments[environment].switch_user)
    if fmt == "json":
        click.echo(json.dumps(entry, indent=2))
    else:
        for o in ordered:
            mark = "✗" if o.status == "failed" else "✓"
            click.echo(f"{mark} {o.hostname} {o.status}" + (f": {o.reason}" if o.reason else ""))
    counts = {s: sum(o.status == s for o in ordered) for s in ("changed", "unchanged", "failed")}
    click.echo(f"{counts['changed']} rotated, {counts['unchanged']} unchanged, {counts['failed']} failed "
               f"({time.perf_counter() - started:.1f} s); recorded in deploys/log.jsonl"
               + (f"; finished: {', '.join(finished)}" if finished else ""), err=True)
    if counts["failed"]:
        sys.exit(EXIT_PROBLEMS)


def _finish_rotations(ready: Ready, ledger: Ledger, user: str) -> list[str]:
    """Drop the old value of each school login every one of whose switches holds the new one."""
    finished = []
    for school in {h.school.id for h in ready.hosts if h.school is not None}:
        name = switch_admin(school)
        if name + PREVIOUS not in ready.secrets.values:
            continue
        members = [h for h in switches(ready.fleet.hosts) if h.school is not None and h.school.id == school]
        new = ready.secrets.get(name)
        if all(ledger.holds(h.hostname, login_slot(user), new, "") for h in members):
            finished.append(name)
    finish_rotations(ready.secrets, finished)
    return sorted(finished)
