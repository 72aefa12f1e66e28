"""What a change does to the fleet, entity by entity, and which hosts' rendered files it alters.

Two revisions are loaded and validated as every command does; their entities are compared
by the declarations in `changes.kinds` (identity, compared attributes, parent), secrets by
name and value (values never leave this process), templates and role deploys by content;
then `changes.hosts` renders what may differ on both sides.  Each change names the hosts it
accounts for by scope: a school's own hosts and the data center's, a role's hosts, the hosts
whose files hold a secret.  A file that changed with nothing it describes changing is said
too, so a reviewer never wonders whether a diff was missed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from schoolnet.changes.hosts import Affected, HostFacts, RenderFailed, Side, affected_hosts
from schoolnet.changes.kinds import KINDS, TABLET_STATES, Kind, Record, counted
from schoolnet.changes.model import Change, SideError, relabelled
from schoolnet.changes.revisions import ROLES, TEMPLATES, Commit, Snapshot
from schoolnet.changes.secrets import compare_secrets
from schoolnet.model.fleet import Fleet
from schoolnet.model.school import School
from schoolnet.problems import InventoryError, Location
from schoolnet.render.templates import PLACEHOLDER, discover
from schoolnet.rulebook import problem
from schoolnet.secrets.store import SECRETS_FILE, SopsSecrets
from schoolnet.validate import load_for_action

AREA_ORDER = ("programme", "datacenter", "school", "environments", "templates", "roles", "secrets", "files", "hosts")
KIND_ORDER = {kind.name: index for index, kind in enumerate(KINDS)}
# Inventory files a school host's template context does not depend on (besides its own school's file).
NOT_RENDERED = ("schools/", "environments/", SECRETS_FILE, ".sops.yaml", "ipam.yaml")


@dataclass
class Report:
    base: Snapshot
    head: Snapshot
    changes: list[Change]
    hosts: dict[str, list[str]]  # every affected host -> the paths of its files that differ
    titles: dict[str, str]  # area -> heading
    commits: list[Commit] = field(default_factory=list)  # base..head, newest first


def compare(base: Snapshot, head: Snapshot, workdir: Path, prune: bool = True,
            progress: Callable[[str, int, int], None] | None = None) -> Report:
    """Every change from `base` to `head`; `workdir` is private scratch space for the renders.  `progress` is
    told (stage, done, total) as each side is loaded and its hosts digested and rendered."""
    secrets = f"{base.repository.inventory}/{SECRETS_FILE}"
    store = SopsSecrets(base.inventory / SECRETS_FILE)  # decrypted once when both sides hold the same file
    stores = (store, store if base.files.get(secrets) == head.files.get(secrets) else
              SopsSecrets(head.inventory / SECRETS_FILE))
    old = load(base, "base", stores[0], progress)
    new = load(head, "head", stores[1], progress)
    touched = touched_schools(old.fleet, new.fleet, base, head)
    changes = with_notes(entity_changes(old, new, base, head, touched), old.fleet, new.fleet)
    secret_changes, changed_secrets = compare_secrets(base, head, *stores)
    template_changes = file_changes(base, head, TEMPLATES, _template_sentence, "templates", "template")
    changes += secret_changes + template_changes + file_changes(base, head, ROLES, _role_sentence, "roles", "none")
    only = None  # the hosts that may differ, when that can be told from which files changed
    if prune and not changed_secrets and not template_changes and fleet_inputs_equal(old.fleet, new.fleet, base, head):
        only = {h.hostname for f in (old.fleet, new.fleet) for h in f.hosts if h.school is None or h.site in touched}
    changed_templates = {c.subject for c in template_changes}
    inventory_changed = any(kind in ("school", "site", "fleet") for c in changes for kind, _ in c.scopes)
    try:
        affected = affected_hosts(old, new, changed_secrets, changed_templates, workdir, prune, only,
                                  inventory_changed, progress)
    except RenderFailed as exc:
        snapshot = base if exc.side is old else head
        raise SideError(snapshot, [relabelled(p, snapshot) for p in exc.problems]) from None
    changes = attribute(changes, affected, school_items(old, new))
    changes += leftover_files(base, head, old.fleet, new.fleet, changes)
    changes += unexplained(changes, affected)
    changes.sort(key=_order)
    commits = base.repository.commits(base.commit, head.commit) if base.commit else []
    return Report(base, head, changes, affected.paths, titles(old.fleet, new.fleet, changes), commits)


def load(snapshot: Snapshot, name: str, store: SopsSecrets,
         progress: Callable[[str, int, int], None] | None = None) -> Side:
    """The revision's fleet, validated like any command that acts; problems name repository paths."""
    if progress is not None:
        progress(f"loading {name} ({snapshot.label})", 0, 1)
    try:
        fleet = load_for_action(snapshot.inventory)
        specs = discover(snapshot.templates)
    except InventoryError as exc:
        raise SideError(snapshot, [relabelled(p, snapshot) for p in exc.problems]) from None
    except ValueError as exc:  # a template header that does not read
        source, _, message = str(exc).partition(":1: ")
        found = problem("SN703", Location(source, 1, 1), message, "see docs/templates.md")
        raise SideError(snapshot, [found]) from None
    if progress is not None:
        progress(f"loading {name} ({snapshot.label})", 1, 1)
    return Side(name, fleet, snapshot.templates, specs, store)


