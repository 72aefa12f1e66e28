"""netbox up | down | status | plan | apply | drift: keep a NetBox in step with the inventory."""

from __future__ import annotations

import json
import os
import sys

import click

from schoolnet.cli.common import EXIT_PROBLEMS


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
