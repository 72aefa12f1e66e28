"""Inventory text is one line of printable text, unless its schema says it is multi-line.

A line break, a carriage return or any other control character inside a value would let the value
write lines of its own into the configurations rendered from it (a school name becoming a `username`
line on a switch, a circuit id an ifupdown stanza that runs as root), and a bidirectional override
makes a value read otherwise than it is.  So no string of the inventory may hold a C0 or C1 control
character, DEL, U+2028/U+2029, or a bidirectional mark, embedding, override or isolate; a field whose
schema is `MultilineText` may hold line breaks (and nothing else of these).  Each value that breaks
this is SN013 at its own file:line, which blocks render and every acting command.

Only files whose bytes could hold such a value are looked at value by value (yamlload's
MAY_HOLD_UNPRINTABLE): the rest cannot, whatever they hold.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from schoolnet.inventory.yamlload import Document, PathKey
from schoolnet.problems import Problem
from schoolnet.rulebook import LOAD, declare, problem

declare("SN013", "text-not-one-line", "A text value holds a line break, a carriage return, a tab or another "
        "control character, or a bidirectional override: inventory text is one line of printable text, so "
        "that no value can write lines of its own into a rendered configuration.",
        bad='name: "Sadarak school No. 1\\nusername backdoor privilege 15"', good="name: Sadarak school No. 1",
        stage=LOAD)

MULTILINE = "x-schoolnet-multiline"  # in a field's json_schema_extra: its text may hold line breaks
# DEL, the C1 controls, the line and paragraph separators, the bidirectional marks, embeddings,
# overrides and isolates; with the C0 controls (all of them, or all but the line feed)
_OTHERS = "\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
ONE_LINE = re.compile(f"[\x00-\x1f{_OTHERS}]")
MULTI_LINE = re.compile(f"[\x00-\x09\x0b-\x1f{_OTHERS}]")


def text_problems(obj: BaseModel, doc: Document) -> list[Problem]:
    """SN013 for each string of a typed file's object that is not the text its field allows."""
    return [problem("SN013", doc.location(path), f"{_dotted(path)}: {what}",
                    "write it on one line of printable text: no line break, tab, control or bidirectional "
                    "character")
            for path, what in _strings(obj, (), False)]


def _strings(value: Any, path: PathKey, multiline: bool) -> Iterator[tuple[PathKey, str]]:
    if isinstance(value, str):
        found = (MULTI_LINE if multiline else ONE_LINE).search(value)
        if found:
            yield path, f"{_describe(found.group())} at character {found.start() + 1}"
    elif isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            extra = info.json_schema_extra
            allowed = isinstance(extra, dict) and bool(extra.get(MULTILINE))
            yield from _strings(getattr(value, name), (*path, name), allowed)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, (*path, key), False)
            yield from _strings(item, (*path, key), multiline)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index), multiline)


def _describe(character: str) -> str:
    name = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab"}.get(character)
    code = f"U+{ord(character):04X}"
    return f"{name} ({code})" if name else f"{unicodedata.name(character, 'a control character')} ({code})"


def _dotted(path: PathKey) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".") or "document"
