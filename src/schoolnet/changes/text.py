"""A change report as text for a terminal, markdown for a pull-request comment, or JSON for machines."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from schoolnet.changes.compare import Report
from schoolnet.changes.model import Change
from schoolnet.changes.revisions import Snapshot, short

HOSTS_INLINE = 10  # text: names shown before "and N more"
HOSTS_OPEN = 5  # markdown: more than this many hosts are folded into <details>
HOSTS_FOLDED = 200  # markdown: names listed in the fold (a GitHub comment holds 65,536 characters); the JSON has all
# How the summary counts each kind (one, many); a kind not listed is counted as "1 tablet", "2 tablets".
WORDS = {"defaults": ("defaults change", "defaults changes"), "vlan": ("VLAN", "VLANs"),
         "hardware": ("hardware model", "hardware models"), "dc-device": ("data-center device", "data-center devices"),
         "address": ("address", "addresses"), "environment-host": ("environment host", "environment hosts"),
         "secrets": ("secrets file", "secrets files"), "hosts": ("unexplained host group", "unexplained host groups"),
         "programme": ("programme change", "programme changes"), "ledger": ("ledger change", "ledger changes"),
         "role": ("role deploy", "role deploys"), "stock": ("stock tablet", "stock tablets")}
# What would turn inventory text into markup in a GitHub comment, each backslash-escaped (CommonMark allows it
# for any ASCII punctuation): emphasis and code (* _ ` ~), links and images ([ ]), HTML and entities (< > &), a
# table cell (|), a heading (#), a mention (@), math ($), an autolink (: in https://, and www. below).
MARKDOWN_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_~[]<>&|#@$:"})
# A control character, line or paragraph separator or bidirectional override in inventory text is shown as
# its escape (\n, \u202e), never acted on by a terminal or a page: it cannot start a line of its own.
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


FILES_INLINE = 2  # a host's files named after it, up to this many; more are counted
COMMITS_INLINE = 20  # text and markdown: commits listed before "and N older"


def hosts_phrase(hosts: tuple[str, ...] | list[str], inline: int | None = HOSTS_INLINE,
                 rendered: dict[str, tuple[str, ...]] | None = None) -> str:
    """`rendered files change on 2 hosts: a (/etc/x), b (3 files)`: each host with the files credited to it."""
    if not hosts:
        return "no host's rendered files change"
    shown = list(hosts) if inline is None else list(hosts)[:inline]
    more = f" and {len(hosts) - len(shown)} more" if len(shown) < len(hosts) else ""
    named = [f"{h}{_files(rendered.get(h, ()))}" if rendered else h for h in shown]
    return f"rendered files change on {_count(len(hosts), 'host', 'hosts')}: {', '.join(named)}{more}"


def _files(paths: tuple[str, ...]) -> str:
    if not paths:
        return ""
    return f" ({', '.join(paths)})" if len(paths) <= FILES_INLINE else f" ({len(paths)} files)"


def commit_lines(report: Report) -> list[str]:
    """`a1b2c3d4e5 2026-11-30 Author: subject`, newest first; the working tree's uncommitted edits last."""
    return [f"{short(c.commit)} {c.date[:10]} {c.author}: {c.subject}"
            for c in report.commits[:COMMITS_INLINE]] + commit_tail(report)


def commit_tail(report: Report) -> list[str]:
    lines = []
    if len(report.commits) > COMMITS_INLINE:
        lines.append(f"and {len(report.commits) - COMMITS_INLINE:,} older commits (the JSON lists them all)")
    if report.head.commit is None:
        lines.append("and what is not committed in the working tree")
    return lines


def groups(changes: list[Change]) -> Iterator[list[Change]]:
    """Runs of changes of one kind that name the same hosts and files, said once for the run."""
    run: list[Change] = []
    for change in changes:
        if run and (run[0].notes or change.notes or (change.kind, change.rendered) != (run[0].kind, run[0].rendered)):
            yield run
            run = []
        run.append(change)
    if run:
        yield run


def group_title(run: list[Change]) -> str:
    first = run[0]
    area, _, key = first.area.partition(":")
    where = f" at {key}" if area in ("school", "datacenter") else ""
    return f"{_count(len(run), *WORDS.get(first.kind, (first.kind, f'{first.kind}s')))} changed{where}"


def summary(report: Report) -> str:
    changes = report.changes
    if not changes:
        return f"No changes from {report.base.label} to {report.head.label}."
    kinds = Counter(c.kind for c in changes)
    counted = ", ".join(_count(n, *WORDS.get(k, (k, f"{k}s"))) for k, n in _by_order(kinds, changes))
    hosts = _count(len(report.hosts), "host", "hosts")
    return (f"{_count(len(changes), 'change', 'changes')} from {report.base.label} to {report.head.label} "
            f"({counted}); rendered files change on {hosts}.")


