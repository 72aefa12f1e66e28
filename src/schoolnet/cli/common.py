"""Options and error handling shared by the subcommands."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from click.core import ParameterSource

from schoolnet.cli import output
from schoolnet.problems import Problem

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CLEAN, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

INVENTORY = Path("inventory")
ROOT_MARK = INVENTORY / "programme.yaml"  # what makes a folder a schoolnet repository's root
INVENTORY_ENV = "SCHOOLNET_INVENTORY"
# Commands that take --inventory but work without one (`lab down` reads only the lab's own records).
WITHOUT_INVENTORY = frozenset({"lab down"})


def repository_root(start: Path) -> Path | None:
    """The nearest folder from `start` up that holds inventory/programme.yaml."""
    for folder in (start, *start.parents):
        if (folder / ROOT_MARK).is_file():
            return folder
    return None


def enter_repository(args: Sequence[str]) -> Path | None:
    """Run from a folder inside a repository as from its root: when ./inventory does not exist and neither
    --inventory nor SCHOOLNET_INVENTORY names one, change to the nearest folder above that holds
    inventory/programme.yaml, so inventory/, build/, site/, .schoolnet-cache/ and deploys/ are the
    repository's and every path printed is relative to its root (said once, on stderr).  Returns the root
    entered, if any."""
    if INVENTORY.is_dir() or os.environ.get(INVENTORY_ENV) or any(
            arg == "--inventory" or arg.startswith("--inventory=") for arg in args):
        return None
    try:
        root = repository_root(Path.cwd())
    except OSError:  # the working directory is gone
        return None
    if root is None:
        return None
    os.chdir(root)
    if not any(arg in ("-h", "--help") for arg in args):
        click.echo(f"schoolnet: in the repository at {root} (paths below are relative to it)", err=True)
    return root


def _inventory_found(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """Outside any repository, a command that needs the inventory says so in one line (exit 2)."""
    default = param.name is not None and ctx.get_parameter_source(param.name) is ParameterSource.DEFAULT
    command = ctx.command_path.split(" ", 1)[-1]
    if default and not value.is_dir() and command not in WITHOUT_INVENTORY:
        usage_error(f"not inside a schoolnet repository: neither {Path.cwd()} nor a folder above it holds "
                    f"{ROOT_MARK} (run it in the repository, or pass --inventory DIR)")
    return value


def inventory_option(func: F) -> F:
    return click.option("--inventory", "inventory", type=click.Path(path_type=Path, file_okay=False),
                        default=INVENTORY, envvar=INVENTORY_ENV, show_default=True, callback=_inventory_found,
                        help="The inventory directory (default: the repository's, found from any folder "
                             "inside it).")(func)


def limit_option(func: F) -> F:
    return click.option("--limit", "limits", multiple=True, metavar="EXPR",
                        help="district:NAME, school:ID, site:NAME, role:NAME, kind:NAME or host:GLOB "
                             "(globs allowed, repeatable; a host matching any is selected).")(func)


def no_cache_option(func: F) -> F:
    return click.option("--no-cache", "no_cache", is_flag=True,
                        help="Neither read nor write .schoolnet-cache/ (the cold path, no fast path; "
                        "see docs/cache.md).")(func)


def format_option(*choices: str) -> Callable[[F], F]:
    machines = "/".join(choice for choice in choices if choice != "text")
    verb = "are" if "/" in machines else "is"
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True,
                        help=f"Output format; {machines} {verb} for machines." if machines else "Output format.")


def usage_error(message: str) -> NoReturn:
    click.echo(f"schoolnet: {message}", err=True)
    sys.exit(EXIT_USAGE)


def fail(problems: list[Problem]) -> NoReturn:
    """Print problems one line each and exit 1."""
    click.echo(output.as_text(problems), err=True)
    errors, warnings = output.summary_counts(problems)
    click.echo(f"✗ {errors} error(s), {warnings} warning(s)", err=True)
    sys.exit(EXIT_PROBLEMS)


def emit(problems: list[Problem], fmt: str, suite: str) -> None:
    """Print problems in the chosen format (the summary line is the caller's)."""
    from schoolnet.rulebook import RULES

    if fmt == "json":
        click.echo(output.as_json(problems))
    elif fmt == "junit":
        stage = suite.rsplit(".", 1)[-1]
        click.echo(output.as_junit(problems, [r for r in RULES.values() if r.stage == stage], suite))
    elif problems:
        click.echo(output.as_github(problems) if fmt == "github" else output.as_text(problems))
