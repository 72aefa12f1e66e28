"""`schoolnet`: entry point and the inventory-stage subcommands."""

from __future__ import annotations

import sys
from typing import Any

import click

from schoolnet import __version__
from schoolnet.cli.common import EXIT_PROBLEMS, enter_repository, fail
from schoolnet.cli.lazy import LazyGroup
from schoolnet.problems import InventoryError

# name -> "module:attribute"; a command's module is imported only when that command runs, so a
# light command (validate, render, check, ci) does not load paramiko, the report or NetBox at start.
COMMANDS = {
    "changes": "schoolnet.cli.changes_cmd:changes",
    "check": "schoolnet.cli.render_cmds:check",
    "ci": "schoolnet.cli.ci_cmds:ci",
    "deploy": "schoolnet.cli.deploy_cmds:deploy",
    "handover": "schoolnet.cli.handover_cmd:handover",
    "inventory": "schoolnet.cli.inventory_cmds:inventory",
    "ipam": "schoolnet.cli.inventory_cmds:ipam",
    "lab": "schoolnet.cli.lab_cmds:lab",
    "locate": "schoolnet.cli.observe_cmds:locate_cmd",
    "netbox": "schoolnet.cli.netbox_cmds:netbox",
    "observe": "schoolnet.cli.observe_cmds:observe_cmd",
    "plan": "schoolnet.cli.deploy_cmds:plan",
    "reconcile": "schoolnet.cli.observe_cmds:reconcile_cmd",
    "render": "schoolnet.cli.render_cmds:render",
    "report": "schoolnet.cli.report_cmds:report",
    "schema": "schoolnet.cli.inventory_cmds:schema",
    "secrets": "schoolnet.cli.secrets_cmds:secrets",
    "switches": "schoolnet.cli.switches_cmds:switches_group",
    "tablets": "schoolnet.cli.tablets_cmd:tablets",
    "validate": "schoolnet.cli.inventory_cmds:validate",
}


class SchoolnetGroup(LazyGroup):
    """Turns inventory errors and refusals of the operating system into one-line messages and
    exit 1, never a traceback: a path that cannot be written is the user's to fix, not a crash.
    A command run from a folder inside the repository runs from its root (common.enter_repository)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ARGS] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        enter_repository(ctx.meta.get(_ARGS, []))
        try:
            return super().invoke(ctx)
        except InventoryError as exc:
            fail(exc.problems)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"schoolnet: {where}{exc.strerror or exc} (check the path and its permissions)", err=True)
            sys.exit(EXIT_PROBLEMS)
        finally:
            from schoolnet.cache import settle

            settle()  # the caches the command opened stay bounded (cache.py)


_ARGS = "schoolnet.args"  # the command line as given, read before the subcommand parses it


@click.group(cls=SchoolnetGroup, lazy_subcommands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="schoolnet")
def cli() -> None:
    """schoolnet: the source of truth and deploy tool for a school network programme.

    \b
    Typical use, from the repository (any folder inside it):
      schoolnet validate                 check the inventory, file:line errors
      schoolnet inventory stats          what the programme holds
      schoolnet ipam allocate nx-ord-035 give a new school its prefix
    """


def main() -> None:
    cli(prog_name="schoolnet")

