"""secrets generate | list | rotate NAME | prune | check."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from schoolnet.cli.common import EXIT_PROBLEMS, fail, inventory_option, usage_error
from schoolnet.inventory.yamlload import display_name
from schoolnet.model import load_fleet_or_raise
from schoolnet.secrets import open_store
from schoolnet.secrets.manage import (
    PREVIOUS,
    RotationPending,
    audit,
    finishing,
    generate,
    is_switch_login,
    pending_school,
    problems,
    prune,
    rotate,
    suggestions,
)
from schoolnet.secrets.names import DERIVES, Use, referenced_secrets, secret_uses

SHOWN = 3  # hosts named in a line of `secrets list` before "and N more"


@click.group()
def secrets() -> None:
    """Secrets kept encrypted in inventory/secrets.sops.yaml (SOPS + age).

    Decryption needs the programme's age identity in SOPS_AGE_KEY_FILE; values are never
    printed. For the synthetic reference programme: export SOPS_AGE_KEY_FILE=keys/demo.agekey

    \b
    Examples:
      schoolnet secrets generate                 after adding a school or a host
      schoolnet secrets list --unused            what nothing uses any more
      schoolnet secrets prune --yes              remove it (after closing a school)
      schoolnet secrets rotate switch/nx-ord-012/admin --env prod
    """


@secrets.command("generate")
@inventory_option
def secrets_generate(inventory: Path) -> None:
    """Create the secrets the inventory needs and the file lacks (WireGuard keys, Wi-Fi, SNMPv3, switch admin).

    Only the new entries are added to the encrypted file: every existing value keeps its
    ciphertext, so the git diff is the new names plus sops' lastmodified and mac.

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


