"""`schoolnet`: entry point and the inventory-stage subcommands."""

from __future__ import annotations

import sys
from typing import Any

import click

from schoolnet import __version__
from schoolnet.cli.changes_cmd import changes
from schoolnet.cli.ci_cmds import ci
from schoolnet.cli.common import EXIT_PROBLEMS, fail
from schoolnet.cli.deploy_cmds import deploy, plan
from schoolnet.cli.handover_cmd import handover
from schoolnet.cli.inventory_cmds import inventory, ipam, schema, validate
from schoolnet.cli.lab_cmds import lab
from schoolnet.cli.netbox_cmds import netbox
from schoolnet.cli.render_cmds import check, render
from schoolnet.cli.report_cmds import report
from schoolnet.cli.secrets_cmds import secrets
from schoolnet.cli.switches_cmds import switches_group
from schoolnet.problems import InventoryError


class SchoolnetGroup(click.Group):
    """Turns inventory errors and refusals of the operating system into one-line messages and
    exit 1, never a traceback: a path that cannot be written is the user's to fix, not a crash."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InventoryError as exc:
            fail(exc.problems)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"schoolnet: {where}{exc.strerror or exc} (check the path and its permissions)", err=True)
            sys.exit(EXIT_PROBLEMS)


@click.group(cls=SchoolnetGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="schoolnet")
def cli() -> None:
    """schoolnet: the source of truth and deploy tool for a school network programme.

    \b
    Typical use, from the repository root:
      schoolnet validate                 check the inventory, file:line errors
      schoolnet inventory stats          what the programme holds
      schoolnet ipam allocate nx-ord-035 give a new school its prefix
    """


def main() -> None:
    cli(prog_name="schoolnet")


cli.add_command(switches_group, "switches")
cli.add_command(netbox, "netbox")
for command in (validate, inventory, ipam, schema, secrets, render, check, ci, lab, plan, deploy, report, changes,
                handover):
    cli.add_command(command)
