"""Write a plan: bulk, sequential, chunked, in dependency order; deletes last, in reverse.

Ids of created objects come back from the create response, so nothing is read again.
NetBox checks a bulk request all-or-nothing: when a chunk is refused, the error names the
object (its index or id in the request) and this module names it back with its inventory
file:line.  Deletes run last because NetBox cascades: deleting a renamed device first would
take with it the addresses and MACs git moves to its successor.  A unique value (an asset
tag, a site name) that a doomed object holds and git gives to another is released first.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pynetbox

from schoolnet.netbox import applied, books
from schoolnet.netbox.client import endpoint, request_count, tags_of, talking
from schoolnet.netbox.desired import Desired
from schoolnet.netbox.errors import NetboxError
from schoolnet.netbox.mapping import (
    BY_NAME,
    STEPS,
    TAG,
    TYPES,
    Attr,
    Key,
    Kind,
    ObjectType,
    Value,
    key_text,
    show,
)
from schoolnet.netbox.plan import Change, Plan
from schoolnet.netbox.ports import made_by_netbox


def _chunk() -> int:
    """Objects per request: large enough to amortise a request, small enough to report progress; another size
    through SCHOOLNET_NETBOX_CHUNK (benchmarks/netbox.py measured several)."""
    value = os.environ.get("SCHOOLNET_NETBOX_CHUNK", "")
    return int(value) if value.isdigit() and int(value) > 0 else 250


CHUNK = _chunk()
Say = Callable[[str], None]


@dataclass
class ApplyResult:
    written: dict[str, dict[str, int]] = field(default_factory=dict)  # {type: {create|update|delete|adopt: n}}
    requests: int = 0
    seconds: float = 0.0

    def count(self, type_name: str, action: str, n: int) -> None:
        actions = self.written.setdefault(type_name, {})
        actions[action] = actions.get(action, 0) + n


class _Writer:
    def __init__(self, api: Any, plan: Plan, say: Say) -> None:
        self.api = api
        self.say = say
        self.result = ApplyResult()
        # every object NetBox has, owned or not, can be pointed at; created ones join as they come back
        self.ids: dict[str, dict[Key, int]] = {
            name: {key: current.id for key, current in objects.items()} for name, objects in plan.state.objects.items()}
        self.tags: dict[int, list[int]] = {}  # current tags of objects being adopted
        self.books = plan.state.books
        self.marks: dict[tuple[str, Key], dict[str, str]] = {}  # digests of what a body being sent writes
        # per object, the digests its schoolnet_applied holds after its latest write: the late passes add theirs
        self.written: dict[tuple[str, Key], dict[str, str]] = {}
        self.created: dict[str, set[Key]] = {}  # what this apply created, per type
        self.desired = plan.desired

    def resolve(self, target: str, key: Key, change: Change) -> int:
        oid = self.ids.get(target, {}).get(key)
        if oid is None:
            raise NetboxError(f"{change.location}: {change.name} refers to {target} {key_text(key)}, which NetBox "
                              "does not have (was it refused earlier in this apply?)")
        return oid

    def body(self, object_type: ObjectType, attrs: dict[str, Value], change: Change) -> dict[str, Any]:
        """attrs in NetBox's write form: references as ids, empty optional values as null."""
        body: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for name, value in attrs.items():
            attr = object_type.attr(name)
            if attr.custom:
                custom[name] = None if value == "" else value
            elif attr.kind is Kind.REF:
                body[name] = self.resolve(attr.target or "", value, change) if isinstance(value, tuple) else None
            elif attr.kind is Kind.GENERIC:
                oid = self.resolve(attr.target or "", value, change) if isinstance(value, tuple) else None
                body[f"{name}_type"] = attr.target if oid is not None else None
                body[f"{name}_id"] = oid
            elif attr.kind is Kind.ENDPOINT:
                end = attr.points_at(value)
                body[name] = [] if end is None else [
                    {"object_type": end[0], "object_id": self.resolve(end[0], end[1], change)}]
            elif attr.kind is Kind.OPT_TEXT:
                body[name] = value or None
            elif attr.kind is Kind.CHOICE:
                body[name] = value or ""
            elif attr.kind is Kind.LIST:
                body[name] = list(value) if isinstance(value, tuple) else []
            elif attr.kind is Kind.REFS:
                body[name] = [self.resolve(attr.target or "", (v,), change) for v in value] \
                    if isinstance(value, tuple) else []
            elif attr.kind is Kind.JSON:
                body[name] = json.loads(value) if isinstance(value, str) else {}
            else:
                body[name] = value
        if custom:
            body["custom_fields"] = custom
        return body

    def mark(self, object_type: ObjectType, change: Change, written: dict[str, str]) -> None:
        """Note the digests of what the object holds once this write lands; booked when NetBox took it."""
        if object_type.tagged:
            self.marks[(object_type.name, change.key)] = written

    def book(self, object_type: ObjectType, changes: list[Change]) -> None:
        """Book what NetBox took (books.py), and write the books it changed: a run that stops after this type
        leaves books that match what NetBox holds."""
        for change in changes:
            written = self.marks.pop((object_type.name, change.key), None)
            oid = self.ids.get(object_type.name, {}).get(change.key)
            if written is not None and oid is not None:
                self.books.record(object_type.name, oid, written)
        self.flush()

    def flush(self) -> None:
        """Write the changed books: one request per book (created the first time)."""
        documents = self.books.documents()
        if not documents:
            return
        contexts = self.api.extras.config_contexts
        with talking(self.api, "writing schoolnet's books"):
            updates = [{"id": self.books.ids[name], "data": data} for name, data in documents.items()
                       if name in self.books.ids]
            creates = [{"name": name, "description": books.DESCRIPTION, "is_active": False, "weight": 0,
                        "data": data} for name, data in documents.items() if name not in self.books.ids]
            for start in range(0, len(updates), 4):  # a book is up to a megabyte: a few per request
                contexts.update(updates[start:start + 4])
            for start in range(0, len(creates), 4):
                for record in contexts.create(creates[start:start + 4]):
                    self.books.ids[str(record.name)] = int(record.id)

    def early(self, object_type: ObjectType, change: Change, made: int | None = None) -> dict[str, Any]:
        """The first write of a change: everything but references to types not written yet.  `made`: the id of
        the object NetBox made itself for a create (a templated port of a new device): written whole, and tagged."""
        assert change.want is not None
        want = change.want.attrs
        late = {a.name for a in object_type.attrs if a.late}
        attrs: dict[str, Value]
        if made is not None:
            attrs = {n: v for n, v in want.items() if n not in late}  # every value: the template's are not git's
            written = {n: d for n, d in applied.digests(want).items() if n not in late or want[n] is None}
            body = {"id": made, **self.body(object_type, attrs, change), "tags": [self.tag_id()]}
        elif change.action == "create":
            attrs = {n: v for n, v in want.items() if n not in late and v not in (None, "")}
            written = {n: d for n, d in applied.digests(want).items() if n not in late or want[n] is None}
            body = self.body(object_type, attrs, change)
            if object_type.tagged:
                body["tags"] = [self.tag_id()]
        else:
            assert change.have is not None
            attrs = {n: new for n, (_, new) in change.fields.items() if n not in late}
            written = {n: d for n, d in applied.digests(want).items() if n not in late or n not in change.fields}
            for name in (n for n in late if n in change.fields):  # a late field still to set: as it is now
                if change.have.attrs.get(name) is not None:
                    written[name] = applied.digest(None)  # _release emptied it
                elif name in change.have.applied:
                    written[name] = change.have.applied[name]
            body = {"id": change.id, **self.body(object_type, attrs, change)}
            if change.action == "adopt" and object_type.tagged:  # a set-up object is adopted by its description
                body["tags"] = sorted({*self.tags.get(change.id or 0, []), self.tag_id()})
        self.mark(object_type, change, written)
        self.written[(object_type.name, change.key)] = written
        return body

    def late(self, object_type: ObjectType, change: Change, names: list[str]) -> dict[str, Any] | None:
        """A later write: late references (a parent port, primary_ip4, primary_mac_address), now that their targets
        exist; the digests record them as written and the others as the earlier writes left them."""
        assert change.want is not None
        if change.action == "create":
            attrs = {n: change.want.attrs[n] for n in names if change.want.attrs[n] is not None}
        else:
            attrs = {n: change.want.attrs[n] for n in names if n in change.fields}
        if not attrs:
            return None
        body = {"id": self.ids[object_type.name][change.key], **self.body(object_type, attrs, change)}
        written = {**self.written.get((object_type.name, change.key), applied.digests(change.want.attrs)),
                   **{n: applied.digest(change.want.attrs[n]) for n in attrs}}
        self.written[(object_type.name, change.key)] = written
        self.mark(object_type, change, written)
        return body

    def tag_id(self) -> int:
        return self.ids["extras.tag"][(TAG,)]

    def send(self, object_type: ObjectType, verb: str, bodies: list[Any], changes: list[Change]) -> list[Any]:
        """One verb over chunks; a refused chunk names the object NetBox refused."""
        method = getattr(endpoint(self.api, object_type), verb)
        results: list[Any] = []
        for start in range(0, len(bodies), CHUNK):
            chunk, about = bodies[start:start + CHUNK], changes[start:start + CHUNK]
            with talking(self.api, f"writing {object_type.name}"):
                try:
                    answer = method(chunk)
                except pynetbox.RequestError as exc:
                    if exc.req.status_code == 400:
                        raise refused(exc, verb, about) from None
                    raise
            results.extend(answer if isinstance(answer, list) else [])
            if len(bodies) > CHUNK:
                self.say(f"{object_type.name}: {verb} {min(start + CHUNK, len(bodies))}/{len(bodies)}")
        return results


