"""tablets move: a tablet changes school, or goes back to (or out of) the data center's stock."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from schoolnet.cli.common import EXIT_PROBLEMS, inventory_option
from schoolnet.lifecycle.tablets import STOCK, MoveRefused, move_tablets
from schoolnet.validate import load_for_action


@click.group()
def tablets() -> None:
    """Tablets after day 1: moved between schools and the stock, with their trail in git."""


@tablets.command("move")
@click.argument("serials", nargs=-1, required=True)
@click.option("--to", "target", required=True, metavar="SCHOOL|stock",
              help="The school that receives them (next free slots, in_stock), or 'stock' (the data center's).")
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The date they came back to the stock [default: today].")
@inventory_option
def move(serials: tuple[str, ...], target: str, on: object, inventory: Path) -> None:
    """Move tablets by serial to another school or to the stock; each file is edited in place, whole or not at all.

    \b
    Examples:
      schoolnet tablets move R9QS5AMR5DB --to nx-sad-003
      schoolnet tablets move R9QS5AMR5DB R9DXM3XXG2J --to stock
    """
    fleet = load_for_action(inventory)
    when = on.date() if hasattr(on, "date") else date.today()
    try:
        moved = move_tablets(fleet, serials, target, when)
    except MoveRefused as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    for item in moved:
        where = f"{item.target} slot {item.slot}" if item.target != STOCK else "the stock"
        click.echo(f"  {item.serial}: {item.source} → {where}", err=True)
    click.echo(f"✓ {len(moved)} tablet(s) moved; `schoolnet ci`, then commit: `schoolnet changes` shows the moves",
               err=True)
