"""netbox up | down | status | plan | apply | drift: keep a NetBox in step with the inventory."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from schoolnet.cli.common import EXIT_PROBLEMS, F, inventory_option, limit_option, usage_error
from schoolnet.outcome import HostOutcome
from schoolnet.secrets import open_store
from schoolnet.validate import load_for_action


@click.group("netbox")
def netbox() -> None:
    """Publish the inventory to NetBox (git stays the source of truth) and catch hand edits there.

    \b
    A local NetBox for the demo, the tests and rehearsal (root; loopback only):
      schoolnet netbox up        PostgreSQL 15, Redis, NetBox 4.7 on 127.0.0.1:8470
      schoolnet netbox status
      schoolnet netbox down [--wipe]
    A real NetBox: set NETBOX_URL and NETBOX_TOKEN; `up` is not needed.
    """


def _say(text: str) -> None:
    click.echo(text, err=True)


@netbox.command("up")
def netbox_up() -> None:
    """Start a private NetBox on 127.0.0.1 (the first start on a machine takes 6-12 minutes,
    later ones seconds) and print where it is and how to log in.

    Its state lives in SCHOOLNET_NETBOX_DIR (/var/lib/schoolnet-netbox); the runtime and the
    migrated database are cached in SCHOOLNET_NETBOX_CACHE (/var/cache/schoolnet-netbox).
    SCHOOLNET_NETBOX_PORT (8470) is the web port; the three after it are PostgreSQL, Redis and
    gunicorn.
    """
    from schoolnet.netbox.runtime import RuntimeBuildError
    from schoolnet.netbox.service import ServiceError, up

    if os.geteuid() != 0:
        click.echo("schoolnet: netbox up runs PostgreSQL and NetBox as their own users: run it as root", err=True)
        sys.exit(EXIT_PROBLEMS)
    try:
        instance = up(_say)
    except (ServiceError, RuntimeBuildError) as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"✓ NetBox at {instance.url}: log in as {instance.username}, password in {instance.password_file}; "
               f"API token in {instance.password_file.parent / 'token'}", err=True)


@netbox.command("down")
@click.option("--wipe", is_flag=True, help="Also delete the instance's database: the next `up` starts empty.")
def netbox_down(wipe: bool) -> None:
    """Stop the processes `up` recorded (nothing else), newest first."""
    from schoolnet.netbox.service import ServiceError, down

    try:
        down(_say, wipe)
    except ServiceError as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo("✓ NetBox down" + (" and its data deleted" if wipe else ""), err=True)


@netbox.command("status")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def netbox_status(fmt: str) -> None:
    """Which of the local NetBox's services run, and whether NetBox answers."""
    from schoolnet.netbox.service import ServiceError, status

    try:
        report = status()
    except ServiceError as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
        return
    for name, state in report["services"].items():
        click.echo(f"{name:<9} {state}")
    answer = f"NetBox {report['netbox']} answers" if report["netbox"] else "not answering"
    click.echo(f"{report['url']}  {answer}")
    click.echo(f"migrated database cached: {'yes' if report['cache_ready'] else 'no (the first up takes 6-12 min)'}")


def _target_options(func: F) -> F:
    func = limit_option(func)
    func = click.option("--env", "environment", default=None,
                        help="An environment whose `netbox:` names the NetBox (default: NETBOX_URL and "
                             "NETBOX_TOKEN, else the local one from `netbox up`).")(func)
    return inventory_option(func)


@contextmanager
def _one_line() -> Iterator[None]:
    """A NetBox that is down, a refused token or a refused object: one line, exit 1."""
    from schoolnet.netbox.errors import NetboxError

    try:
        yield
    except NetboxError as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)


def _connect(fleet: Any, inventory: Path, environment: str | None) -> tuple[Any, Any]:
    """(api, target): NetBox's URL and token proved before anything is read."""
    from schoolnet.netbox.client import connect, status
    from schoolnet.netbox.target import resolve_target

    target = resolve_target(fleet, environment, open_store(inventory))
    api = connect(target.url, target.token)
    if os.environ.get("SCHOOLNET_NETBOX_TRACE"):
        _trace_writes(api, Path(os.environ["SCHOOLNET_NETBOX_TRACE"]))
    status(api)
    _say(f"NetBox at {target.url} (from {target.source})")
    return api, target


