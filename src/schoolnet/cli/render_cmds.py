"""render and check."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from schoolnet.cache import Cache, open_cache
from schoolnet.check import check_build
from schoolnet.cli.common import EXIT_PROBLEMS, emit, inventory_option, limit_option, no_cache_option, usage_error
from schoolnet.cli.progress import counter
from schoolnet.model.select import LimitError, select_hosts
from schoolnet.problems import InventoryError
from schoolnet.render import render_fleet
from schoolnet.secrets import open_store
from schoolnet.validate import load_for_action


@click.command()
@inventory_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("build"), show_default=True,
              help="Where the rendered tree goes (replaced atomically).")
@click.option("--templates", "templates_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("templates"), show_default=True)
@limit_option
@no_cache_option
def render(inventory: Path, out: Path, templates_dir: Path, limits: tuple[str, ...], no_cache: bool) -> None:
    """Render every host's intended files into OUT/hosts/<host>/<path>, with OUT/manifest.json.

    Validates first; a failed render leaves the previous OUT untouched. With --limit,
    only the selected hosts are re-rendered and the others keep their files. Without it,
    a host whose inputs are unchanged since the previous render keeps its files (--no-cache:
    render every host again). After a clean `schoolnet ci`, when only school files changed,
    those schools alone are validated and rendered against what ci recorded, as ci's fast
    path does; the next `ci` checks what render wrote (docs/cache.md).

    \b
    Example:
      schoolnet render --limit school:nx-ord-012 --limit role:vpn-hub
    """
    started = time.perf_counter()
    cache = open_cache(inventory, not no_cache)
    fast = "" if limits or not cache.enabled else _render_fast(inventory, out, templates_dir, cache, started)
    if fast.startswith("✓"):
        click.echo(fast, err=True)
        return
    fleet = load_for_action(inventory, cache)  # problems: exit 1, via the group
    try:
        hosts = select_hosts(fleet, limits)
    except LimitError as exc:
        usage_error(str(exc))
    summary = render_fleet(fleet, hosts, out, templates_dir, open_store(inventory, cache), limited=bool(limits),
                           progress=counter("rendered (hosts)"), cache=cache)
    kept = f", kept {summary.kept_hosts} unchanged" if summary.kept_hosts else ""
    click.echo(f"✓ rendered {summary.rendered_hosts} host(s){kept}; {out}/ holds {summary.files:,} files for "
               f"{summary.hosts} hosts ({time.perf_counter() - started:.1f} s){fast}", err=True)


def _render_fast(inventory: Path, out: Path, templates_dir: Path, cache: Cache, started: float) -> str:
    """ci's fast path without the check: the summary line when taken, else why not (the full render follows;
    nothing is said when no clean `ci` was ever recorded)."""
    from schoolnet.delta.fast import NO_STATE, render_fast
    from schoolnet.delta.held import Declined
    from schoolnet.delta.state import hash_inventory

    if not inventory.is_dir():
        return ""
    try:
        run = render_fast(inventory, out, templates_dir, open_store(inventory, cache), cache,
                          hash_inventory(inventory))
    except (Declined, InventoryError) as exc:
        why = str(exc) if isinstance(exc, Declined) else f"{exc.problems[0].code} while rendering"
        return "" if why == NO_STATE else f"; fast path not taken: {why}"
    return (f"✓ rendered {run.rendered} host(s), kept {run.counts['hosts'] - run.rendered} unchanged; {out}/ holds "
            f"{run.counts['files']:,} files for {run.counts['hosts']} hosts ({time.perf_counter() - started:.1f} s); "
            "fast path: only school files changed since the last clean `ci`, which checks these hosts next")


@click.command()
@inventory_option
@click.option("--build", type=click.Path(path_type=Path, file_okay=False), default=Path("build"),
              show_default=True, help="The rendered tree to check.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Parallel checks (default: one per core).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "github"]), default="text",
              show_default=True)
@no_cache_option
def check(inventory: Path, build: Path, jobs: int | None, fmt: str, no_cache: bool) -> None:
    """Validate every rendered file with the program that will read it (dnsmasq, unbound, nft, ...).

    Problems read `build/hosts/HOST/PATH:LINE: error CODE name: message (template templates/ROLE/...)`.
    Files with identical bytes are checked once, and a verdict on the same bytes by the same
    program is remembered across runs (--no-cache: run every program again).

    \b
    Example:
      schoolnet render && schoolnet check --jobs 2
    """
    started = time.perf_counter()
    report = check_build(build, jobs, progress=counter("checked (distinct files)"), secrets=open_store(inventory),
                         cache=open_cache(inventory, not no_cache))
    emit(report.problems, fmt, "schoolnet.check")
    summary = ", ".join(f"{name} {count}" for name, count in sorted(report.by_validator.items()))
    state = "✗" if report.problems else "✓"
    reused = f", {report.reused:,} verdicts reused" if report.reused else ""
    click.echo(f"{state} checked {report.files:,} files ({report.runs:,} distinct{reused}) with "
               f"{len(report.by_validator)} validators in {time.perf_counter() - started:.1f} s: {summary}",
               err=True)
    if report.problems:
        sys.exit(EXIT_PROBLEMS)