# --- entities ----------------------------------------------------------------------------------------


class _Sources:
    """file:line of records, with each file named as the repository names it (computed once per file)."""

    def __init__(self, fleet: Fleet, snapshot: Snapshot) -> None:
        self.fleet, self.snapshot = fleet, snapshot
        self._names: dict[int, str] = {}

    def file(self, owner: Any) -> str:
        if id(owner) not in self._names:
            self._names[id(owner)] = self.snapshot.relative(self.fleet.doc(owner).path)
        return self._names[id(owner)]

    def line(self, owner: Any, path: tuple[Any, ...]) -> str:
        return f"{self.file(owner)}:{self.fleet.doc(owner).location(path).line}"

    def kept(self, record: Record) -> bool:
        """Files git ignores in the working tree (the lab's environment) are not part of a change."""
        return self.file(record.owner) in self.snapshot.files


def touched_schools(old: Fleet, new: Fleet, base: Snapshot, head: Snapshot) -> set[str]:
    """Schools whose file or address differs between the sides, or that one side lacks."""
    def files(fleet: Fleet, snapshot: Snapshot) -> dict[str, str | None]:
        return {s.id: snapshot.files.get(snapshot.relative(fleet.doc(s).path)) for s in fleet.schools}

    before, after = files(old, base), files(new, head)
    ledger_before, ledger_after = old.ledger.allocations, new.ledger.allocations
    return {school for school in before.keys() | after.keys()
            if before.get(school) != after.get(school) or before.get(school) is None
            or ledger_before.get(school) != ledger_after.get(school)}


def fleet_inputs_equal(old: Fleet, new: Fleet, base: Snapshot, head: Snapshot) -> bool:
    """Whether everything a school host's context holds besides its own school is the same on both sides:
    the programme, the catalog, the data center's files, the ledger's supernet (render/context.py)."""
    top = f"{base.repository.inventory}/"
    names = {p for p in (*base.files, *head.files) if p.startswith(top)}
    shared = [p for p in names if not p.removeprefix(top).startswith(NOT_RENDERED)]
    return old.ledger.supernet == new.ledger.supernet and all(base.files.get(p) == head.files.get(p) for p in shared)


def entity_changes(old: Side, new: Side, base: Snapshot, head: Snapshot, touched: set[str]) -> list[Change]:
    """Compare every kind's records; a school whose file is the same on both sides is not read again."""
    before, after = _Sources(old.fleet, base), _Sources(new.fleet, head)
    schools_before = [s for s in old.fleet.schools if s.id in touched]
    schools_after = [s for s in new.fleet.schools if s.id in touched]
    compared = []
    for kind in KINDS:
        was = {r.key: r for r in reversed(list(kind.records(old.fleet, schools_before))) if before.kept(r)}
        now = {r.key: r for r in reversed(list(kind.records(new.fleet, schools_after))) if after.kept(r)}
        compared.append((kind, was, now))
    added = {(k.name, key) for k, was, now in compared for key in now.keys() - was.keys()}
    removed = {(k.name, key) for k, was, now in compared for key in was.keys() - now.keys()}
    changes = []
    for kind, was, now in compared:
        for key in sorted(now.keys() - was.keys()):
            if now[key].parent not in added:
                changes.append(_one(kind, None, now[key], "added", kind.added(now[key]), before, after))
        for key in sorted(was.keys() - now.keys()):
            if was[key].parent not in removed:
                changes.append(_one(kind, was[key], None, "removed", kind.removed(was[key]), before, after))
        for key in sorted(was.keys() & now.keys()):
            diffs = kind.diff(was[key], now[key])
            if diffs:
                action, sentence = kind.changed(was[key], now[key], diffs)
                changes.append(_one(kind, was[key], now[key], action, sentence, before, after, diffs[0][0],
                                    {a: [o, n] for a, o, n in diffs}))
    return changes