@secrets.command("list")
@click.option("--unused", is_flag=True, help="Only the secrets nothing uses (what `secrets prune` removes).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@inventory_option
def secrets_list(unused: bool, fmt: str, inventory: Path) -> None:
    """Every secret by name (never a value) and the hosts and switches whose files use it.

    A line reads NAME, then the hosts that hold it, the hosts that hold only its public half
    (WireGuard), or its state: missing (`secrets generate`), unused (`secrets prune`) or
    pending (the old value of a switch login until `switches rotate` finishes).

    \b
    Examples:
      schoolnet secrets list | grep nx-ord-012
      schoolnet secrets list --unused
    """
    fleet = load_fleet_or_raise(inventory)
    store = open_store(inventory)
    found = audit(fleet, store)
    uses = secret_uses(fleet)
    every = {name: "used" for name in uses} | {n: "missing" for n in found.missing}
    every |= {n: "used" for n in referenced_secrets(fleet) if n in store.values}
    every |= {n: "unused" for n in found.unused} | {n: "pending" for n in found.pending}
    rows = {n: s for n, s in every.items() if s == "unused"} if unused else every
    if fmt == "json":
        click.echo(json.dumps([{"name": name, "state": state,
                                "hosts": [u.hostname for u in uses.get(name, []) if u.how != DERIVES],
                                "public_key_hosts": [u.hostname for u in uses.get(name, []) if u.how == DERIVES]}
                               for name, state in sorted(rows.items())], indent=2))
    elif unused:
        for name in sorted(rows):
            click.echo(name)
    else:
        width = max((len(name) for name in rows), default=0)
        for name, state in sorted(rows.items()):
            named = referenced_secrets(fleet).get(name)
            click.echo(f"{name:<{width}}  {f'named by {named}' if named else _users(name, state, uses.get(name, []))}")
    counts = {state: sum(s == state for s in every.values()) for state in ("used", "missing", "unused", "pending")}
    click.echo(f"{'✗' if found.missing or found.unused else '✓'} {len(store.values)} secrets in "
               f"{display_name(store.path)}: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n or s == "used"),
               err=True)


def _users(name: str, state: str, uses: list[Use]) -> str:
    if state == "missing":
        return "missing: `schoolnet secrets generate` creates it"
    if state == "unused":
        return "unused: `schoolnet secrets prune` removes it"
    if state == "pending":
        return (f"pending: the old value of a rotation, until `schoolnet switches rotate --env ENV --limit "
                f"school:{pending_school(name)}` finishes it")
    held = [u.hostname for u in uses if u.how != DERIVES]
    derived = [u.hostname for u in uses if u.how == DERIVES]
    text = few(held) if held else "no rendered file"
    return text + (f"; its public key: {few(derived)}" if derived else "")


def _either(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def few(hostnames: list[str]) -> str:
    if len(hostnames) <= SHOWN + 1:
        return ", ".join(hostnames)
    return f"{len(hostnames)} hosts ({', '.join(hostnames[:SHOWN])} and {len(hostnames) - SHOWN} more)"


@secrets.command("rotate")
@click.argument("name")
@click.option("--env", "environment", default=None, metavar="ENV",
              help="The environment to name in the commands that finish the rotation (default: ENV).")
@inventory_option
def secrets_rotate(name: str, environment: str | None, inventory: Path) -> None:
    """Replace one secret with a new value, and say which hosts and switches need it and how.

    Prints each host and switch whose files use NAME with the command that finishes the
    rotation there: a server gets it by `render` then `deploy`; a switch login by `render`
    then `switches rotate` (the old value stays as NAME-previous until every switch holds
    the new one); another switch secret by `render` then `switches push`.

    \b
    Example:
      schoolnet secrets rotate wireguard/nx-ord-012-edge/private_key --env prod
    """
    fleet = load_fleet_or_raise(inventory)
    if environment is not None and fleet.environments and environment not in fleet.environments:
        usage_error(f"--env {environment}: no such environment (known: {', '.join(sorted(fleet.environments))})")
    store = open_store(inventory)
    uses = secret_uses(fleet)
    named = referenced_secrets(fleet).get(name)
    if named and name not in uses:
        usage_error(f"secret {name!r} is named by {named} and set by a person, not made here: put the new value in "
                    f"with `sops set {display_name(store.path)} ...`")
    if name not in uses:
        close = suggestions(name, list(uses))
        held = name in store.values
        if held:
            usage_error(f"secret {name!r} is used by no host: nothing to rotate (`schoolnet secrets prune` removes it)")
        guess = f"did you mean {_either(close)}? " if close else ""
        usage_error(f"no secret {name!r} is used by this inventory; {guess}(`schoolnet secrets list` lists them)")
    try:
        rotate(fleet, store, name)
    except RotationPending as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    render, steps = finishing(name, uses[name], environment or "ENV")
    kept = f" (the old value is kept as {name}{PREVIOUS} until every switch holds the new one)" \
        if is_switch_login(name) else ""
    if not steps:
        click.echo(f"✓ rotated {name}{kept}; no host's files use it yet", err=True)
        return
    click.echo(f"✓ rotated {name}{kept}; {len(steps)} host(s) must get the new value:", err=True)
    click.echo(f"  first:  {render}", err=True)  # guidance for a person, on stderr as the line above
    width = max(len(s.use.hostname) for s in steps)
    for step in steps:
        click.echo(f"  {step.use.hostname:<{width}}  {step.use.how:<20}  {step.command}", err=True)


@secrets.command("prune")
@click.option("--yes", is_flag=True, help="Do not ask before removing.")
@inventory_option
def secrets_prune(yes: bool, inventory: Path) -> None:
    """Remove the secrets nothing in the inventory uses any more (e.g. a closed school's), in one write.

    Lists the names first. Never removes a secret the inventory needs, nor the old value of a
    switch login still being rotated (NAME-previous while its school's switches may hold it):
    that one leaves when `schoolnet switches rotate` has set the new value on every switch.
    The old value of a login whose school is gone is unused, and removed.

    \b
    Example:
      schoolnet secrets prune            # lists, then asks
      schoolnet secrets prune --yes
    """
    fleet = load_fleet_or_raise(inventory)
    store = open_store(inventory)
    found = audit(fleet, store)
    file = display_name(store.path)
    for name in found.pending:
        click.echo(f"  = {name} (kept: a rotation in progress; `schoolnet switches rotate --env ENV --limit "
                   f"school:{pending_school(name)}` finishes it)")
    if not found.unused:
        click.echo(f"✓ nothing to prune: every secret in {file} is used", err=True)
        return
    for name in found.unused:
        click.echo(f"  - {name}")
    if not yes and not click.confirm(f"remove these {len(found.unused)} unused secret(s) from {file}?", err=True):
        sys.exit(EXIT_PROBLEMS)
    prune(fleet, store, found.unused)
    click.echo(f"✓ removed {len(found.unused)} unused secret(s) from {file}; commit it with the change that "
               "stopped using them", err=True)


@secrets.command("check")
@inventory_option
def secrets_check(inventory: Path) -> None:
    """Every secret the configuration refers to exists, and none is left unused (`schoolnet ci` checks it too)."""
    fleet = load_fleet_or_raise(inventory)
    store = open_store(inventory)
    found = problems(fleet, store)
    if found:
        fail(found)
    click.echo(f"✓ {len(store.values)} secrets, each used, none missing", err=True)
