"""Progress of a long stage on stderr: one line rewritten in place at a terminal, a line per tenth in a log."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import click

Progress = Callable[[int, int], None]


def counter(verb: str, in_logs: bool = False, interval: float = 0.1) -> Progress:
    """`verb done/total`; at a terminal redrawn at most every `interval` seconds, and ended with a newline.
    In a log (CI) nothing, or with `in_logs` a line at each tenth: the log shows a long job moving without a
    line per item."""
    at_terminal = sys.stderr.isatty()
    last = [0.0, -1]  # when the line was last drawn, and the last tenth written to a log

    def report(done: int, total: int) -> None:
        if total <= 0:
            return
        if at_terminal:
            now = time.monotonic()
            if done == total or now - last[0] >= interval:
                last[0] = now
                click.echo(f"\r  {verb} {done:,}/{total:,}", err=True, nl=done == total)
            return
        if not in_logs:
            return
        tenth = done * 10 // total
        if tenth > last[1] and (tenth > 0 or done == total):
            last[1] = tenth
            click.echo(f"  {verb} {done:,}/{total:,}", err=True)

    return report


def stages(in_logs: bool = False) -> Callable[[str, int, int], None]:
    """Progress of several stages, each its own `counter` line: `report(stage, done, total)`."""
    lines: dict[str, Progress] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in lines:
            lines[stage] = counter(stage, in_logs)
        lines[stage](done, total)

    return report