def with_notes(changes: list[Change], old: Fleet, new: Fleet) -> list[Change]:
    """What follows from a change that no rendered file says: where a removed school's tablets went, and the
    steps a replaced switch needs before it is managed (its host key pinned, its configuration pushed)."""
    result = []
    for change in changes:
        if change.kind == "school" and change.action == "removed" and change.subject in old.schools_by_id:
            trail = tablet_trail(old.schools_by_id[change.subject], new)
            notes = tuple(line for _, line in trail)
            details = change.details | {"tablets": [[serial for serial, _ in trail],
                                                    [line.partition(": ")[2].rstrip(".") for _, line in trail]]}
            change = replace(change, notes=notes, details=details)
        elif change.kind == "device" and change.action == "replaced" and change.sentence.startswith("Switch "):
            limit = f"host:{change.subject}"
            change = replace(change, notes=(
                f"The new switch is not managed until its host key is pinned and its configuration pushed: "
                f"schoolnet switches onboard --env ENV --limit {limit}, then "
                f"schoolnet switches push --env ENV --limit {limit}.",))
        result.append(change)
    return result


def tablet_trail(school: School, new: Fleet) -> list[tuple[str, str]]:
    """(serial, "Tablet SERIAL (slot N, STATUS): where it is now") for each of a removed school's tablets, as the
    new side has it: at another school, in a data center's stock, or not in the inventory any more."""
    if not school.tablets:
        return []
    at_school = {t.serial: (s.id, t) for s in new.schools for t in s.tablets}
    in_stock = {t.serial: (d.site, t) for d in new.datacenters for t in getattr(d, "stock", [])}
    trail = []
    for tablet in sorted(school.tablets, key=lambda t: t.slot):
        was = f"Tablet {tablet.serial} (slot {tablet.slot}, {TABLET_STATES.get(tablet.status, tablet.status)})"
        if tablet.serial in at_school:
            where, now = at_school[tablet.serial]
            said = f"now at {where}, slot {now.slot}, {TABLET_STATES.get(now.status, now.status)}"
        elif tablet.serial in in_stock:
            site, stocked = in_stock[tablet.serial]
            said = f"now in the stock of {site}" + ("" if stocked.status == "in_stock" else
                                                     f", {TABLET_STATES.get(stocked.status, stocked.status)}")
        else:
            said = "not in the inventory any more"
        trail.append((tablet.serial, f"{was}: {said}."))
    return trail


def _one(kind: Kind, was: Record | None, now: Record | None, action: str, sentence: str, before: _Sources,
         after: _Sources, attribute: str | None = None, details: dict[str, list[Any]] | None = None) -> Change:
    record = now or was
    assert record is not None
    sources = after if now is not None else before
    if details is None:
        details = {a: ([None, v] if now is not None else [v, None]) for a, v in record.values.items()}
    files = frozenset(([before.file(was.owner)] if was else []) + ([after.file(now.owner)] if now else []))
    areas = dict.fromkeys(r.area for r in (was, now) if r is not None)  # two when it moved between schools
    scopes = tuple(s for a in areas if (s := _scope(a)) is not None) if kind.renders(list(details)) else ()
    return Change(kind.name, action, _subject(kind, record), record.area, sentence, details,
                  sources.line(record.owner, kind.where(record, attribute)), scopes=scopes, files=files)


def _subject(kind: Kind, record: Record) -> str:
    if kind.name == "circuit":
        return str(record.values["circuit_id"])
    return record.key


def _scope(area: str) -> tuple[str, str] | None:
    kind, _, key = area.partition(":")
    return {"school": ("school", key), "datacenter": ("site", key), "programme": ("fleet", "")}.get(kind)


# --- secrets, templates, role deploys -----------------------------------------------------------------


def _template_sentence(path: str, action: str, role: str) -> str:
    return f"Template {path} {action} (role {role})."


def _role_sentence(path: str, action: str, role: str) -> str:
    return f"Role deploy {path} {action} (role {role})."


def file_changes(base: Snapshot, head: Snapshot, top: str, sentence: Callable[[str, str, str], str], kind: str,
                 scope: str) -> list[Change]:
    """Templates (scoped to the hosts with files from them) or role deploys (which render nothing), by content."""
    changes = []
    for path, action in _differing(base, head, f"{top}/"):
        if kind == "templates":
            role = path.split("/")[1]
        else:
            role = Path(path).stem.replace("_", "-")
            if role.startswith("__"):
                continue
        changes.append(Change(kind.rstrip("s"), action, path, kind, sentence(path, action, role), source=path,
                              scopes=((scope, path),) if scope == "template" else (), files=frozenset({path})))
    return changes


