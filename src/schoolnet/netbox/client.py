"""Talking to NetBox: connect, read the current state, and turn every failure into one line.

The state is read per type with NetBox 4's field selection (`?fields=`: only what the
mapping compares) in pages of 1,000 with cursor pagination (no COUNT per page), and which
objects schoolnet owns as `?tag=schoolnet&fields=id` (nested tags on every object cost more
than all other fields together), so a no-change plan of the reference programme is about
three requests per type.  `fields=` still renders references as nested brief objects, not
ids; they, choice dicts and custom fields are normalised into the shape desired.py gives its
attrs: a reference becomes the referenced object's key.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pynetbox
import requests
from pynetbox.core.query import Request
from requests.adapters import HTTPAdapter

from schoolnet.netbox import applied, books
from schoolnet.netbox.errors import NetboxError
from schoolnet.netbox.mapping import (
    APPLIED,
    SETUP_MARKS,
    TAG,
    TYPES,
    Attr,
    Key,
    Kind,
    ObjectType,
    Value,
    canonical,
    key_of,
)

PAGE = 1000  # NetBox's default MAX_PAGE_SIZE
READERS = 2  # types read at once: NetBox's workers answer in parallel (writes stay sequential)
TIMEOUT = 300.0  # seconds; a bulk write of 250 devices takes 15-60 s on 2 cores (a delete is the slowest)


class _Adapter(HTTPAdapter):
    """Never waits forever, and counts requests (a plan reports how many it took)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0
        self._lock = threading.Lock()  # types are read two at a time

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["timeout"] = kwargs.get("timeout") or TIMEOUT
        with self._lock:
            self.requests += 1
        return super().send(request, **kwargs)


def connect(url: str, token: str) -> Any:
    """A pynetbox API for `url` (with or without /api) whose requests time out and are counted."""
    base = url.rstrip("/")
    api = pynetbox.api(base.removesuffix("/api"), token=token)  # pynetbox adds /api itself
    adapter = _Adapter()
    api.http_session.mount("http://", adapter)
    api.http_session.mount("https://", adapter)
    return api


def request_count(api: Any) -> int:
    """Requests made so far through an API from `connect` (0 for any other)."""
    session = getattr(api, "http_session", None)
    adapter = session.get_adapter(api.base_url) if isinstance(session, requests.Session) else None
    return adapter.requests if isinstance(adapter, _Adapter) else 0


@contextmanager
def talking(api: Any, what: str) -> Iterator[None]:
    """Turn a failed conversation with NetBox into one NetboxError line: what, where, how to fix."""
    url = getattr(api, "base_url", "NetBox")
    try:
        yield
    except requests.exceptions.Timeout:
        raise NetboxError(f"NetBox at {url} did not answer within {TIMEOUT:.0f} s while {what}; "
                          "check that it is running (schoolnet netbox status)") from None
    except requests.exceptions.ConnectionError as exc:
        reason = str(exc.args[0]) if exc.args else type(exc).__name__
        raise NetboxError(f"NetBox at {url} is unreachable while {what} ({reason[:120]}); start it with "
                          "`schoolnet netbox up` or check the URL") from None
    except pynetbox.RequestError as exc:
        status = exc.req.status_code
        if status in (401, 403):
            raise NetboxError(f"NetBox at {url} refused the token ({status}: {error_text(exc)}) while {what}: "
                              "check the API token (v2 tokens read nbt_<key>.<secret>) and that its user may write"
                              ) from None
        raise NetboxError(f"NetBox at {url} answered {status} while {what}: {error_text(exc)}") from None
    except pynetbox.ContentError:
        raise NetboxError(f"{url} answered {what} without JSON: is it a NetBox API URL (ending in /api)?") from None


def error_text(exc: Any) -> str:
    """NetBox's error body in one short line."""
    try:
        body = exc.req.json()
    except ValueError:
        return str(exc.req.text)[:300]
    return str(body.get("detail", body) if isinstance(body, dict) else body)[:300]


