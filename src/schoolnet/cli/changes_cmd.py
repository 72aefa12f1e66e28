"""changes: what a change does to the fleet, in plain words, for auditors and pull-request comments."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from schoolnet.changes.compare import compare
from schoolnet.changes.model import SideError
from schoolnet.changes.revisions import (
    RevisionError,
    Snapshot,
    materialise,
    private_directory,
    remove,
    repository_of,
    work_tree,
)
from schoolnet.changes.text import FORMATS
from schoolnet.cli.common import EXIT_PROBLEMS, fail, inventory_option, usage_error
from schoolnet.cli.progress import stages


@click.command("changes")
@click.argument("base", required=False)
@click.argument("head", required=False)
@inventory_option
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="text", show_default=True,
              help="text for a terminal, markdown for a pull-request comment, json for machines.")
def changes(base: str | None, head: str | None, inventory: Path, fmt: str) -> None:
    """What changed from BASE to HEAD, entity by entity, and which hosts' rendered files change.

    BASE defaults to the merge base of HEAD with the default branch (origin/HEAD, else main or
    master); HEAD defaults to the working tree. Revisions are read from git without a checkout:
    the working tree is never touched. Both sides must validate. Exit 0 when it ran, whether or
    not anything changed; 1 if a side does not load, validate or render; 2 for an unknown revision.
    At a terminal, progress is shown on stderr; in a log or a pipe, nothing but the report.

    \b
    Examples:
      schoolnet changes                              # this branch's work so far, against main
      schoolnet changes HEAD~1 HEAD
      schoolnet changes origin/main HEAD --format markdown > comment.md
    """
    try:
        repository = repository_of(inventory)
        if base is None:
            name, base_commit = repository.default_base()
        else:
            name, base_commit = base, repository.resolve(base)
        head_commit = repository.resolve(head) if head is not None else None
    except RevisionError as exc:
        usage_error(str(exc))
    workdir = private_directory()
    try:
        _ended_by_signals()  # a CI timeout's SIGTERM or a closed terminal's SIGHUP still removes the tree
        progress = stages()  # at a terminal only, on stderr
        progress("read from git (revisions)", 0, 2)
        old = materialise(repository, base_commit, name, workdir / "base")
        progress("read from git (revisions)", 1, 2)
        new: Snapshot = materialise(repository, head_commit, head, workdir / "head") \
            if head is not None and head_commit is not None else work_tree(repository)
        progress("read from git (revisions)", 2, 2)
        report = compare(old, new, workdir / "build", progress=progress)
    except RevisionError as exc:
        usage_error(str(exc))
    except SideError as exc:
        click.echo(f"schoolnet: {exc.snapshot.label} cannot be compared: it does not load, validate or render",
                   err=True)
        fail(exc.problems)
    except OSError as exc:  # as the command group says it, for when this runs on its own
        click.echo(f"schoolnet: {exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    finally:
        remove(workdir)
    click.echo(FORMATS[fmt](report), nl=fmt != "markdown")


def _ended_by_signals() -> None:
    """SIGTERM and SIGHUP end the command as Ctrl-C does: through its `finally`, which removes the working
    tree and the decrypted secrets its renders hold."""
    def end(number: int, _frame: object) -> None:
        raise SystemExit(128 + number)

    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, end)


if __name__ == "__main__":  # until the command is registered: python -m schoolnet.cli.changes_cmd
    changes(prog_name="schoolnet changes")