def refused(exc: Any, verb: str, changes: list[Change]) -> NetboxError:
    """Which object of a refused chunk NetBox complained about, with its inventory line."""
    try:
        body = exc.req.json()
    except ValueError:
        body = exc.req.text
    errors = body.get("errors") if isinstance(body, dict) else body
    culprit: Change | None = changes[0] if len(changes) == 1 else None
    detail: Any = body
    if isinstance(errors, list):
        for position, error in enumerate(errors):
            if not error:
                continue
            if isinstance(error, dict) and "index" in error:
                position, error = int(error["index"]), error.get("errors", error)
            elif isinstance(error, dict) and "id" in error:
                culprit = next((c for c in changes if c.id == error["id"]), culprit)
                detail = error.get("errors", error)
                break
            culprit, detail = changes[position] if position < len(changes) else culprit, error
            break
    reason = "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in detail.items()) \
        if isinstance(detail, dict) else str(detail)
    if culprit is None:
        return NetboxError(f"NetBox refused a {verb} of {len(changes)} objects: {reason[:300]}")
    where = culprit.location or f"(not in git; NetBox id {culprit.id})"
    return NetboxError(f"{where}: NetBox refused to {verb} {culprit.name}: {reason[:300]} "
                       "(fix the value in the inventory, or the conflicting object in NetBox)")


