"""validate, inventory stats|show, ipam show|allocate, schema."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from ipaddress import IPv4Network
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from schoolnet.cache import Cache, open_cache
from schoolnet.cli import output
from schoolnet.cli.common import EXIT_PROBLEMS, format_option, inventory_option, no_cache_option, usage_error
from schoolnet.delta.held import Declined, validate_fast
from schoolnet.delta.state import hash_inventory, record_validated, validated_name
from schoolnet.ipam import Addressing, LedgerError, allocate
from schoolnet.model import load_fleet_or_raise
from schoolnet.model.fleet import Fleet
from schoolnet.model.schema import SCHEMAS, schema_text, write_schemas
from schoolnet.model.stats import Found, close_names, find, fleet_stats
from schoolnet.problems import Problem, Severity
from schoolnet.rulebook import RULES
from schoolnet.validate import validate_inventory


@click.command()
@inventory_option
@format_option(*output.FORMATS)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@no_cache_option
def validate(inventory: Path, fmt: str, strict: bool, no_cache: bool) -> None:
    """Check the inventory: schema, references, addresses, racks, fleet invariants.

    Prints one line per problem, `file:line:col: error SNxxx name: what (how to fix)`,
    and exits 1 if any error is found (0 when clean, 2 on usage errors).

    \b
    Example:
      schoolnet validate --format github   # annotations in a CI workflow
    """
    counts, problems, held = _validated(inventory, open_cache(inventory, not no_cache))
    failed = any(p.severity is Severity.ERROR or strict for p in problems)
    if fmt == "json":
        click.echo(output.as_json(problems))
    elif fmt == "junit":
        click.echo(output.as_junit(problems, RULES.values(), "schoolnet.validate"))
    elif fmt == "github":
        if problems:
            click.echo(output.as_github(problems))
    else:
        if problems:
            click.echo(output.as_text(problems))
        errors, warnings = output.summary_counts(problems)
        if counts is not None and not failed:
            click.echo(f"✓ inventory valid: {counts['schools']} schools, {counts['hosts']} hosts, "
                       f"{counts['tablets']:,} tablets ({warnings} warning(s)){held}", err=True)
        else:
            click.echo(f"✗ {errors} error(s), {warnings} warning(s)", err=True)
    if failed:
        sys.exit(EXIT_PROBLEMS)


def _validated(inventory: Path, cache: Cache) -> tuple[dict[str, int] | None, list[Problem], str]:
    """The fleet's counts (None if it did not load), its problems, and how they were found.  After a clean
    validate, a change to school files only is held against what it recorded (schoolnet.delta);
    anything else runs in full."""
    inputs = hash_inventory(inventory) if cache.enabled and inventory.is_dir() else {}
    if inputs:
        try:
            state, changed = validate_fast(inventory, cache, inputs)
        except Declined:
            pass
        else:
            return state.counts, state.problems, f"; {changed} changed school file(s) held against the last clean run"
    fleet, problems = validate_inventory(inventory, cache)
    if fleet is None:
        return None, problems, ""
    if inputs and not any(p.severity is Severity.ERROR for p in problems):
        record_validated(cache, validated_name(inventory), inputs, fleet, problems)
    return {"schools": len(fleet.schools), "hosts": len(fleet.hosts),
            "tablets": sum(len(s.tablets) for s in fleet.schools)}, problems, ""


@click.group()
def inventory() -> None:
    """Look at what the inventory holds."""


@inventory.command()
@inventory_option
@format_option("text", "json")
def stats(inventory: Path, fmt: str) -> None:
    """Counts: schools, districts, edge servers, switches, servers, tablets by status, circuits.

    \b
    Example:
      schoolnet inventory stats --format json | jq .tablets
    """
    numbers = fleet_stats(load_fleet_or_raise(inventory))
    if fmt == "json":
        click.echo(json.dumps(numbers, indent=2))
        return
    table = Table(title=numbers.pop("programme"), show_header=False)
    for key, value in numbers.items():
        shown = ", ".join(f"{k} {v:,}" for k, v in value.items()) if isinstance(value, dict) else f"{value:,}"
        table.add_row(key.replace("_", " "), shown)
    Console().print(table)


@inventory.command()
@click.argument("name")
@inventory_option
@format_option("text", "json")
def show(name: str, inventory: Path, fmt: str) -> None:
    """Show what NAME is and where it is written: a school id, a hostname, any serial (edge server, switch,
    server, tablet), a MAC in any notation, an asset tag, a tablet's name (nx-ord-012-t007), a handover
    certificate or a school's acceptance certificate number; case does not matter.

    \b
    Examples:
      schoolnet inventory show nx-ord-012-edge
      schoolnet inventory show 02-5C-4A-51-0B-63        # a tablet's MAC, as a sticker prints it
      schoolnet inventory show NX-AC-NX-ORD-012-6F1D09A2 # the acceptance certificate on file
    """
    from schoolnet.handover.certificate import certificate_number  # how the certificates' numbers are made

    fleet = load_fleet_or_raise(inventory)
    found = find(fleet, name, certificate_number)
    if not found:
        close = close_names(fleet, name, certificate_number)
        hint = (f"did you mean {_one_of(close)}?" if close else
                "try a school id, a hostname, a serial, a MAC, an asset tag or a certificate number")
        click.echo(f"schoolnet: nothing is called {name!r} ({hint})", err=True)
        sys.exit(EXIT_PROBLEMS)
    if fmt == "json":
        shown = []
        for item in found:
            top = {"kind": item.kind, "name": item.name, "defined_at": str(item.location), "matched": item.matched}
            shown.append(top | {key: value for key, value in item.fields.items() if key not in top})
        click.echo(json.dumps(shown, indent=2))
        return
    for item in found:
        by = "" if item.name.lower() == name.strip().lower() else f"; found by its {item.matched}"
        click.echo(f"{item.kind} {item.name}  (defined at {item.location}{by})")
        for key, value in item.fields.items():
            if key == "handover" and isinstance(value, dict):
                click.echo(f"  handover: {_handover_words(fleet, item, value)}")
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                click.echo(f"  {key}:")
                for entry in value:
                    click.echo(f"    - {_pairs(entry)}")
            else:
                click.echo(f"  {key}: {_words(key, value)}")


def _one_of(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _words(key: str, value: object) -> str:
    if isinstance(value, dict):
        return _pairs(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if key == "status" and isinstance(value, str):
        return value.replace("_", " ")
    return str(value)


def _pairs(entry: dict[str, object]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {_words(k, v)}" for k, v in entry.items() if v not in ("", None))


def _handover_words(fleet: Fleet, item: Found, record: dict[str, object]) -> str:
    """A tablet's handover record as a sentence: when, by whom, to whom, under which certificate, and its
    status now when that is no longer `handed_over`."""
    parties = fleet.programme.handover
    giver = "the programme" if parties is None else (
        f"the {parties.handing_over.role}" + (f" ({parties.handing_over.organisation})"
                                               if parties.handing_over.organisation else ""))
    school = fleet.schools_by_id.get(str(item.fields.get("school", "")))
    role = str(record.get("received_by", "school")).replace("-", " ")
    receiver = f"the {'IT ' + role[3:] if role.startswith('it ') else role}"
    receiver += f" of {school.name}" if school is not None else ""
    try:
        when = date.fromisoformat(str(record.get("date")))
        on = f"{when.day} {when:%B %Y}"
    except ValueError:
        on = str(record.get("date"))
    status = str(item.fields.get("status", ""))
    now = "" if status == "handed_over" else f"; now {status.replace('_', ' ')}"
    return f"handed over on {on} by {giver} to {receiver}, certificate {record.get('certificate')}{now}"


@click.group()
def ipam() -> None:
    """The address ledger: which prefix each school holds."""


@ipam.command("show")
@click.argument("school", required=False)
@inventory_option
@format_option("text", "json")
def ipam_show(school: str | None, inventory: Path, fmt: str) -> None:
    """Show the ledger, or one school's prefix, VLAN subnets and fixed addresses.

    \b
    Example:
      schoolnet ipam show nx-ord-012
    """
    fleet = load_fleet_or_raise(inventory)
    addressing = Addressing(fleet)
    if school is None:
        rows = {s: str(p) for s, p in fleet.ledger.allocations.items()}
        if fmt == "json":
            click.echo(json.dumps(rows, indent=2))
        else:
            for school_id, prefix in rows.items():
                click.echo(f"{school_id:<16} {prefix}")
        return
    target = fleet.schools_by_id.get(school)
    plan = addressing.school(target) if target is not None else None
    if target is None or plan is None:
        usage_error(f"{school}: no such school, or it has no prefix (see `schoolnet validate`)")
    data = {
        "school": school, "prefix": str(plan.prefix),
        "vlans": [{"name": v.vlan.name, "vid": v.vlan.vid, "subnet": str(v.network), "gateway": str(v.gateway)}
                  for v in plan.vlans],
        "addresses": [{"name": a.name, "vlan": a.vlan, "address": str(a.address)}
                      for a in plan.assigned + plan.tablet_addresses() if a.kind != "edge"],
    }
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"{school}  {plan.prefix}")
    for vlan in data["vlans"]:
        assert isinstance(vlan, dict)
        click.echo(f"  vlan {vlan['vid']:>4} {vlan['name']:<12} {vlan['subnet']:<18} gateway {vlan['gateway']}")
    for address in data["addresses"]:
        assert isinstance(address, dict)
        click.echo(f"  {address['name']:<22} {address['vlan']:<12} {address['address']}")


@ipam.command("allocate")
@click.argument("school")
@inventory_option
def ipam_allocate(school: str, inventory: Path) -> None:
    """Give a new school the next free prefix; appends one line to ipam.yaml.

    Existing schools are never renumbered.

    \b
    Example:
      schoolnet ipam allocate nx-ord-035
    """
    _edit_ledger(inventory, school, allocate, "{school}: {prefix} (appended to {ledger})")


def _edit_ledger(inventory: Path, school: str, edit: Callable[[Fleet, str], IPv4Network], done: str) -> None:
    """One ledger edit (allocate, release): its prefix said, or its refusal as one line and exit 1."""
    fleet = load_fleet_or_raise(inventory)
    try:
        prefix = edit(fleet, school)
    except LedgerError as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo(done.format(school=school, prefix=prefix, ledger=fleet.doc(fleet.ledger).name))


@ipam.command("release")
@click.argument("school")
@inventory_option
def ipam_release(school: str, inventory: Path) -> None:
    """Take a closed school's prefix out of ipam.yaml (one line less); refused while its file exists.

    \b
    Example:
      schoolnet ipam release nx-sad-012
    """
    from schoolnet.ipam.ledger import release

    _edit_ledger(inventory, school, release, "{school}: {prefix} released (removed from {ledger})")


@click.command()
@click.argument("kind", required=False, type=click.Choice(sorted(SCHEMAS)))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Write <kind>.schema.json files here.")
def schema(kind: str | None, out: Path | None) -> None:
    """JSON Schema of the inventory files, for editors (yaml-language-server).

    \b
    Example:
      schoolnet schema --out schema/       # what the files' modelines point at
      schoolnet schema school
    """
    if out is not None:
        for path in write_schemas(out):
            click.echo(f"wrote {path}")
        return
    if kind is None:
        click.echo(json.dumps({k: json.loads(schema_text(k)) for k in SCHEMAS}, indent=2))
    else:
        click.echo(schema_text(kind), nl=False)


__all__ = ["inventory", "ipam", "schema", "validate"]