def _trace_writes(api: Any, path: Path) -> None:
    """SCHOOLNET_NETBOX_TRACE=FILE: every write request (method, path, JSON body; never the token), one
    JSON line each, in order: what apply sent, for debugging and for benchmarks/netbox.py to replay."""
    trace = path.open("a", encoding="utf-8")

    def record(response: Any, *args: Any, **kwargs: Any) -> None:
        request = response.request
        if request.method != "GET":
            body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
            split = urlsplit(request.url)
            trace.write(json.dumps({"method": request.method, "path": split.path + (f"?{split.query}" if split.query
                                                                                   else ""), "body": body}) + "\n")
            trace.flush()

    api.http_session.hooks["response"].append(record)


def _limited(fleet: Any, desired: Any, limits: tuple[str, ...]) -> Any:
    """The Limit for --limit expressions (None without): a bad or empty selection is a usage error, exit 2."""
    from schoolnet.model.select import LimitError
    from schoolnet.netbox.scope import limit_of

    try:
        return limit_of(fleet, limits, desired.objects)
    except LimitError as exc:
        usage_error(str(exc))


def _plan(inventory: Path, environment: str | None, adopt: bool,
          limits: tuple[str, ...]) -> tuple[Any, Any, Any, Callable[[], Any]]:
    """(plan, api, target, again): `again()` reads NetBox anew and plans again (apply does, under its lock)."""
    from schoolnet.netbox.client import read_state
    from schoolnet.netbox.desired import build_desired
    from schoolnet.netbox.plan import make_plan

    fleet = load_for_action(inventory)
    desired = build_desired(fleet)
    limit = _limited(fleet, desired, limits)
    api, target = _connect(fleet, inventory, environment)

    def again() -> Any:
        return make_plan(desired, read_state(api), adopt=adopt, limit=limit)

    return again(), api, target, again


@netbox.command("plan")
@_target_options
@click.option("--adopt", is_flag=True, help="Plan to take over unowned objects that carry a name git gives.")
@click.option("--full", is_flag=True, help="List every change, not the first few of each type.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def netbox_plan(inventory: Path, environment: str | None, limits: tuple[str, ...], adopt: bool, full: bool,
                fmt: str) -> None:
    """What `apply` would create, update (field: old -> new) and delete, per NetBox object type.

    Reads only: a few requests per object type, whatever the programme's size. Objects
    schoolnet does not own are never changed; those with a name git gives are listed
    (take them over with --adopt). Hand edits in NetBox are listed as drift.

    With --limit, only the selected sites (district:, school:, site:) and devices (host:, role:,
    kind:, tablets too) and what they point at are compared; nothing else is created, changed
    or deleted, and an object git moved out of the limit is left for a full apply.

    \b
    Example:
      schoolnet netbox plan --limit site:nx-dc1 --limit district:sadarak
    """
    from schoolnet.netbox.output import plan_json, plan_text

    with _one_line():
        plan = _plan(inventory, environment, adopt, limits)[0]
    click.echo(json.dumps(plan_json(plan), indent=2) if fmt == "json" else plan_text(plan, full=full))


@netbox.command("apply")
@_target_options
@click.option("--yes", is_flag=True, help="Do not ask before writing.")
@click.option("--adopt", is_flag=True, help="Take over unowned objects that carry a name git gives.")
@click.option("--overwrite-drift", is_flag=True, help="Write git's value over fields edited by hand in NetBox.")
@click.option("--break-lock", is_flag=True, help="Remove the lock of an apply that is gone (killed, its machine "
              "down) before taking it; never while that apply runs.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def netbox_apply(inventory: Path, environment: str | None, limits: tuple[str, ...], yes: bool, adopt: bool,
                 overwrite_drift: bool, break_lock: bool, fmt: str) -> None:
    """Write the plan to NetBox: bulk creates, updates and deletes in dependency order.

    Refuses while NetBox holds hand edits of objects schoolnet owns (see `netbox drift`)
    unless --overwrite-drift. A refused object is named with its inventory file:line;
    whatever was written stays, and running apply again finishes the rest. The run is
    recorded in deploys/log.jsonl. --limit writes only what `plan --limit` shows. One apply
    writes at a time: it holds a lock in NetBox (a tag, schoolnet-apply-lock) and plans again
    under it; a second apply is refused with who holds the lock and since when.

    \b
    Example:
      schoolnet netbox apply --yes --limit district:sadarak
    """
    from schoolnet.netbox.apply import apply_plan
    from schoolnet.netbox.lock import applying
    from schoolnet.netbox.output import plan_text, result_json, result_text

    with _one_line():
        plan, api, target, again = _plan(inventory, environment, adopt, limits)
        if plan.empty:
            _say("✓ NetBox is in step with git: nothing to write")
            if fmt == "json":
                click.echo(json.dumps({"written": {}, "requests": 0, "seconds": 0.0}))
            return
        _say(plan_text(plan))
        if not yes and not click.confirm("write these changes to NetBox?", err=True):
            sys.exit(EXIT_PROBLEMS)
        outcome = HostOutcome(target.url)
        try:
            with applying(api, break_lock):  # one apply at a time; what NetBox holds is read again under it
                result = apply_plan(api, again(), _say, overwrite_drift=overwrite_drift)
        except KeyboardInterrupt:
            outcome.fail("interrupted; run apply again to finish")
            _record(inventory, environment, limits, outcome, interrupted=True)
            click.echo("schoolnet: interrupted; what was written stays, apply again to finish", err=True)
            sys.exit(130)
        except BaseException as exc:
            outcome.fail(str(exc) or type(exc).__name__)
            _record(inventory, environment, limits, outcome)
            raise
        outcome.status = "changed"
        outcome.changes = [f"{t}: " + ", ".join(f"{a} {n}" for a, n in actions.items())
                           for t, actions in result.written.items()]
        _record(inventory, environment, limits, outcome)
    click.echo(json.dumps(result_json(result), indent=2) if fmt == "json" else result_text(result))


