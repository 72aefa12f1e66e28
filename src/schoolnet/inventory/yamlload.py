"""Read one YAML file into plain data, keeping where every value was written.

PyYAML's C parser composes the node tree; this module turns nodes into plain
Python values and records each value's line and column by its path
(("tablets", 3, "mac") -> (41, 9)).  It is stricter than `yaml.safe_load`:
duplicate keys, unbounded alias expansion, non-UTF-8 bytes, empty files and
oversized files are errors with a rule code, never silent.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from schoolnet.cache import Cache
from schoolnet.problems import InventoryError, Location, Problem
from schoolnet.rulebook import problem

try:  # the C parser is many times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
ALIAS_ALLOWANCE = 10_000  # node visits allowed beyond the file's own size

PathKey = tuple[Any, ...]

_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_CONSTRUCTOR = SafeConstructor()
_SCALAR_CONSTRUCTORS = {
    tag: fn for tag, fn in SafeConstructor.yaml_constructors.items()
    if tag and tag.rsplit(":", 1)[-1] in {"null", "bool", "int", "float", "binary", "timestamp", "str"}
}


class _Loader(_BaseLoader):
    """The safe loader's tag resolution, without path resolvers (the schema never uses them).

    The parser asks Python to resolve every one of the ~400 nodes of a school file; at
    100,000 tablets those calls were a third of the load time.  Same answers, fewer steps."""

    _implicit = _BaseLoader.yaml_implicit_resolvers

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in self._implicit.get(value[:1], ()):
                    if regexp.match(value):
                        return str(tag)
            return _STR_TAG
        return _SEQ_TAG if kind is SequenceNode else _MAP_TAG


# What a value that is not one line of printable text needs in the file's bytes: an escape (a backslash
# in a double-quoted scalar), a block scalar (| or >), or the character itself: a C0 control but the line
# ends, DEL, a C1 control, U+2028/U+2029, a bidirectional mark, embedding, override or isolate.  A file
# with none of them holds no such value, and its values need not be looked at one by one (model/text.py).
MAY_HOLD_UNPRINTABLE = re.compile(rb"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f\\|>]|\xc2[\x80-\x9f]|\xd8\x9c"
                                  rb"|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]")


@dataclass
class Document:
    """One loaded file: its data and the line/column of every value in it."""

    path: Path
    name: str
    data: Any
    _text: str | None = field(repr=False, default=None)
    _marks: dict[PathKey, tuple[int, int]] | None = field(repr=False, default=None)
    sha256: str = ""  # of the bytes the data came from: the key of everything cached about this file
    suspect: bool = False  # its bytes may hold text that is not one line of printable text (look at each value)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.path.read_bytes().decode("utf-8").removeprefix("\ufeff")
        return self._text

    def drop_text(self) -> None:
        """Forget the text (it is re-read from `path` on demand); keeps documents light to pass around."""
        if self.path.is_file():
            self._text = None

    @property
    def marks(self) -> dict[PathKey, tuple[int, int]]:
        """Positions are recorded on first use only: a clean run never needs them."""
        if self._marks is None:
            self._marks = _recording_walk(_compose(self.text, self.name), self.name, len(self.text))[1]
        return self._marks

    def location(self, path: PathKey = ()) -> Location:
        """The location of `path`, or of its nearest written ancestor."""
        key = tuple(path)
        while key:
            mark = self.marks.get(key)
            if mark is not None:
                return Location(self.name, mark[0], mark[1])
            key = key[:-1]
        line, column = self.marks.get((), (1, 1))
        return Location(self.name, line, column)

    def token_at(self, location: Location) -> str:
        """The scalar as written at `location`, for messages like `YAML read no as false`."""
        lines = self.text.splitlines()
        if not 0 < location.line <= len(lines):
            return ""
        rest = lines[location.line - 1][location.column - 1:]
        for stop in (" #", ",", "]", "}"):
            if stop in rest:
                rest = rest[: rest.index(stop)]
        return rest.strip()


def display_name(path: Path) -> str:
    """A path people can click: relative to the working directory when inside it."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