def status(api: Any) -> dict[str, Any]:
    """NetBox's /api/status/: proves the URL and the token before anything is read or written."""
    with talking(api, "reading /api/status/"):
        result: dict[str, Any] = api.status()
    return result


def endpoint(api: Any, object_type: ObjectType) -> Any:
    return getattr(getattr(api, object_type.app), object_type.endpoint)


def rows(api: Any, url: str, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every object a list endpoint returns for `filters`, raw dicts, pages of PAGE by cursor."""
    request = Request(base=url, http_session=api.http_session, token=api.token, filters=filters, limit=PAGE,
                      pagination="cursor")
    yield from request.get()


@dataclass
class Current:
    """One object as NetBox holds it, in desired.py's shape."""

    type: str
    id: int
    key: Key
    attrs: dict[str, Value]
    owned: bool
    applied: dict[str, str]
    legacy: bool = False  # its digests came from the custom field of earlier versions: the next apply books them


@dataclass
class State:
    """Everything NetBox holds of the mapped types, owned or not, by type and key; ids to keys for references."""

    objects: dict[str, dict[Key, Current]] = field(default_factory=dict)
    ids: dict[str, dict[int, Key]] = field(default_factory=dict)
    requests: int = 0
    # owned objects NetBox holds twice under one key (two applies at once used to create both of a MAC, which
    # NetBox does not hold unique): the one kept in `objects` is the oldest, these are to delete
    twins: list[Current] = field(default_factory=list)
    books: books.Books = field(default_factory=books.Books)  # what schoolnet last wrote (books.py)

    def counts(self) -> dict[str, int]:
        return {name: sum(1 for c in objects.values() if c.owned) for name, objects in self.objects.items()}


def _ref(ids: dict[str, dict[int, Key]], target: str, content_type: str, oid: object) -> Key:
    if isinstance(oid, int) and content_type == target and oid in ids.get(target, {}):
        return ids[target][oid]
    return (f"{content_type}#{oid}",)  # not an object schoolnet knows: never equal to a desired key


def value_of(attr: Attr, row: dict[str, Any], ids: dict[str, dict[int, Key]]) -> Value:
    """One attr of a NetBox row in canonical form."""
    if attr.custom:
        return canonical(attr, (row.get("custom_fields") or {}).get(attr.name))
    if attr.kind is Kind.GENERIC:
        content_type, oid = row.get(f"{attr.name}_type"), row.get(f"{attr.name}_id")
        return None if oid is None else _ref(ids, attr.target or "", str(content_type), oid)
    raw = row.get(attr.name)
    if attr.kind is Kind.REFS:  # a list of nested objects; the target is identified by one field
        return canonical(attr, [_ref(ids, attr.target or "", attr.target or "",
                                     r.get("id") if isinstance(r, dict) else r)[0] for r in raw or []])
    if attr.kind is Kind.ENDPOINT:  # [{"object_type": "dcim.interface", "object_id": 7, ...}]: schoolnet's have one
        ends = raw if isinstance(raw, list) else []
        if not ends:
            return None
        if len(ends) > 1:  # a cable with two ports on one end is someone else's idea: never equal to git's
            return tuple(f"{e.get('object_type')}#{e.get('object_id')}" for e in ends)
        content_type, oid = str(ends[0].get("object_type")), ends[0].get("object_id")
        known = ids.get(content_type, {})
        return (content_type, *known[oid]) if isinstance(oid, int) and oid in known else (f"{content_type}#{oid}",)
    if attr.kind is Kind.REF:
        if raw is None:
            return None
        oid = raw.get("id") if isinstance(raw, dict) else raw
        return _ref(ids, attr.target or "", attr.target or "", oid)
    return canonical(attr, raw)


def _read_type(api: Any, object_type: ObjectType, tagged: bool, legacy: bool) -> tuple[list[dict[str, Any]], set[int]]:
    """A type's rows (only the compared fields) and the ids of the ones tagged schoolnet (none if the tag is not
    there yet: NetBox refuses a filter by a tag it does not have).  `legacy`: the custom field of earlier
    versions still holds digests, so custom fields are read for every tagged type."""
    names = object_type.fields
    if legacy and object_type.tagged and "custom_fields" not in names:
        names = [*names, "custom_fields"]
    with talking(api, f"reading {object_type.name}"):
        url = endpoint(api, object_type).url
        found = list(rows(api, url, {"fields": ",".join(names), **dict(object_type.read_filter)}))
        owned = {r["id"] for r in rows(api, url, {"tag": TAG, "fields": "id"})} if tagged else set()
    return found, owned


def read_state(api: Any, types: Sequence[ObjectType] = TYPES, workers: int = READERS) -> State:
    """NetBox's current objects of every mapped type: two requests per type and one per 1,000 objects more."""
    before = request_count(api)
    with talking(api, "reading extras.tag"):
        tag = any(True for _ in rows(api, api.extras.tags.url, {"slug": TAG, "fields": "id"}))
    with talking(api, "reading schoolnet's books"):
        legacy = any(True for _ in rows(api, api.extras.custom_fields.url, {"name": APPLIED, "fields": "id"}))
        state = State()
        for row in rows(api, api.extras.config_contexts.url,
                        {"name__isw": books.PREFIX, "fields": "id,name,description,data"}):
            if row.get("description") == books.DESCRIPTION:
                state.books.load(str(row["name"]), int(row["id"]), row.get("data"))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # NetBox serves reads on several workers
        results = pool.map(lambda t: _read_type(api, t, tag and t.tagged, legacy), types)
        read = dict(zip([t.name for t in types], results, strict=True))
    for object_type in types:  # keys first, in order: an identifier may be a reference to an earlier type
        index = state.ids.setdefault(object_type.name, {})
        for row in read[object_type.name][0]:
            identity = {name: value_of(object_type.attr(name), row, state.ids) for name in object_type.identifiers}
            index[row["id"]] = key_of(object_type, identity)
    for object_type in types:  # then attrs: late attrs point at later types
        objects = state.objects.setdefault(object_type.name, {})
        found, owned = read[object_type.name]
        for row in found:
            mine = row["id"] in owned if object_type.tagged else row.get("description") in SETUP_MARKS
            current = _current(object_type, row, state.ids, mine, state.books)
            earlier = objects.get(current.key)
            if earlier is None or (current.owned and not earlier.owned):  # an owned twin wins
                objects[current.key] = current
            elif current.owned and earlier.owned:  # rows come in id order: the later one is the twin
                state.twins.append(current)
    state.requests = request_count(api) - before
    return state


def _current(object_type: ObjectType, row: dict[str, Any], ids: dict[str, dict[int, Key]], owned: bool,
             kept: books.Books) -> Current:
    attrs = {attr.name: value_of(attr, row, ids) for attr in object_type.attrs}
    written = kept.get(object_type.name, row["id"])
    legacy = written is None and APPLIED in (row.get("custom_fields") or {})
    if written is None:  # not booked yet: an object written by an earlier version carries them itself
        written = applied.parse((row.get("custom_fields") or {}).get(APPLIED))
    return Current(object_type.name, row["id"], ids[object_type.name][row["id"]], attrs, owned, written,
                   legacy and owned and bool(written))


def tags_of(api: Any, object_type: ObjectType, ids: list[int]) -> dict[int, list[int]]:
    """The tags objects carry now (adopting one adds schoolnet's to them, and a PATCH replaces the set)."""
    found: dict[int, list[int]] = {}
    for start in range(0, len(ids), PAGE // 10):
        with talking(api, f"reading the tags of {object_type.name}"):
            for row in rows(api, endpoint(api, object_type).url,
                            {"id": ids[start:start + PAGE // 10], "fields": "id,tags"}):
                found[row["id"]] = [int(t["id"]) for t in row.get("tags") or []]
    return found