def as_text(report: Report) -> str:
    lines = [visible(summary(report))]
    if report.commits:
        lines += ["", f"Commits ({len(report.commits):,}), newest first:"]
        lines += [f"  {visible(line)}" for line in commit_lines(report)]
    for title, changes in _grouped(report):
        lines += ["", visible(title)]
        for run in groups(changes):
            if len(run) == 1:
                change = run[0]
                lines.append(f"  {visible(change.sentence)}")
                where = f"{change.source} · " if change.source else ""
                lines.append(f"    {where}{hosts_phrase(change.hosts, rendered=change.rendered)}")
                lines += [f"    {visible(note)}" for note in change.notes]
                continue
            lines.append(f"  {visible(group_title(run))}; {hosts_phrase(run[0].hosts, rendered=run[0].rendered)}")
            for change in run:
                lines.append(f"    {visible(change.sentence)}")
                if change.source:
                    lines.append(f"      {change.source}")
    return "\n".join(lines)


def as_markdown(report: Report) -> str:
    lines = ["### schoolnet changes", "", _markdown_summary(report)]
    if report.commits:
        lines += ["", f"{len(report.commits):,} commit{'' if len(report.commits) == 1 else 's'}, newest first:", ""]
        lines += [f"- `{short(c.commit)}` {c.date[:10]} {_escaped(c.author)}: {_escaped(c.subject)}"
                  for c in report.commits[:COMMITS_INLINE]]
        lines += [f"- {line}" for line in commit_tail(report)]
    for title, changes in _grouped(report):
        lines += ["", f"#### {_escaped(title)}", ""]
        for run in groups(changes):
            if len(run) == 1:
                change = run[0]
                lines.append(f"- {_escaped(change.sentence)}  ")
                where = f"`{change.source}` · " if change.source else ""
                lines += _markdown_hosts(change, f"  {where}")
                lines += [f"  {_escaped(note)}  " for note in change.notes]
                continue
            lines.append(f"- **{_escaped(group_title(run))}**  ")
            lines += _markdown_hosts(run[0], "  ")
            for change in run:
                where = f" `{change.source}`" if change.source else ""
                lines.append(f"  - {_escaped(change.sentence)}{where}")
    return "\n".join(lines) + "\n"


def _markdown_hosts(change: Change, lead: str) -> list[str]:
    hosts = change.hosts
    if len(hosts) <= HOSTS_OPEN:
        names = ", ".join(f"`{h}`" + (f" ({', '.join(f'`{p}`' for p in change.rendered.get(h, ()))})"
                                       if 0 < len(change.rendered.get(h, ())) <= FILES_INLINE else "")
                          for h in hosts)
        return [f"{lead}{'rendered files change on ' + names if names else _escaped(hosts_phrase(()))}"]
    names = ", ".join(f"`{h}`" for h in hosts[:HOSTS_FOLDED])
    more = f" and {len(hosts) - HOSTS_FOLDED:,} more" if len(hosts) > HOSTS_FOLDED else ""
    return [f"{lead}rendered files change on {len(hosts):,} hosts",
            f"  <details><summary>{len(hosts):,} hosts</summary>", "", f"  {names}{more}", "", "  </details>"]


def _markdown_summary(report: Report) -> str:
    def side(snapshot: Snapshot) -> str:
        if snapshot.commit is None:
            return "the working tree"
        named = "" if snapshot.commit.startswith(snapshot.name) else f"{_escaped(snapshot.name)} "
        return f"{named}`{short(snapshot.commit)}`"

    if not report.changes:
        return f"No changes from {side(report.base)} to {side(report.head)}."
    kinds = Counter(c.kind for c in report.changes)
    counted = ", ".join(_count(n, *WORDS.get(k, (k, f"{k}s")))
                        for k, n in _by_order(kinds, report.changes))
    return (f"**{_count(len(report.changes), 'change', 'changes')}** ({counted}) from {side(report.base)} to "
            f"{side(report.head)}; rendered files change on **{_count(len(report.hosts), 'host', 'hosts')}**.")


def as_json(report: Report) -> str:
    document: dict[str, Any] = {
        "base": _side(report.base), "head": _side(report.head),
        "summary": {"changes": len(report.changes), "hosts": len(report.hosts),
                    "kinds": dict(Counter(c.kind for c in report.changes))},
        "changes": [c.as_dict() for c in report.changes],
        "commits": [c.as_dict() for c in report.commits],
        "hosts": report.hosts,
    }
    return json.dumps(document, indent=2, sort_keys=True, default=str)


def _side(snapshot: Snapshot) -> dict[str, Any]:
    return {"commit": snapshot.commit, "name": snapshot.name}


def _grouped(report: Report) -> Iterator[tuple[str, list[Change]]]:
    groups: dict[str, list[Change]] = {}
    for change in report.changes:
        groups.setdefault(change.area, []).append(change)
    for area, changes in groups.items():
        yield report.titles.get(area, area), changes


def _by_order(kinds: Counter[str], changes: list[Change]) -> list[tuple[str, int]]:
    first: dict[str, int] = {}
    for index, change in enumerate(changes):
        first.setdefault(change.kind, index)
    return sorted(kinds.items(), key=lambda item: first[item[0]])


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


def visible(text: str) -> str:
    """Text as one line with nothing a terminal would act on: controls and separators as their escapes."""
    return UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _escaped(text: str) -> str:
    """Inventory text is data: in a pull-request comment it must not become markup, nor a line of its own."""
    return re.sub(r"(?i)\b(www)\.", r"\1\\.", visible(text).translate(MARKDOWN_SPECIAL))


FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json}
