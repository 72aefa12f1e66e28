"""Options and error handling shared by the subcommands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from schoolnet.cli import output
from schoolnet.problems import Problem

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CLEAN, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def inventory_option(func: F) -> F:
    return click.option("--inventory", "inventory", type=click.Path(path_type=Path, file_okay=False),
                        default=Path("inventory"), envvar="SCHOOLNET_INVENTORY", show_default=True,
                        help="The inventory directory.")(func)


def limit_option(func: F) -> F:
    return click.option("--limit", "limits", multiple=True, metavar="EXPR",
                        help="district:NAME, school:ID, site:NAME, role:NAME, kind:NAME or host:GLOB "
                             "(globs allowed, repeatable; a host matching any is selected).")(func)


def no_cache_option(func: F) -> F:
    return click.option("--no-cache", "no_cache", is_flag=True,
                        help="Neither read nor write .schoolnet-cache/ (the cold path, no fast path; "
                        "see docs/cache.md).")(func)


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True,
                        help="Output format; json/junit/github are for machines.")


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