def _differing(base: Snapshot, head: Snapshot, prefix: str) -> Iterable[tuple[str, str]]:
    names = {p for p in (*base.files, *head.files) if p.startswith(prefix)}
    for path in sorted(names):
        was, now = base.files.get(path), head.files.get(path)
        if was != now:
            yield path, "added" if was is None else "removed" if now is None else "changed"


# --- hosts, leftovers, order --------------------------------------------------------------------------


def attribute(changes: list[Change], affected: Affected, items: dict[str, tuple[str, str]]) -> list[Change]:
    """Credit each changed file of each affected host to the changes that caused it.

    A file is in a change's scope when the change's scope holds its host (a school's own hosts and the data
    center's; a data-center file rendered once per school, such as the MDM's `enrollment/<school>.json`, only
    for that school's changes), or, for a template or secret, when the file comes from that template or holds
    that secret.  When several inventory changes hold a file in scope, each run of differing lines (with the
    lines around it) is credited to the changes it names (a serial, a hostname, a MAC, a port, a circuit:
    `_markers`), among those of the school it names; a run that names none is credited to all of them."""
    inventory = [i for i, c in enumerate(changes) if any(k in ("school", "site", "fleet") for k, _ in c.scopes)]
    others = [i for i, c in enumerate(changes) if any(k in ("template", "secret") for k, _ in c.scopes)]
    schools = {i: {key for kind, key in changes[i].scopes if kind == "school"} for i in inventory}
    markers = {i: _markers(changes[i]) for i in inventory}
    credited: dict[int, dict[str, list[str]]] = {}
    for host, paths in affected.paths.items():
        facts = affected.facts[host]
        for path in paths:
            files = [f for f in affected.files.get(host, {}).get(path, (None, None)) if f is not None]
            templates, secrets = {f.template for f in files}, {s for f in files for s in f.secrets}
            item = next((_item_key(path, items[t]) for t in sorted(templates) if t in items), None)
            found = set()
            if facts.by_others:
                found |= {i for i in others if any(key in (templates if k == "template" else secrets)
                                                   for k, key in changes[i].scopes)}
            if facts.by_inventory:
                held = [i for i in inventory if any(_holds(k, key, facts, item, affected.shared_changed)
                                                    for k, key in changes[i].scopes)]
                if host in affected.one_sided:  # a host added or removed: by its school's or its own entry, if said
                    held = [i for i in held if _makes(changes[i], host, facts)] or held
                found |= _by_lines(held, schools, markers, functools.partial(affected.hunks, host, path))
            for index in found:
                credited.setdefault(index, {}).setdefault(host, []).append(path)
    result = []
    for index, change in enumerate(changes):
        rendered = {h: tuple(p) for h, p in sorted(credited.get(index, {}).items())}
        result.append(replace(change, hosts=tuple(rendered), rendered=rendered))
    return result


def _makes(change: Change, host: str, facts: HostFacts) -> bool:
    """Whether the change adds or removes the host itself: its school's or its device's entry."""
    return change.action in ("added", "removed") and (
        (change.kind == "school" and change.subject == facts.school) or change.subject == host)


def _holds(kind: str, key: str, facts: HostFacts, item: str | None, shared_changed: bool) -> bool:
    """Whether an inventory change of this scope can have changed this file of this host."""
    if kind == "school":
        return facts.school == key or (facts.school is None and item in (None, key))
    if kind == "site":
        return facts.school is None or shared_changed
    return kind == "fleet"


def _item_key(path: str, pattern: tuple[str, str]) -> str | None:
    """The school a per-school file is rendered for (`enrollment/__item__.json`), from its path."""
    prefix, suffix = pattern
    if path.startswith(prefix) and path.endswith(suffix) and len(path) > len(prefix) + len(suffix):
        return path[len(prefix):len(path) - len(suffix)]
    return None


def school_items(*sides: Side) -> dict[str, tuple[str, str]]:
    """Templates rendered once per school (`each=schools`): source -> (path before, after the school id)."""
    found = {}
    for side in sides:
        for specs in side.specs.values():
            for spec in specs:
                if spec.each == "schools" and PLACEHOLDER in spec.destination:
                    prefix, _, suffix = spec.destination.partition(PLACEHOLDER)
                    found[spec.source] = (prefix, suffix)
    return found


