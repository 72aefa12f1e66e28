"""Which hosts' rendered files a change alters: render both revisions and compare, file by file.

Rendering is deterministic: a host's files follow from its template context, the templates
of its roles and the values of the secrets its files hold, which is what the per-host inputs
digest of `render/freshness.py` covers (deploy's freshness gate trusts it the same way).  So
each side first digests every host's context and templates; only hosts whose digest differs,
hosts on one side only, and hosts whose context or templates name a secret whose value
changed are rendered, on both sides, and their files compared by sha256, mode and owner.
At 5,000 schools that renders a few dozen hosts instead of 17,000 twice.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from schoolnet.model.fleet import Fleet, Host
from schoolnet.problems import InventoryError, Problem
from schoolnet.render.context import ContextBuilder
from schoolnet.render.engine import load_manifest, render_fleet
from schoolnet.render.freshness import Inputs
from schoolnet.render.templates import TemplateSpec
from schoolnet.secrets.store import SecretStore

FileState = tuple[str, str, str, str]  # sha256, mode, owner, group
CONTEXT = 3  # lines around each differing run, as `diff -U3`


@dataclass
class Side:
    """One revision, loaded and validated, ready to render."""

    name: str  # "base" or "head": also the name of its build directory
    fleet: Fleet
    templates: Path
    specs: dict[str, list[TemplateSpec]]
    store: SecretStore

    @cached_property
    def hosts(self) -> dict[str, Host]:
        return {h.hostname: h for h in self.fleet.hosts}


@dataclass(frozen=True)
class Rendered:
    """One rendered file as the manifest records it."""

    state: FileState
    template: str
    secrets: frozenset[str]  # held or derived


HostFiles = dict[str, Rendered]  # path -> file


@dataclass(frozen=True)
class HostFacts:
    """What gives an affected host to a change: where it is, its roles, the templates and secrets of its
    changed files, and whether the inventory, or the templates and secrets, change them."""

    site: str
    school: str | None
    roles: frozenset[str]
    templates: frozenset[str]
    secrets: frozenset[str]
    by_inventory: bool = True
    by_others: bool = True


@dataclass
class Affected:
    """Hosts whose rendered files differ between the sides, with the paths that differ."""

    paths: dict[str, list[str]] = field(default_factory=dict)
    facts: dict[str, HostFacts] = field(default_factory=dict)
    shared_changed: bool = False  # the data center's services or hub, which every host's context holds
    files: dict[str, dict[str, tuple[Rendered | None, Rendered | None]]] = field(default_factory=dict)  # each side's
    roots: dict[str, Path] = field(default_factory=dict)  # side name -> its render's `hosts/` directory
    one_sided: set[str] = field(default_factory=set)  # hosts only one side has

    def hunks(self, host: str, path: str) -> list[str]:
        """Each run of lines of a changed file that differs between the sides, with the 3 lines around it on both
        sides (as `diff -U3` shows it, so a changed status comes with the serial above it), as one text."""
        texts = []
        for side in ("base", "head"):
            try:
                texts.append((self.roots[side] / host / path.lstrip("/")).read_text(encoding="utf-8", errors="replace"))
            except (KeyError, OSError):
                texts.append("")
        before, after = texts[0].splitlines(), texts[1].splitlines()
        matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
        return ["\n".join([*before[group[0][1]:group[-1][2]], *after[group[0][3]:group[-1][4]]])
                for group in matcher.get_grouped_opcodes(CONTEXT)]


class RenderFailed(Exception):
    """A side's templates do not render for a host that may have changed: its problems."""

    def __init__(self, side: Side, problems: list[Problem]) -> None:
        super().__init__(side.name)
        self.side = side
        self.problems = problems


@dataclass
class _Digests:
    inputs: dict[str, str]
    mentions: dict[str, frozenset[str]]
    shared: str


def affected_hosts(base: Side, head: Side, changed_secrets: set[str], changed_templates: set[str], into: Path,
                   prune: bool = True, only: set[str] | None = None, inventory_changed: bool = True,
                   progress: Callable[[str, int, int], None] | None = None) -> Affected:
    """Render what may differ on both sides into `into`/<side> and compare the files host by host.

    `only`: the hosts that can differ at all, when the caller knows (the others' inputs are the same).
    Where a host's changed files hold a changed secret or come from a changed template and the inventory
    changed too, the host is rendered a third time, from the new inventory with the old templates and
    secrets, to tell which of the two changes its files."""
    old, new = base.hosts, head.hosts
    before = _digests(base, changed_secrets, only, prune, progress)
    after = _digests(head, changed_secrets, only, prune, progress)
    if prune:
        candidates = {name for name in old.keys() | new.keys()
                      if before.inputs.get(name) != after.inputs.get(name)
                      or before.mentions.get(name) or after.mentions.get(name)}
    else:
        candidates = set(old) | set(new)
    files_before = _render(base, [old[n] for n in sorted(candidates) if n in old], into, progress)
    files_after = _render(head, [new[n] for n in sorted(candidates) if n in new], into, progress)
    affected = Affected(shared_changed=before.shared != after.shared,
                        roots={side.name: into / side.name / "hosts" for side in (base, head)})
    for name in sorted(candidates):
        was, now = files_before.get(name, {}), files_after.get(name, {})
        paths = sorted(p for p in was.keys() | now.keys()
                       if (was[p].state if p in was else None) != (now[p].state if p in now else None))
        if name in old.keys() ^ new.keys() or paths:
            affected.paths[name] = paths
            affected.files[name] = {p: (was.get(p), now.get(p)) for p in paths}
            if name in old.keys() ^ new.keys():
                affected.one_sided.add(name)
            host = new.get(name) or old[name]
            changed = [f for p in paths for f in (was.get(p), now.get(p)) if f is not None]
            affected.facts[name] = HostFacts(
                host.site, host.school.id if host.school else None,
                frozenset(host.roles) | frozenset(old[name].roles if name in old else ()),
                frozenset(f.template for f in changed), frozenset(s for f in changed for s in f.secrets))
    linked = sorted(name for name, facts in affected.facts.items() if name in old and name in new
                    and (facts.templates & changed_templates or facts.secrets & changed_secrets))
    if inventory_changed and linked:
        _separate(affected, linked, base, head, files_before, files_after, into)
    for name, facts in affected.facts.items():
        if not (facts.templates & changed_templates or facts.secrets & changed_secrets):
            affected.facts[name] = replace(facts, by_others=False)  # nothing but the inventory can explain it
    return affected