def apply_plan(api: Any, plan: Plan, say: Say, overwrite_drift: bool = False) -> ApplyResult:
    """Write every change of `plan`; refuses while NetBox holds hand edits unless overwrite_drift."""
    if plan.drift and not overwrite_drift:
        first = plan.drift[0]
        objects = len({(d.type, d.key) for d in plan.drift})
        raise NetboxError(
            f"{len(plan.drift)} field(s) of {objects} object(s) were edited in NetBox since schoolnet wrote them "
            f"(first: {first.location}: {first.type} {key_text(first.key)} {first.field}: git {show(first.git)}, "
            f"NetBox {show(first.netbox)}); see `schoolnet netbox drift`, then put the change in git or apply "
            "with --overwrite-drift")
    foreign = [c for c in plan.unowned if not BY_NAME[c.type].tagged]
    if foreign:
        raise NetboxError(
            f"NetBox holds {foreign[0].name}, which schoolnet did not make (its description is not schoolnet's): "
            "schoolnet would change it, and with the tag, take objects tagged by others for its own; rename it in "
            "NetBox, or apply with --adopt to make it schoolnet's")
    started, before = time.monotonic(), request_count(api)
    writer = _Writer(api, plan, say)
    by_type: dict[str, list[Change]] = {}
    for change in plan.changes:
        by_type.setdefault(change.type, []).append(change)
    for held in plan.state.objects.values():  # digests an earlier version kept on the objects: into the books
        for current in held.values():
            if current.legacy:
                writer.books.record(current.type, current.id, current.applied)
    _release(writer, by_type, plan.desired)
    for step in STEPS:
        object_type = BY_NAME[step.type]
        changes = [c for c in by_type.get(step.type, []) if c.action != "delete"]
        if step.late:
            names = [a.name for a in step.attrs()]
            late = [(c, body) for c in changes if (body := writer.late(object_type, c, names)) is not None]
            if late:
                say(f"{step.type}: setting {', '.join(names)} on {len(late)}")
                writer.send(object_type, "update", [b for _, b in late], [c for c, _ in late])
                writer.book(object_type, [c for c, _ in late])
            continue
        if step.type in DELETED_FIRST:
            _delete(writer, object_type, by_type)
        _write_type(writer, object_type, changes)
    for object_type in reversed(TYPES):
        if object_type.name not in DELETED_FIRST:
            _delete(writer, object_type, by_type)
    writer.flush()
    writer.result.requests = request_count(api) - before
    writer.result.seconds = time.monotonic() - started
    return writer.result


# Types whose deletes go before their creates: a port holds one cable, so the cable git replaces (another switch
# on the edge server's trunk, a renamed device's) must leave the port before the new one is plugged in; nothing
# points at a cable, so nothing is lost by deleting it first.
DELETED_FIRST = frozenset({"dcim.cable"})


def _delete(writer: _Writer, object_type: ObjectType, by_type: dict[str, list[Change]]) -> None:
    deletes = [c for c in by_type.get(object_type.name, []) if c.action == "delete"]
    if deletes:
        writer.say(f"{object_type.name}: deleting {len(deletes)}")
        writer.send(object_type, "delete", [c.id for c in deletes], deletes)
        writer.result.count(object_type.name, "delete", len(deletes))
        for change in deletes:
            writer.books.forget(object_type.name, change.id or 0)