def _record(inventory: Path, environment: str | None, limits: tuple[str, ...], outcome: HostOutcome,
            interrupted: bool = False) -> None:
    from schoolnet.deploy.record import append

    append(inventory.resolve().parent, environment or "netbox", list(limits), [outcome], interrupted, kind="netbox")


@netbox.command("drift")
@_target_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def netbox_drift(inventory: Path, environment: str | None, limits: tuple[str, ...], fmt: str) -> None:
    """Fields of objects schoolnet owns that someone changed in NetBox since schoolnet wrote them:
    the inventory file:line, git's value, NetBox's, who changed it and when. Exit 1 when there is any.
    With --limit, only the selected sites and devices and what they point at.
    """
    from schoolnet.netbox.client import read_state
    from schoolnet.netbox.desired import build_desired
    from schoolnet.netbox.drift import find_drift
    from schoolnet.netbox.output import drift_json, drift_text
    from schoolnet.netbox.scope import within

    with _one_line():
        fleet = load_for_action(inventory)
        desired = build_desired(fleet)
        limit = _limited(fleet, desired, limits)
        api, _ = _connect(fleet, inventory, environment)
        drifts = find_drift(api, within(desired, limit), read_state(api))
    click.echo(json.dumps(drift_json(drifts), indent=2) if fmt == "json" else drift_text(drifts))
    if drifts:
        sys.exit(EXIT_PROBLEMS)


@netbox.command("last-seen")
@_target_options
@click.option("--observed", "observed", required=True,
              help="The environment whose observations (schoolnet observe --env ENV) say when each device was seen.")
def netbox_last_seen(inventory: Path, environment: str | None, limits: tuple[str, ...], observed: str) -> None:
    """Write each owned device's `schoolnet_last_seen` field from the observations: a server or switch when
    it last answered, a tablet when its MAC was last seen. Never older than what NetBox holds; plan,
    apply and drift leave the field alone.
    """
    from schoolnet.netbox.last_seen import write_last_seen
    from schoolnet.observe.sightings import device_last_seen
    from schoolnet.observe.snapshot import history

    with _one_line():
        fleet = load_for_action(inventory)
        snapshots = list(history(fleet.root.resolve().parent, observed))
        if not snapshots:
            usage_error(f"nothing observed in {observed} yet: run `schoolnet observe --env {observed}` first")
        seen = device_last_seen(fleet, snapshots)
        if limits:  # sites and devices, as plan and apply select them
            from schoolnet.model.school import tablet_name
            from schoolnet.netbox.desired import build_desired

            limit = _limited(fleet, build_desired(fleet), limits)
            site_of = {h.hostname: h.site for h in fleet.hosts}
            site_of.update({tablet_name(s.id, t.slot): s.id for s in fleet.schools for t in s.tablets})
            seen = {name: when for name, when in seen.items()
                    if limit is None or name in limit.devices or site_of.get(name) in limit.sites}
        api, _ = _connect(fleet, inventory, environment)
        updated, owned = write_last_seen(api, seen)
    click.echo(f"✓ last seen: {updated} device(s) updated of {owned} seen in {len(snapshots)} observation(s)")