def load_document(path: Path, name: str | None = None, max_bytes: int = MAX_FILE_BYTES,
                  cache: Cache | None = None) -> Document:
    """Read and parse `path`; with `cache`, bytes parsed before are not parsed again (positions are
    still found on demand, from the file)."""
    name = name or display_name(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _error("SN012", Location(name), f"cannot read the file: {exc.strerror}",
                     "check the path and its permissions") from None
    if size > max_bytes:
        raise _error("SN006", Location(name),
                     f"the file is {size:,} bytes, over the cap of {max_bytes:,}",
                     "split it; one school per file keeps files small")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    suspect = MAY_HOLD_UNPRINTABLE.search(raw) is not None
    entry = f"yaml-{digest}"
    if cache is not None and (data := cache.get(entry)) is not None:
        return Document(path, name, data[0], sha256=digest, suspect=suspect)
    text = _decode(raw, name)
    if not text.strip():
        raise _error("SN005", Location(name), "the file is empty", "write the document or delete the file")
    doc = parse_text(text, name, path)
    doc.sha256 = digest
    doc.suspect = suspect
    if cache is not None and doc._marks is None:  # only a file the fast walk took: nothing to report
        cache.put(entry, (doc.data,))
    return doc


def parse_text(text: str, name: str, path: Path | None = None) -> Document:
    """Parse without recording positions; anything unusual takes the recording walk, which reports it."""
    root = _compose(text, name)
    try:
        return Document(path or Path(name), name, _plain_data(root, len(text) + ALIAS_ALLOWANCE), text)
    except _NeedsPositions:
        data, marks = _recording_walk(root, name, len(text))
        return Document(path or Path(name), name, data, text, marks)


def _compose(text: str, name: str) -> Node:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise InventoryError([syntax_problem(exc, name, text)]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: its offset, not a mark
        before = text[: exc.position]
        location = Location(name, before.count("\n") + 1, exc.position - before.rfind("\n"))
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        raise _error("SN001", location, f"character U+{code:04X} is not allowed in YAML (a control "
                     "character)", "remove it; write text on one line of printable characters") from None
    except yaml.YAMLError as exc:
        raise _error("SN001", Location(name), str(exc), "fix the YAML syntax") from None
    if root is None:
        raise _error("SN005", Location(name), "the file holds only comments",
                     "write the document or delete the file")
    return root


# Constructs that open on one line and must be closed or completed later: when one is not, the parser
# notices where it gave up (often the next line, or the end of the file), but the fix is where it opened.
_OPENED = {
    "while parsing a flow sequence": ("the [ here is not closed", "close it with ]"),
    "while parsing a flow mapping": ("the { here is not closed", "close it with }"),
    "while scanning a quoted scalar": ("the quote here is not closed", "close it with the same quote"),
    "while scanning a simple key": ("this key has no colon", "write `key: value`"),
    "while scanning a block scalar": ("this | or > block is malformed", "fix the block's header"),
}


def syntax_problem(exc: yaml.MarkedYAMLError, name: str, text: str = "") -> Problem:
    """SN001 at the line where the broken construct starts: the `[`, `{` or quote left open, the key left
    without a colon (PyYAML's context mark), with the line where the parser gave up in the message.
    Elsewhere (a bad indent in a block, a stray character) the problem mark is the place to fix, unless
    a quote left open ran on into the next quoted value and the error came right after it."""
    context, found = str(exc.context or "").strip(), str(exc.problem or "").strip() or "invalid YAML"
    opened, stopped = exc.context_mark, exc.problem_mark
    where = f" at line {stopped.line + 1}, column {stopped.column + 1}" if stopped is not None else ""
    for prefix, (what, hint) in _OPENED.items():
        if context.startswith(prefix) and opened is not None:
            return problem("SN001", _at(name, opened), f"{what}; the parser stopped{where}: {found}", hint)
    if context.startswith("while parsing a flow") and stopped is not None:  # the end came inside a [ or {
        unclosed = _unclosed_bracket(text, stopped)
        if unclosed is not None:
            what, hint = _OPENED["while parsing a flow sequence" if isinstance(unclosed, yaml.FlowSequenceStartToken)
                                 else "while parsing a flow mapping"]
            return problem("SN001", _at(name, unclosed.start_mark), f"{what}; the parser stopped{where}: {found}", hint)
    runaway = _runaway_quote(text, stopped) if stopped is not None else None
    if runaway is not None:
        return problem("SN001", _at(name, runaway.start_mark), f"the quote here runs on to line "
                       f"{runaway.end_mark.line + 1}; the parser stopped{where}: {found}",
                       "close it on the line where it opens")
    hint = "fix the YAML syntax at this point"
    if stopped is None:
        return problem("SN001", _at(name, opened) if opened is not None else Location(name),
                       " ".join(part for part in (context, found) if part), hint)
    if not context or opened is None or opened.line == stopped.line:
        message = found if context.startswith("while ") else " ".join(part for part in (context, found) if part)
    elif context.startswith("while "):  # the enclosing block: where it starts helps read the indentation
        message = f"{found} (in {context.split(' ', 2)[-1]} that starts at line {opened.line + 1})"
    else:  # two places: the first named in the context, the second is this one
        message = f"{context} (line {opened.line + 1}), {found} here"
    return problem("SN001", _at(name, stopped), message, hint)


RUNAWAY_LINES = 2  # an error this close after a quoted value that spans lines is blamed on its opening quote


def _tokens_before(text: str, stopped: yaml.Mark) -> list[yaml.Token]:
    """The tokens the scanner reads before `stopped` (as many as it can: it may fail earlier than the parser)."""
    found: list[yaml.Token] = []
    try:
        for token in yaml.scan(text, Loader=_BaseLoader):
            if token.start_mark.index >= stopped.index:
                break
            found.append(token)
    except yaml.YAMLError:
        pass
    return found


def _unclosed_bracket(text: str, stopped: yaml.Mark) -> yaml.Token | None:
    """The innermost [ or { still open at `stopped`."""
    opened: list[yaml.Token] = []
    for token in _tokens_before(text, stopped):
        if isinstance(token, (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)):
            opened.append(token)
        elif isinstance(token, (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)) and opened:
            opened.pop()
    return opened[-1] if opened else None


def _runaway_quote(text: str, stopped: yaml.Mark) -> yaml.ScalarToken | None:
    """The last quoted value before `stopped` if it spans lines and ends just before it: a quote left open
    swallows the lines up to the next quote, and the parser only trips after that."""
    quoted = [t for t in _tokens_before(text, stopped) if isinstance(t, yaml.ScalarToken) and t.style in ('"', "'")]
    last = quoted[-1] if quoted else None
    if last is None or last.start_mark.line == last.end_mark.line:
        return None
    return last if 0 <= stopped.line - last.end_mark.line <= RUNAWAY_LINES else None


def _at(name: str, mark: yaml.Mark) -> Location:
    return Location(name, mark.line + 1, mark.column + 1)


class _NeedsPositions(Exception):
    """The fast walk met something to report (or a merge key): the recording walk takes over."""


def _plain_data(root: Node, budget: int) -> Any:
    """Node tree to data with no positions recorded: the path every clean file takes."""
    remaining = budget
    scalars, constructor = _SCALAR_CONSTRUCTORS, _CONSTRUCTOR

    def walk(node: Any, depth: int) -> Any:
        nonlocal remaining
        remaining -= 1
        if remaining < 0 or depth >= MAX_DEPTH:
            raise _NeedsPositions
        kind = node.__class__
        if kind is ScalarNode:
            if node.tag == _STR_TAG:
                return node.value
            build = scalars.get(node.tag)
            if build is None:
                raise _NeedsPositions
            try:
                return build(constructor, node)
            except (ValueError, yaml.YAMLError):
                return node.value
        if kind is SequenceNode:
            if node.tag != _SEQ_TAG:
                raise _NeedsPositions
            return [walk(item, depth + 1) for item in node.value]
        if node.tag != _MAP_TAG:
            raise _NeedsPositions
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode or key_node.tag == _MERGE_TAG:
                raise _NeedsPositions
            key = walk(key_node, depth + 1)
            if key in result:
                raise _NeedsPositions
            result[key] = walk(value_node, depth + 1)
        return result

    return walk(root, 0)


def _recording_walk(root: Node, name: str, size: int) -> tuple[Any, dict[PathKey, tuple[int, int]]]:
    walker = _Walker(name, budget=size + ALIAS_ALLOWANCE)
    walker.marks[()] = (root.start_mark.line + 1, root.start_mark.column + 1)
    return walker.value(root, (), 0), walker.marks


def _decode(raw: bytes, name: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _error("SN004", Location(name, line, column),
                     f"byte 0x{raw[exc.start]:02x} is not UTF-8",
                     "save the file as UTF-8 (iconv -f latin1 -t utf-8)") from None
    return text.removeprefix("\ufeff")


def _error(code: str, location: Location, message: str, hint: str) -> InventoryError:
    return InventoryError([problem(code, location, message, hint)])


class _Walker:
    """Turns a node tree into data, recording positions and reporting what the fast walk refused."""

    def __init__(self, name: str, budget: int) -> None:
        self.name = name
        self.budget = budget
        self.marks: dict[PathKey, tuple[int, int]] = {}

    def _where(self, node: Node) -> Location:
        return Location(self.name, node.start_mark.line + 1, node.start_mark.column + 1)

    def _top_level(self, path: PathKey, node: Node) -> Location:
        """The top-level key being expanded: an aliased node's own mark points at its anchor."""
        mark = self.marks.get(path[:1]) if path else None
        return Location(self.name, *mark) if mark else self._where(node)

    def value(self, node: Node, path: PathKey, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _error("SN003", self._top_level(path, node),
                         "anchors and aliases expand past the safety bound",
                         "do not nest aliases; shared values belong in programme.yaml defaults")
        if isinstance(node, ScalarNode):
            if node.tag == _STR_TAG:
                return node.value
            constructor = _SCALAR_CONSTRUCTORS.get(node.tag)
            if constructor is None:
                raise _error("SN001", self._where(node), f"unsupported YAML tag {node.tag}",
                             "write plain values without tags")
            try:
                return constructor(_CONSTRUCTOR, node)
            except (ValueError, yaml.YAMLError):
                return node.value  # e.g. 2025-13-45: left as text for the schema to reject precisely
        if depth >= MAX_DEPTH:
            raise _error("SN003", self._top_level(path, node), f"nesting deeper than {MAX_DEPTH} levels "
                         "(a recursive alias?)", "remove the recursive alias")
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                raise _error("SN001", self._where(node), f"unsupported YAML tag {node.tag}",
                             "write plain lists without tags")
            items = []
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.marks[child] = (item.start_mark.line + 1, item.start_mark.column + 1)
                items.append(self.value(item, child, depth + 1))
            return items
        assert isinstance(node, MappingNode)
        if node.tag != _MAP_TAG:
            raise _error("SN001", self._where(node), f"unsupported YAML tag {node.tag}",
                         "write plain mappings without tags")
        return self._mapping(node, path, depth)

    def _mapping(self, node: MappingNode, path: PathKey, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        explicit: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self._merge(result, explicit, value_node, path, depth)
                continue
            key = self.value(key_node, path, depth + 1)
            if isinstance(key, (dict, list)):
                raise _error("SN007", self._where(key_node), "a mapping key must be a plain value",
                             "use a string key")
            line = key_node.start_mark.line + 1
            if key in explicit:
                raise _error("SN002", self._where(key_node),
                             f"key {key!r} is already set at line {explicit[key]} of this mapping",
                             "keep one of them")
            explicit[key] = line
            child = (*path, key)
            mark_node = value_node if isinstance(value_node, ScalarNode) else key_node
            self.marks[child] = (mark_node.start_mark.line + 1, mark_node.start_mark.column + 1)
            result[key] = self.value(value_node, child, depth + 1)
        return result

    def _merge(self, result: dict[Any, Any], explicit: dict[Any, int], value_node: Node,
               path: PathKey, depth: int) -> None:
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            merged = self.value(source, path, depth + 1)
            if not isinstance(merged, dict):
                raise _error("SN007", self._where(source), "a merge key (<<) needs a mapping",
                             "merge an anchored mapping")
            for key, item in merged.items():
                if key not in explicit and key not in result:
                    result[key] = item
