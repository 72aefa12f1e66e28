"""Turn loaded documents into typed objects, reporting schema errors at file:line."""

from __future__ import annotations

import difflib
import gc
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from schoolnet.cache import Cache
from schoolnet.inventory.tree import InventoryFiles, load_tree
from schoolnet.inventory.yamlload import Document
from schoolnet.model.datacenter import Datacenter
from schoolnet.model.environment import Environment
from schoolnet.model.fleet import Fleet
from schoolnet.model.ledger import Ledger
from schoolnet.model.programme import Hardware, Programme
from schoolnet.model.school import School
from schoolnet.model.text import text_problems
from schoolnet.problems import InventoryError, Location, Problem
from schoolnet.rulebook import problem

M = TypeVar("M", bound=BaseModel)

# Problems that leave every object typed and usable: cross-object rules still run.
NON_BLOCKING = frozenset({"SN011", "SN901"})

_TYPE_ERRORS = {"string_type", "int_type", "float_type", "bool_type", "dict_type", "list_type",
                "model_type", "model_attributes_type", "date_type", "int_from_float", "none_required",
                "mapping_type", "is_instance_of"}
_YAML_NAMES = {True: "true", False: "false", None: "null"}


def load_fleet(root: Path, cache: Cache | None = None) -> tuple[Fleet | None, list[Problem]]:
    """Load and type the inventory at `root`; the fleet is None if a core file is unusable."""
    with gc_paused():
        files = load_tree(root, cache)
        return build_fleet(files)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Millions of small objects that all live on: the cyclic collector would rescan them over and
    over while they are built (measured: most of the load time at 5,000 schools).  Pause it, then
    freeze what was built so later collections skip it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def build_fleet(files: InventoryFiles) -> tuple[Fleet | None, list[Problem]]:
    problems = list(files.problems)
    absent = list(files.unloaded)  # and those that load but do not type
    documents: dict[int, Document] = {}
    cache = files.cache
    # A school's typed form depends on its bytes and on the programme's defaults per kind.
    programme_sha = files.programme.sha256 if files.programme is not None else ""

    def typed(doc: Document | None, cls: type[M], defaults: Programme | None = None) -> M | None:
        if doc is None:
            return None
        entry = typed_entry(cls, doc.sha256, programme_sha)
        obj = cache.get(entry) if cache is not None and doc.sha256 else None
        if not isinstance(obj, cls):
            try:
                obj = cls.model_validate(apply_defaults(doc.data, defaults) if defaults is not None else doc.data)
            except ValidationError as exc:
                problems.extend(schema_problems(exc, doc, cls))
                absent.append(doc.name)
                return None
            if cache is not None and doc.sha256:
                cache.put(entry, obj)  # only what typed cleanly: a schema error is found again next time
        if doc.suspect:  # its bytes may hold a line break or control character in a value (model/text.py)
            problems.extend(text_problems(obj, doc))
        documents[id(obj)] = doc
        return obj

    programme = typed(files.programme, Programme)
    hardware = typed(files.hardware, Hardware)
    ledger = typed(files.ipam, Ledger)
    datacenters = [dc for doc in files.datacenters if (dc := typed(doc, Datacenter)) is not None]
    schools = []
    for doc in files.schools:
        school = typed(doc, School, programme)
        if school is not None:
            problems.extend(_placement(school, doc))
            schools.append(school)
    environments = {doc.path.stem: env for doc in files.environments if (env := typed(doc, Environment)) is not None}
    if programme is None or hardware is None or ledger is None:
        return None, problems
    schools.sort(key=lambda s: s.id)
    fleet = Fleet(files.root, programme, hardware, ledger, schools, datacenters, documents, environments,
                  absent=tuple(sorted(absent)))
    return fleet, problems


def typed_entry(cls: type[BaseModel], sha256: str, programme_sha256: str) -> str:
    """The cache entry of a file's typed object: a school's also depends on the programme's defaults."""
    return f"typed-{cls.__name__}-{sha256}-{programme_sha256 if cls is School else ''}"


