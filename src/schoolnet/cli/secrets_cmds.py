"""secrets generate | rotate NAME | check."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from schoolnet.cli.common import EXIT_PROBLEMS, fail, inventory_option
from schoolnet.model import load_fleet_or_raise
from schoolnet.problems import Location
from schoolnet.rulebook import problem
from schoolnet.secrets import open_store
from schoolnet.secrets.manage import PREVIOUS, RotationPending, audit, generate, is_switch_login, rotate


@click.group()
def secrets() -> None:
    """Secrets kept encrypted in inventory/secrets.sops.yaml (SOPS + age).

    Decryption needs the programme's age identity in SOPS_AGE_KEY_FILE; values are never
    printed. For the synthetic reference programme: export SOPS_AGE_KEY_FILE=keys/demo.agekey
    """


@secrets.command("generate")
@inventory_option
def secrets_generate(inventory: Path) -> None:
    """Create the secrets the inventory needs and the file lacks (WireGuard keys, Wi-Fi, SNMPv3, switch admin).

    \b
    Example:
      schoolnet ipam allocate nx-ord-035 && schoolnet secrets generate
    """
    fleet = load_fleet_or_raise(inventory)
    added = generate(fleet, open_store(inventory))
    click.echo(f"✓ {len(added)} secret(s) added to {inventory}/secrets.sops.yaml" if added
               else "✓ nothing to add: every secret the inventory needs exists", err=True)
    for name in added:
        click.echo(f"  + {name}")


@secrets.command("rotate")
@click.argument("name")
@inventory_option
def secrets_rotate(name: str, inventory: Path) -> None:
    """Replace one secret with a new value; re-render and deploy the hosts that use it.

    \b
    Example:
      schoolnet secrets rotate wireguard/nx-ord-012-edge/private_key
    """
    fleet = load_fleet_or_raise(inventory)
    try:
        rotate(fleet, open_store(inventory), name)
    except KeyError:
        click.echo(f"schoolnet: no secret {name!r} is used by this inventory (see `schoolnet secrets check`)",
                   err=True)
        sys.exit(EXIT_PROBLEMS)
    except RotationPending as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    if is_switch_login(name):
        school = name.split("/")[1]
        click.echo(f"✓ rotated {name}; the switches still hold the old value (kept as {name}{PREVIOUS}): finish "
                   f"with `schoolnet switches rotate --env <env> --limit school:{school}`, which sets the new one "
                   "on each switch, proves it with a fresh login and rolls back a switch where it fails", err=True)
        return
    click.echo(f"✓ rotated {name}; now `schoolnet render` and deploy the hosts that use it", err=True)


@secrets.command("check")
@inventory_option
def secrets_check(inventory: Path) -> None:
    """Every secret the configuration refers to exists, and none is left unused."""
    fleet = load_fleet_or_raise(inventory)
    store = open_store(inventory)
    result = audit(fleet, store)
    where = Location(f"{inventory}/secrets.sops.yaml")
    problems = [problem("SN903", where, f"secret {n!r} is missing", "run `schoolnet secrets generate`")
                for n in result.missing]
    problems += [problem("SN904", where, f"secret {n!r} is not used by any host", "remove it from the file")
                 for n in result.unused]
    if problems:
        fail(problems)
    click.echo(f"✓ {len(store.values)} secrets, each used, none missing", err=True)