def _separate(affected: Affected, hosts: list[str], base: Side, head: Side, files_before: dict[str, HostFiles],
              files_after: dict[str, HostFiles], into: Path) -> None:
    """Render `hosts` from the new inventory with the old templates and secrets: files that differ from the old
    side's are the inventory's doing, files that differ from the new side's the templates' and secrets'."""
    between = Side("between", head.fleet, base.templates, base.specs, base.store)
    try:
        new = head.hosts
        files_between = _render(between, [new[n] for n in hosts], into)
    except RenderFailed:  # a role or secret the old side lacks: both may have changed the host, as far as we know
        return
    for name in hosts:
        states = {p: f.state for p, f in files_between.get(name, {}).items()}
        affected.facts[name] = replace(
            affected.facts[name],
            by_inventory=states != {p: f.state for p, f in files_before.get(name, {}).items()},
            by_others=states != {p: f.state for p, f in files_after.get(name, {}).items()})


def _digests(side: Side, changed_secrets: set[str], only: set[str] | None, each: bool = True,
             progress: Callable[[str, int, int], None] | None = None) -> _Digests:
    """Each host's inputs digest without secrets, and which changed secrets its context or templates name;
    and what every host's context shares (the data center's services, the VPN hub)."""
    contexts = ContextBuilder(side.fleet)
    hub = {k: contexts.vpn_hub[k] for k in ("hostname", "private_key_secret")}  # the rest is the programme's
    shared = json.dumps([contexts.dc_services, hub], sort_keys=True, default=str)
    if not each:
        return _Digests({}, {}, shared)
    inputs = Inputs(side.fleet, side.specs, side.templates, side.store, contexts)
    named_in_templates = _named_in_templates(side, changed_secrets)
    digests: dict[str, str] = {}
    mentions: dict[str, frozenset[str]] = {}
    shared_cache: dict[int, frozenset[str]] = {}
    hosts = [h for h in side.fleet.hosts if only is None or h.hostname in only]
    for done, host in enumerate(hosts, 1):
        if progress is not None:
            progress(f"digested ({side.name} hosts)", done, len(hosts))
        context = contexts.for_host(host)
        digests[host.hostname] = inputs.digest(host, [], context)
        if changed_secrets:
            named = set().union(*(named_in_templates.get(role, set()) for role in host.roles))
            held = {id(v): v for v in (contexts.dc_services, contexts.vpn_hub,
                                         *(contexts.fleet_wide.values() if "fleet_wide" in vars(contexts) else ()))}
            for value in context.values():
                if id(value) in held:
                    if id(value) not in shared_cache:
                        shared_cache[id(value)] = frozenset(_strings_in(value, changed_secrets))
                    named |= shared_cache[id(value)]
                else:
                    named |= _strings_in(value, changed_secrets)
            mentions[host.hostname] = frozenset(named)
    return _Digests(digests, mentions, shared)


def _named_in_templates(side: Side, names: set[str]) -> dict[str, set[str]]:
    """Changed secrets a role's templates name literally (templates usually take the name from the context)."""
    found: dict[str, set[str]] = {}
    if not names:
        return found
    for role, specs in side.specs.items():
        for spec in specs:
            text = (side.templates / spec.name).read_text(encoding="utf-8", errors="replace")
            found.setdefault(role, set()).update(n for n in names if n in text)
    return found


def _strings_in(value: Any, names: set[str]) -> set[str]:
    if isinstance(value, str):
        return {value} if value in names else set()
    if isinstance(value, dict):
        return set().union(*(_strings_in(v, names) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(_strings_in(v, names) for v in value)) if value else set()
    return set()


def _render(side: Side, hosts: Iterable[Host], into: Path,
            progress: Callable[[str, int, int], None] | None = None) -> dict[str, HostFiles]:
    """Each host's files as render writes them and records them in its manifest."""
    hosts = list(hosts)
    if not hosts:
        return {}
    out = into / side.name
    try:
        render_fleet(side.fleet, hosts, out, side.templates, side.store,
                     progress=(lambda done, total: progress(f"rendered ({side.name} hosts)", done, total))
                     if progress is not None else None)
    except InventoryError as exc:
        raise RenderFailed(side, exc.problems) from None
    return {hostname: {f["path"]: Rendered((f["sha256"], f["mode"], f["owner"], f["group"]), f["template"],
                                           frozenset((*f.get("secrets", []), *f.get("derived", []))))
                       for f in entry["files"]}
            for hostname, entry in load_manifest(out)["hosts"].items()}