IDENTIFYING = re.compile(r"[0-9:/.]")  # a value with a digit, a colon, a slash or a dot names one thing


def _markers(change: Change) -> frozenset[str]:
    """What a changed line that this change caused would show: its subject (a serial, a hostname, a circuit)
    and its values that name one thing (a MAC, a port, an address); a school's own fields as written."""
    values = [] if change.kind in ("school", "address") else [change.subject.rsplit("/", 1)[-1]]
    for attribute, pair in change.details.items():
        if attribute in ("school", "site"):  # where it is, not what it is: its scope says that
            continue
        for value in pair:
            if isinstance(value, str) and len(value) >= 4 and (change.kind == "school" or IDENTIFYING.search(value)):
                values.append(value)
    return frozenset(v.lower() for v in values)


def _by_lines(held: list[int], schools: dict[int, set[str]], markers: dict[int, frozenset[str]],
              hunks: Callable[[], list[str]]) -> set[int]:
    """Which of the changes that hold a file in scope its differing runs of lines name, each with the lines around
    it (all of them when a run names none): the file is read only when more than one could have changed it."""
    if len(held) <= 1:
        return set(held)
    named = sorted({s for i in held for s in schools[i]}, key=len, reverse=True)
    pattern = re.compile("|".join(f"{re.escape(s)}(?![0-9])" for s in named)) if len(named) > 1 else None
    found: set[int] = set()
    for line in hunks() or [""]:
        pool = held
        if pattern is not None:
            mentioned = set(pattern.findall(line))
            if mentioned:
                pool = [i for i in held if not schools[i] or schools[i] & mentioned]
        low = line.lower()
        found.update([i for i in pool if any(m in low for m in markers[i])] or pool)
        if len(found) == len(held):
            break
    return found


def leftover_files(base: Snapshot, head: Snapshot, old: Fleet, new: Fleet, changes: list[Change]) -> list[Change]:
    """Inventory files that differ with no change said about them: in form only, or files the model
    does not read (such as inventory/.sops.yaml)."""
    said = {f for c in changes for f in c.files} | {f"{base.repository.inventory}/{SECRETS_FILE}"}
    left = [(path, action) for path, action in _differing(base, head, f"{base.repository.inventory}/")
            if path not in said]
    if not left:
        return []
    modelled = {base.relative(d.path) for d in old.documents.values()} \
        | {head.relative(d.path) for d in new.documents.values()}
    result = []
    for path, action in left:
        if action == "changed" and path in modelled:
            sentence = f"File {path} changed in form only (comments or layout); nothing it describes changed."
            action = "reformatted"
        else:
            sentence = f"File {path} {action}."
        result.append(Change("file", action, path, "files", sentence, source=path, files=frozenset({path})))
    return result


def unexplained(changes: list[Change], affected: Affected) -> list[Change]:
    """Hosts whose files differ that no change accounts for: said, never hidden (it should not happen)."""
    left = sorted(set(affected.paths) - {h for c in changes for h in c.hosts})
    if not left:
        return []
    return [Change("hosts", "changed", "unexplained", "hosts", f"Rendered files change on "
                   f"{counted(len(left), 'host', 'hosts')} with no change above to account for it.", hosts=tuple(left))]


def _order(change: Change) -> tuple[int, str, int, str, str]:
    area, _, key = change.area.partition(":")
    return (AREA_ORDER.index(area) if area in AREA_ORDER else len(AREA_ORDER), key,
            KIND_ORDER.get(change.kind, len(KIND_ORDER)), change.subject, change.action)


def titles(old: Fleet, new: Fleet, changes: list[Change]) -> dict[str, str]:
    districts = {d.id: d.name for f in (old, new) for d in f.programme.districts}
    schools = old.schools_by_id | new.schools_by_id
    sites = {d.site: d for f in (old, new) for d in f.datacenters}
    fixed = {"programme": "Programme, catalog and address ledger", "environments": "Environments",
             "templates": "Templates", "roles": "Role deploys", "secrets": "Secrets", "files": "Other files",
             "hosts": "Rendered files"}
    result = {}
    for change in changes:
        area, _, key = change.area.partition(":")
        if area == "school":
            school = schools.get(key)
            result[change.area] = f"{key} · {school.name} ({districts.get(school.district, school.district)})" \
                if school else key
        elif area == "datacenter":
            result[change.area] = f"Data center {key} · {sites[key].name}" if key in sites else f"Data center {key}"
        else:
            result[change.area] = fixed.get(area, area)
    return result