def is_complete(problems: list[Problem]) -> bool:
    """True when every file loaded and typed, so cross-object rules see the whole fleet."""
    return all(p.code in NON_BLOCKING for p in problems)


def load_fleet_or_raise(root: Path) -> Fleet:
    fleet, problems = load_fleet(root)
    if fleet is None or not is_complete(problems):
        raise InventoryError(problems)
    return fleet


def apply_defaults(data: Any, programme: Programme) -> Any:
    """Fill a school's devices and tablets with the programme's defaults per kind."""
    if not isinstance(data, dict):
        return data
    defaults: dict[Any, Any] = dict(programme.defaults)
    result = dict(data)
    devices = data.get("devices")
    if isinstance(devices, list):
        result["devices"] = [_with_defaults(d, defaults.get(d.get("kind")) if isinstance(d, dict) else None)
                             for d in devices]
    tablets = data.get("tablets")
    if isinstance(tablets, list) and "tablet" in defaults:
        result["tablets"] = [_with_defaults(t, defaults["tablet"]) for t in tablets]
    return result


def _with_defaults(item: Any, defaults: Any) -> Any:
    if defaults is None or not isinstance(item, dict):
        return item
    filled = dict(item)
    if defaults.model is not None and "model" not in filled:
        filled["model"] = defaults.model
    return filled


def _placement(school: School, doc: Document) -> list[Problem]:
    parts = doc.path.parts
    if parts[-1] == f"{school.id}.yaml" and parts[-2] == school.district:
        return []
    return [problem("SN011", doc.location(("id",)),
                    f"school {school.id} of district {school.district} is in {'/'.join(parts[-3:])}",
                    f"move it to schools/{school.district}/{school.id}.yaml")]


def schema_problems(exc: ValidationError, doc: Document, cls: type[BaseModel]) -> list[Problem]:
    """One problem per pydantic error, with the rule code that names its kind."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        where = doc.location(loc)
        kind = error["type"]
        if kind == "extra_forbidden":
            key = loc[-1] if loc else "?"
            known = sorted(_fields_at(cls, loc[:-1]))
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
            problems.append(problem("SN008", where, f"unknown key '{key}'", hint))
        elif kind == "missing":
            problems.append(problem("SN009", doc.location(loc[:-1]), f"'{_dotted(loc)}' is required",
                                    f"add {loc[-1]}:"))
        elif kind in _TYPE_ERRORS:
            problems.append(_type_problem(error, loc, where, doc))
        else:
            problems.append(problem("SN010", where, f"{_dotted(loc) or 'document'}: {error['msg']}",
                                    _value_hint(error)))
    return problems


def _type_problem(error: Any, loc: tuple[Any, ...], where: Location, doc: Document) -> Problem:
    value = error.get("input")
    field = _dotted(loc) or "document"
    if error["type"] == "string_type" and not isinstance(value, (dict, list)):
        written = doc.token_at(where) or _YAML_NAMES.get(value, str(value))
        return problem("SN007", where,
                       f"{field}: YAML reads {written} as {_yaml_reading(value)}, but text is expected",
                       f'quote it: "{written}"')
    got = "a mapping" if isinstance(value, dict) else "a list" if isinstance(value, list) else type(value).__name__
    return problem("SN007", where, f"{field}: {error['msg'].lower()}, got {got}", "fix the value's type")


def _yaml_reading(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return f"the {'boolean' if value is not None else 'value'} {_YAML_NAMES[value]}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f"a {type(value).__name__} ({value})"


def _value_hint(error: Any) -> str:
    ctx = error.get("ctx") or {}
    if "expected" in ctx:
        return f"use one of {ctx['expected']}"
    return "fix the value"


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _fields_at(cls: Any, loc: tuple[Any, ...]) -> set[str]:
    """The field names of the model found by following `loc` from `cls`."""
    current: Any = cls
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[-1] if args else current
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            args = typing.get_args(current)
            current = args[-1] if args else current
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return set(current.model_fields)
    return set()


def _unwrap(tp: Any) -> Any:
    """Strip Optional and Annotated wrappers."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = options[0] if len(options) == 1 else tp
            if len(options) != 1:
                return tp
        else:
            return tp
