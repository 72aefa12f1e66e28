"""handover: a school's acceptance certificate, HTML and PDF."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from schoolnet.cli.common import EXIT_PROBLEMS, inventory_option, usage_error
from schoolnet.cli.progress import counter
from schoolnet.handover.certificate import HandoverError, find_school, write_certificates
from schoolnet.handover.chromium import ChromiumError, find_chromium
from schoolnet.validate import load_for_action


@click.command()
@click.argument("school", required=False)
@click.option("--all", "every", is_flag=True, help="Every school of the programme, with OUT/index.html.")
@inventory_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("handover"), show_default=True,
              help="Where OUT/<school>.html and OUT/<school>.pdf go.")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="The date the certificate is printed on (default: today, UTC); fix it and a reprint is "
                   "identical. The date of handover is never this: it is the tablets' handover records'.")
@click.option("--jobs", type=click.IntRange(1, 16), default=None,
              help="Chromiums printing side by side with --all (default: one per core, at most 4).")
def handover(school: str | None, every: bool, inventory: Path, out: Path, on: datetime | None,
             jobs: int | None) -> None:
    """Print a school's acceptance certificate: every device, tablet and uplink, for two offices to sign.

    Writes OUT/<school>.html and, through headless Chromium, OUT/<school>.pdf. The certificate
    number ends with the first 8 hex digits of the sha256 of the school's inventory file, and the
    file's path, full sha256 and git commit are printed on it. --all writes every school and
    OUT/index.html, replacing OUT whole.

    \b
    Examples:
      schoolnet handover nx-sad-001
      schoolnet handover --all --out handover/ --date 2026-09-01
    """
    if every == (school is not None):
        usage_error("name one school, or --all (see schoolnet handover --help)")
    day = on.date() if on is not None else datetime.now(UTC).date()
    started = time.perf_counter()
    try:
        chromium = find_chromium()  # before anything is read or written: a missing engine is one line
        fleet = load_for_action(inventory)  # problems: file:line lines and exit 1, through the CLI's group
        schools = None if every else [find_school(fleet, school or "")]
        made = write_certificates(fleet, schools, out, day, chromium, jobs=jobs,
                                  progress=counter("printed") if every else None)  # at a terminal only
    except (ChromiumError, HandoverError) as exc:
        click.echo(f"schoolnet: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    seconds = time.perf_counter() - started
    if every:
        click.echo(f"✓ {len(made)} certificate(s) in {out}/ with {out}/index.html ({seconds:.1f} s)", err=True)
    else:
        click.echo(f"✓ {made[0].number}: {out}/{made[0].school_id}.html and .pdf ({seconds:.1f} s)", err=True)


__all__ = ["handover"]