def _release(writer: _Writer, by_type: dict[str, list[Change]], desired: Desired) -> None:
    """Free what NetBox will not let move while it is held, before anything is written:
    - what objects about to be deleted hold and git gives to others: a renamed device's asset tag and rack slot,
      the primary address it points at (the deletes come last, so the new holder would be refused otherwise);
    - the primary MAC of an interface and the primary address of a device that git changes: NetBox refuses to
      move a MAC or an address that is some object's primary, so two kept devices swapping them would never
      converge.  The late pass sets the new primaries.
    What a release writes is recorded as written (the applied digests), so a run that stops in between leaves no
    false drift."""
    for object_type in TYPES:
        changes = by_type.get(object_type.name, [])
        given = {(group, tuple(c.want.attrs[n] for n in group)) for c in changes if c.want is not None
                 for group in object_type.unique}
        late = [a for a in object_type.attrs if a.late]
        bodies, released = [], []
        for change in (c for c in changes if c.action in ("delete", "update") and c.have is not None):
            assert change.have is not None
            body: dict[str, Any] = {"id": change.id}
            freed: list[str] = []
            if change.action == "delete":
                for group in object_type.unique:
                    held = tuple(change.have.attrs.get(n) for n in group)
                    if all(v not in (None, "") for v in held) and (group, held) in given:
                        body |= {n: _released(object_type.attr(n), change) for n in group
                                 if not object_type.attr(n).is_ref}
                for attr in late:
                    if change.have.attrs.get(attr.name) in desired.objects.get(attr.target or "", {}):
                        body[attr.name] = None
            else:
                for attr in late:
                    if attr.name in change.fields and change.have.attrs.get(attr.name) is not None:
                        body[attr.name] = None
                        freed.append(attr.name)
            if len(body) > 1:
                if freed and object_type.tagged:
                    writer.marks[(object_type.name, change.key)] = {
                        **change.have.applied, **{n: applied.digest(None) for n in freed}}
                bodies.append(body)
                released.append(change)
        if bodies:
            writer.say(f"{object_type.name}: releasing what {len(bodies)} object(s) hold, before it moves")
            writer.send(object_type, "update", bodies, released)
            writer.book(object_type, released)


def _released(attr: Attr, change: Change) -> Any:
    """A value that frees the slot: none where NetBox allows it, else the old one marked as going."""
    if attr.kind is Kind.TEXT:
        return f"{str(change.have.attrs[attr.name] if change.have else '')[:70]} (deleting #{change.id})"
    return None


def _write_type(writer: _Writer, object_type: ObjectType, changes: list[Change]) -> None:
    creates = [c for c in changes if c.action == "create"]
    made = made_by_netbox(writer.api, object_type, creates, writer.desired, writer.ids, writer.created)
    if made:  # ports NetBox made from the device types' templates when this apply created their devices
        taken = [c for c in creates if c.key in made]
        creates = [c for c in creates if c.key not in made]
        writer.say(f"{object_type.name}: owning {len(taken)} that NetBox made from the device types' ports")
        writer.send(object_type, "update", [writer.early(object_type, c, made[c.key]) for c in taken], taken)
        writer.ids.setdefault(object_type.name, {}).update(made)
        writer.book(object_type, taken)
        writer.result.count(object_type.name, "create", len(taken))
    if creates:
        writer.say(f"{object_type.name}: creating {len(creates)}")
        bodies = [writer.early(object_type, c) for c in creates]
        records = writer.send(object_type, "create", bodies, creates)
        for change, record in zip(creates, records, strict=True):
            writer.ids.setdefault(object_type.name, {})[change.key] = int(record.id)
            writer.created.setdefault(object_type.name, set()).add(change.key)
        writer.book(object_type, creates)
        writer.result.count(object_type.name, "create", len(creates))
    for action in ("update", "adopt"):
        updates = [c for c in changes if c.action == action]
        if updates and action == "adopt" and object_type.tagged:
            writer.tags = tags_of(writer.api, object_type, [c.id for c in updates if c.id is not None])
        if updates:
            bodies = [writer.early(object_type, c) for c in updates]
            # an update that only books digests (NetBox holds git's values already) writes no object
            sent = [(c, b) for c, b in zip(updates, bodies, strict=True) if set(b) != {"id"}]
            if sent:
                writer.say(f"{object_type.name}: {'updating' if action == 'update' else 'adopting'} {len(sent)}")
                writer.send(object_type, "update", [b for _, b in sent], [c for c, _ in sent])
            writer.book(object_type, updates)
            writer.result.count(object_type.name, action, len(updates))
