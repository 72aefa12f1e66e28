"""report: the static site auditors read."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from schoolnet.cli import output
from schoolnet.cli.common import EXIT_PROBLEMS, fail, inventory_option, limit_option, usage_error
from schoolnet.cli.progress import counter
from schoolnet.model.build import NON_BLOCKING
from schoolnet.model.select import LimitError
from schoolnet.problems import Severity
from schoolnet.report.history import LogError
from schoolnet.report.site import ReportRefused, write_report
from schoolnet.rulebook import RULES
from schoolnet.validate.registry import STAGE as RULE_STAGE
from schoolnet.validate.run import validate_inventory

NAME_RULES = "SN5"  # names become the site's file names: never written from names that broke these rules


@click.command()
@inventory_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("site"), show_default=True,
              help="Where the site goes (replaced whole, atomically; only a previous report is replaced).")
@click.option("--build", type=click.Path(path_type=Path, file_okay=False), default=Path("build"),
              show_default=True, help="The rendered tree whose manifest gives each host's files and sha256.")
@click.option("--handover", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where `schoolnet handover` wrote certificates, each linked from its school's page "
                   "(default: handover/ beside the inventory).")
@click.option("--observed", default=None, metavar="ENV",
              help="Show when each device and tablet was last seen, and each school's differences, from the "
                   "observations of ENV (schoolnet observe --env ENV).")
@limit_option
def report(inventory: Path, out: Path, build: Path, handover: Path | None, limits: tuple[str, ...],
           observed: str | None) -> None:
    """Write the auditors' static site: overview, districts, schools, data center, tablets, deploys, CSV.

    Works from the file system or any static web server and asks nothing of the network. The same
    inventory, build, deploy log (and observations, with --observed) give the same bytes. Problems
    `validate` finds are listed on the overview (and make the exit status 1); an inventory with a file
    that does not load is not reported, since the site would leave that file's school out.

    \b
    Example:
      schoolnet render && schoolnet report --out site && xdg-open site/index.html
      schoolnet report --limit district:sadarak --out site-sadarak
      schoolnet report --observed lab      # with last seen and observed against declared
    """
    started = time.perf_counter()
    if observed is not None:
        from schoolnet.observe.snapshot import history, plain_environment

        if not plain_environment(observed) or next(history(inventory.resolve().parent, observed), None) is None:
            usage_error(f"--observed {observed}: nothing observed there yet (schoolnet observe --env {observed})")
    fleet, problems = validate_inventory(inventory)
    unsafe = [p for p in problems if p.severity is Severity.ERROR and p.code.startswith(NAME_RULES)]
    # a file that did not load or type would be missing from the site: only rule problems are listed on it
    loaded = all(p.code in NON_BLOCKING or RULES[p.code].stage == RULE_STAGE for p in problems)
    if fleet is None or unsafe or not loaded:
        fail(problems)
    try:
        summary = write_report(fleet, problems, out, build, limits, handover=handover or inventory.parent / "handover",
                               progress=counter("written (school pages)"),  # at a terminal only
                               observed=observed)
    except LimitError as exc:
        usage_error(str(exc))
    except (ReportRefused, LogError) as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    errors, warnings = output.summary_counts(problems)
    if problems:
        click.echo(output.as_text(problems), err=True)
    mark = "✗" if errors else "✓"
    click.echo(f"{mark} report: {out}/index.html — {summary.pages:,} pages for {summary.schools} schools and "
               f"{summary.tablets:,} tablets; {errors} error(s), {warnings} warning(s) listed on its overview "
               f"({time.perf_counter() - started:.1f} s)", err=True)
    if errors:
        sys.exit(EXIT_PROBLEMS)
