"""Render every selected host's files into build/, atomically, with a manifest.

A file is rendered once: `check` validates these bytes, `plan` diffs them and
`deploy` pushes them.  The new tree is written beside the old one and swapped in
only when every file rendered, so a failed render leaves the previous build/ intact.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from schoolnet.atomic import exchange, locked
from schoolnet.cache import Cache
from schoolnet.contained import PathEscape, beneath, child
from schoolnet.inventory.yamlload import display_name
from schoolnet.model.fleet import Fleet, Host
from schoolnet.problems import InventoryError, Location, Problem
from schoolnet.render import escape
from schoolnet.render.context import ContextBuilder
from schoolnet.render.freshness import Inputs
from schoolnet.render.intact import BuildStats, host_file
from schoolnet.render.memo import DigestMemo
from schoolnet.render.templates import PLACEHOLDER, TemplateSpec, discover
from schoolnet.rulebook import declare, problem
from schoolnet.secrets.store import SecretError, SecretStore, wireguard_public_key

STAGE = "render"
declare("SN701", "template-error", "A template failed to render for a host: syntax error, undefined value, "
        "or an operation the sandbox refuses.", bad="{{ school.nmae }}", good="{{ school.name }}", stage=STAGE)
declare("SN702", "unknown-role", "A host has a role with no templates/<role>/ directory.",
        bad="roles: [base, dchp]", good="roles: [base, dhcp]", stage=STAGE)
declare("SN703", "template-header", "A template's header comment is malformed or misses its validator.",
        bad="{#- schoolnet: mode=644 -#}", good="{#- schoolnet: mode=0644 validator=dnsmasq -#}", stage=STAGE)

MANIFEST = "manifest.json"
MANIFEST_VERSION = 2  # 2: an inputs digest per host (render/freshness.py)
PARALLEL_FROM = 150  # hosts; below this, forking costs more than it saves


RenderedFile = dict[str, Any]  # path, role, template, mode, owner, group, validator, sha256, secret, secrets,
#                                derived (secrets whose public halves the file holds)


@dataclass
class HostResult:
    hostname: str
    kind: str
    roles: list[str]
    files: list[RenderedFile]
    inputs: str  # digest of what the files were rendered from: deploy refuses the host once it differs

    def entry(self) -> dict[str, Any]:
        return {"kind": self.kind, "roles": self.roles, "inputs_sha256": self.inputs,
                "files": sorted(self.files, key=lambda f: f["path"])}


@dataclass
class RenderSummary:
    out: Path
    hosts: int
    files: int
    rendered_hosts: int
    kept_hosts: int = 0  # hosts whose inputs were unchanged: their files stayed as the previous render wrote them
    rendered: tuple[str, ...] = ()
    manifest: dict[str, Any] = field(default_factory=dict, repr=False)  # as written to build/manifest.json


def render_fleet(fleet: Fleet, hosts: list[Host], out: Path, templates_dir: Path, secrets: SecretStore,
                 limited: bool = False, progress: Callable[[int, int], None] | None = None,
                 cache: Cache | None = None) -> RenderSummary:
    """Render `hosts` into `out`; with `limited`, other hosts keep their files from the previous build.

    With an enabled `cache` and no limit, a host whose inputs digest (render/freshness.py) equals the
    one the previous build recorded, and whose files still hold the bytes it recorded, keeps its
    files and manifest entry: the same inputs render the same bytes."""
    incremental = cache is not None and cache.enabled
    renderer = _renderer(fleet, hosts, templates_dir, secrets)
    secrets.load()  # a locked store fails here, before anything is written or forked
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with locked(out.parent):  # one render at a time (deploy pushes only bytes whose sha256 its gate checked)
        known = {h.hostname for h in fleet.hosts}
        previous = _previous_hosts(out, known) if limited or incremental else None
        kept: dict[str, Any] = {}
        memo = _memo(fleet, templates_dir, secrets, cache) if incremental and not limited else None
        if incremental and not limited and previous is not None:
            kept = _unchanged(renderer.inputs, hosts, previous, BuildStats(out, cache), memo)
            hosts = [h for h in hosts if h.hostname not in kept]
            previous = kept
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        staging.chmod(0o755)
        try:
            results, problems = renderer.render_all(hosts, staging / "hosts", progress)
            if problems:
                raise InventoryError(one_line_per_secret(problems))  # nothing swapped: the previous build/ is intact
            entries = {r.hostname: r.entry() for r in results}
            if memo is not None:
                by_name = {h.hostname: h for h in hosts}
                for result in results:
                    memo.put(by_name[result.hostname], result.inputs)
                memo.save()
            manifest: dict[str, Any] = {"version": MANIFEST_VERSION,
                                        "hosts": dict(sorted(((previous or {}) | entries).items()))}
            (staging / MANIFEST).write_text(manifest_text(manifest), encoding="utf-8")
            if previous is None:
                exchange(staging, out)  # the new tree takes build/'s place in one step; the old one is removed
            else:
                _swap_hosts(staging, out, [r.hostname for r in results])
                if incremental and not limited:
                    _remove_unlisted(out, set(manifest["hosts"]))
        finally:
            if staging.exists():
                shutil.rmtree(staging)
    total = sum(len(h["files"]) for h in manifest["hosts"].values())
    return RenderSummary(out, len(manifest["hosts"]), total, len(results), len(kept),
                         tuple(sorted(r.hostname for r in results)), manifest)


def render_hosts_into(fleet: Fleet, hosts: list[Host], out: Path, templates_dir: Path,
                      secrets: SecretStore) -> dict[str, Any]:
    """Render `hosts` again into an existing build whose other hosts stay as they are, and return their
    new manifest entries.  Each host's directory is exchanged in one step, then the manifest, whose other
    lines are kept byte for byte (a full render writes the same bytes: one line per host, sorted)."""
    renderer = _renderer(fleet, hosts, templates_dir, secrets)
    out = out.resolve()
    with locked(out.parent):
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        staging.chmod(0o755)
        try:
            results, problems = renderer.render_all(hosts, staging / "hosts", None)
            if problems:
                raise InventoryError(one_line_per_secret(problems))
            entries = {r.hostname: r.entry() for r in results}
            text = splice_manifest((out / MANIFEST).read_text(encoding="utf-8"), entries)
            (staging / MANIFEST).write_text(text, encoding="utf-8")
            _swap_hosts(staging, out, list(entries))
        finally:
            if staging.exists():
                shutil.rmtree(staging)
    return entries


def splice_manifest(text: str, entries: dict[str, Any]) -> str:
    """`text` (as manifest_text wrote it) with the lines of the hosts in `entries` written anew; raises
    ValueError if a host has no line (a new host changes the order: render the whole build).  Each line
    is found by its start, `"<hostname>": `, which no other line has: a 10 MB manifest is searched, not
    parsed."""
    for host, entry in entries.items():
        head = f"\n{json.dumps(host)}: "
        start = text.find(head)
        if start < 0:
            raise ValueError(f"no manifest line for {host}")
        end = text.index("\n", start + 1)
        comma = "," if text[end - 1] == "," else ""
        line = f"{head}{json.dumps(entry, sort_keys=True, separators=(',', ':'))}{comma}"
        text = text[:start] + line + text[end:]
    return text


def _renderer(fleet: Fleet, hosts: list[Host], templates_dir: Path, secrets: SecretStore) -> _Renderer:
    """A renderer for `hosts`, once the fleet is validated, the templates' headers read and every role of
    theirs has templates; raises InventoryError otherwise, before anything is written."""
    fleet.require_validated("render")  # names become paths here: never from an unvalidated fleet
    if not templates_dir.is_dir():  # one line, not one per role of every host
        raise InventoryError([problem("SN702", Location(display_name(templates_dir)),
                                      "the templates directory does not exist, so no role has templates",
                                      "run from the repository, or pass --templates DIR")])
    try:
        specs = discover(templates_dir)
    except ValueError as exc:
        source, _, message = str(exc).partition(":1: ")
        raise InventoryError([problem("SN703", Location(source, 1, 1), message, "see docs/templates.md")]) from None
    _check_roles(fleet, hosts, specs)
    return _Renderer(fleet, specs, templates_dir, secrets)


def _unchanged(inputs: Inputs, hosts: list[Host], previous: dict[str, Any], stats: BuildStats,
               memo: DigestMemo | None) -> dict[str, Any]:
    """The previous manifest entries of `hosts` whose inputs are as they were and whose files hold the
    bytes recorded (a file edited or deleted by hand is rendered again, as a full render would)."""
    root = stats.root / "hosts"
    kept = {}
    for host in hosts:
        entry = previous.get(host.hostname)
        if entry is None or entry["roles"] != list(host.roles) or entry["kind"] != host.kind:
            continue
        recorded = entry.get("inputs_sha256")
        known = memo.get(host) if memo is not None else None
        if known is None:
            names = [name for spec in entry["files"] for name in (*spec.get("secrets", []), *spec.get("derived", []))]
            known = inputs.digest(host, names)
            if memo is not None and known:  # "" (a secret it used is gone) is not worth remembering
                memo.put(host, known)
        if known == recorded and all(_holds(stats, root, host.hostname, f) for f in entry["files"]):
            kept[host.hostname] = entry
    stats.save()
    return kept


def _memo(fleet: Fleet, templates_dir: Path, secrets: SecretStore, cache: Cache | None) -> DigestMemo | None:
    path = getattr(secrets, "path", None)
    if cache is None or not isinstance(path, Path):
        return None
    return DigestMemo(fleet, templates_dir, path, cache)


def _holds(stats: BuildStats, root: Path, hostname: str, spec: RenderedFile) -> bool:
    """A path that climbs out, a link on the way, or anything but a regular file is not intact, and the
    host is rendered again (as a full render would)."""
    try:
        path = host_file(str(root), hostname, str(spec["path"]))
    except PathEscape:  # a hand-edited manifest
        return False
    return stats.within(path, str(root)) and bool(stats.sha256(path) == spec["sha256"])


def _remove_unlisted(out: Path, listed: set[str]) -> None:
    """Hosts gone from the inventory leave build/ as they would with a full render."""
    hosts = out / "hosts"
    for entry in os.scandir(hosts):
        if entry.name not in listed and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)


def _check_roles(fleet: Fleet, hosts: list[Host], specs: dict[str, list[TemplateSpec]]) -> None:
    """One problem per role without templates, where its first host names it, counting the others."""
    missing: dict[str, list[tuple[Host, int]]] = {}
    for host in hosts:
        for index, role in enumerate(host.roles):
            if role not in specs:
                missing.setdefault(role, []).append((host, index))
    problems = []
    for role, users in missing.items():
        host, index = users[0]
        where = fleet.host_location(host, "roles", index) if host.device.roles else fleet.host_location(host)
        others = f" (and {len(users) - 1} more host(s))" if len(users) > 1 else ""
        problems.append(problem("SN702", where, f"{host.hostname}{others} has role {role!r}, which has no templates",
                                f"add templates/{role}/ or fix the role name"))
    if problems:
        raise InventoryError(problems)


class _Renderer:
    def __init__(self, fleet: Fleet, specs: dict[str, list[TemplateSpec]], templates_dir: Path,
                 secrets: SecretStore) -> None:
        self.fleet = fleet
        self.specs = specs
        self.secrets = secrets
        self.contexts = ContextBuilder(fleet)
        self.inputs = Inputs(fleet, specs, templates_dir, secrets, self.contexts)
        self.env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(templates_dir), undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(["html.j2"], default=False, default_for_string=False),  # pages
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False,
            finalize=escape.finalize)  # no value writes a line of its own (render/escape.py)
        self.made_dirs: set[Path] = set()
        self.env.filters["json"] = escape.to_json
        self.env.filters["indent"] = escape.indent
        formats = {spec.name: spec.format or "" for role in specs.values() for spec in role}
        quoters = {name: escape.quote_for(fmt) for name, fmt in formats.items()}
        self.env.filters["q"] = jinja2.pass_context(lambda context, value: quoters[context.name](value))

    def render_all(self, hosts: list[Host], root: Path,
                   progress: Callable[[int, int], None] | None) -> tuple[list[HostResult], list[Problem]]:
        if len(hosts) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
            return self._render_batch(hosts, root, progress)
        self.contexts.fleet_wide  # noqa: B018  (computed once, before the fork, and shared)
        workers = min(os.cpu_count() or 1, 8)
        chunks = [hosts[i::workers] for i in range(workers)]
        global _FORKED  # the workers inherit this renderer by fork; only host names cross the pipe
        _FORKED = (self, {h.hostname: h for h in hosts})
        try:
            with multiprocessing.get_context("fork").Pool(workers - 1) as pool:
                pending = [pool.apply_async(_render_forked, ([h.hostname for h in chunk], root))
                           for chunk in chunks[1:]]
                results, problems = self._render_batch(chunks[0], root, progress and _scaled(progress, workers))
                for job in pending:
                    more_results, more_problems = job.get()
                    results += more_results
                    problems += more_problems
        finally:
            _FORKED = None
        return results, problems

    def _render_batch(self, hosts: Iterable[Host], root: Path,
                      progress: Callable[[int, int], None] | None) -> tuple[list[HostResult], list[Problem]]:
        results: list[HostResult] = []
        problems: list[Problem] = []
        hosts = list(hosts)
        for done, host in enumerate(hosts, 1):
            try:
                results.append(self._render_host(host, child(root, host.hostname)))
            except _TemplateFailure as failure:
                problems.extend(failure.problems)
            if progress:
                progress(done, len(hosts))
        return results, problems

    def _render_host(self, host: Host, root: Path) -> HostResult:
        context = self.contexts.for_host(host)
        files = []
        missing: list[Problem] = []  # every secret the host lacks, not only the first (SN903)
        for role in host.roles:
            for spec in self.specs[role]:
                items = context[spec.each] if spec.each else [None]
                for item in items:
                    try:
                        files.append(self._render_file(host, spec, context, item, root))
                    except _TemplateFailure as failure:
                        if failure.problems[0].code != "SN903":
                            raise
                        missing += [p for p in failure.problems if p not in missing]
        if missing:
            raise _TemplateFailure(*missing)
        used = [name for f in files for name in (*f["secrets"], *f["derived"])]
        return HostResult(host.hostname, host.kind, list(host.roles), files,
                          self.inputs.digest(host, used, context))

    def _render_file(self, host: Host, spec: TemplateSpec, context: dict[str, Any], item: Any,
                     root: Path) -> RenderedFile:
        used: list[str] = []
        missing: dict[str, Location] = {}  # secrets the store lacks: the template renders on, to find them all

        def secret(name: str) -> str:
            try:
                value = self.secrets.get(name)
            except SecretError:
                missing.setdefault(name, Location(spec.source, _calling_line(template, spec.name), 1))
                return ""
            if name not in used:
                used.append(name)
            return value

        derived: list[str] = []  # secrets whose public halves the file holds: not secret, but its inputs

        def public_key(name: str) -> str:
            if name not in derived:
                derived.append(name)
            try:
                return wireguard_public_key(self.secrets.get(name))  # the public half is not a secret
            except SecretError:
                missing.setdefault(name, Location(spec.source, _calling_line(template, spec.name), 1))
                return ""

        destination = spec.destination
        if item is not None:
            destination = destination.replace(PLACEHOLDER, str(item.get("key") or item["id"]))
        try:
            template = self.env.get_template(spec.name)  # compiled once: auto_reload is off
            text = template.render({**context, "item": item, "secret": secret, "wireguard_public_key": public_key})
            if missing:
                where = getattr(self.secrets, "path", None)
                held = f"is not in {display_name(where)}" if isinstance(where, Path) else "is not held"
                raise _TemplateFailure(*(problem("SN903", at, f"secret {name!r} {held}{RENDERING}{host.hostname})",
                                                 "run `schoolnet secrets generate`") for name, at in missing.items()))
        except jinja2.TemplateSyntaxError as exc:
            raise _TemplateFailure(problem("SN701", Location(spec.source, exc.lineno or 1, 1),
                                           f"{exc.message} (rendering {host.hostname})", "fix the template")) from None
        except escape.UnsafeValue as exc:
            raise _TemplateFailure(problem("SN705", Location(spec.source, _template_line(exc, spec.name), 1),
                                           f"{exc} (rendering {host.hostname} {destination})",
                                           "write the inventory value on one line of printable text")) from None
        except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
            line = _template_line(exc, spec.name)
            raise _TemplateFailure(problem("SN701", Location(spec.source, line, 1),
                                           f"{type(exc).__name__}: {exc} (rendering {host.hostname} {destination})",
                                           "fix the template or the value it reads")) from None
        data = text.encode("utf-8")
        target = beneath(root, destination, resolve=False)  # a fresh staging tree: no links to follow
        if target.parent not in self.made_dirs:
            os.makedirs(target.parent, exist_ok=True)
            self.made_dirs.add(target.parent)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if used else 0o644)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        mode = "0600" if used and spec.mode == "0644" else spec.mode  # a file holding a secret is never world-readable
        return {"path": destination, "role": spec.role, "template": spec.source, "mode": mode, "owner": spec.owner,
                "group": spec.group, "validator": spec.validator, "sha256": hashlib.sha256(data).hexdigest(),
                "secret": bool(used), "secrets": used, "derived": derived}


_FORKED: tuple[_Renderer, dict[str, Host]] | None = None


def _render_forked(hostnames: list[str], root: Path) -> tuple[list[HostResult], list[Problem]]:
    assert _FORKED is not None
    renderer, by_name = _FORKED
    return renderer._render_batch([by_name[n] for n in hostnames], root, None)


class _TemplateFailure(Exception):
    def __init__(self, found: Problem, *more: Problem) -> None:
        super().__init__(found.message)
        self.problem = found
        self.problems = [found, *more]


RENDERING = " (rendering "
NAMED = 3  # hosts named in a missing secret's line before "and N more"


def one_line_per_secret(problems: list[Problem]) -> list[Problem]:
    """SN903 once per missing secret, at its first template line, with the hosts that need it summarised
    (a hub lacking 5 edge keys and 5 edges lacking theirs: 5 lines, not 10); other problems as they are."""
    needing: dict[str, tuple[Problem, list[str]]] = {}
    others = []
    for found in sorted(problems, key=Problem.sort_key):
        head, _, host = found.message.rpartition(RENDERING)
        if found.code != "SN903" or not head:
            others.append(found)
            continue
        needing.setdefault(head, (found, []))[1].append(host.rstrip(")"))
    merged = []
    for head, (first, hosts) in needing.items():
        hosts = sorted(set(hosts))
        named = ", ".join(hosts) if len(hosts) <= NAMED + 1 else \
            f"{len(hosts)} hosts: {', '.join(hosts[:NAMED])} and {len(hosts) - NAMED} more"
        merged.append(replace(first, message=f"{head} (needed by {named})"))
    return sorted(others + merged, key=Problem.sort_key)


def _calling_line(template: jinja2.Template, name: str) -> int:
    """The template line now calling a function the template was given (secret(), ...)."""
    for frame, lineno in traceback.walk_stack(None):
        if frame.f_code.co_filename.endswith(name):
            return template.get_corresponding_lineno(lineno)
    return 1


def _template_line(exc: BaseException, name: str) -> int:
    """The template line of a runtime error: Jinja rewrites tracebacks to point into the template."""
    line = 1
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename.endswith(name):
            line = lineno
    return line


def _scaled(progress: Callable[[int, int], None], workers: int) -> Callable[[int, int], None]:
    return lambda done, total: progress(done * workers, total * workers)


def _previous_hosts(out: Path, known: set[str]) -> dict[str, Any] | None:
    """The previous build's manifest entries of hosts still in the inventory; None if there is no usable build."""
    try:
        previous = load_manifest(out)
    except (OSError, ValueError):
        return None
    if previous.get("version") != MANIFEST_VERSION:
        return None
    return {name: entry for name, entry in previous.get("hosts", {}).items() if name in known}


def _swap_hosts(staging: Path, out: Path, hostnames: list[str]) -> None:
    """A limited render exchanges only its hosts' directories, each in one step, then the manifest.

    Each host's files match its manifest entry or the previous one; `check` reports a file that
    matches neither (SN818) and deploy pushes only bytes whose sha256 the manifest holds."""
    hosts = out / "hosts"
    hosts.mkdir(exist_ok=True)
    for hostname in hostnames:
        new = child(staging / "hosts", hostname)
        if new.exists():
            exchange(new, child(hosts, hostname))
    os.replace(staging / MANIFEST, out / MANIFEST)


def manifest_text(manifest: dict[str, Any]) -> str:
    """JSON with one line per host: readable and diffable, and several times faster to write than
    indented JSON at national scale (72,000 file entries)."""
    head = {k: v for k, v in manifest.items() if k != "hosts"}
    lines = [json.dumps(head, sort_keys=True)[:-1] + ', "hosts": {']
    rows = [f"{json.dumps(name)}: {json.dumps(entry, sort_keys=True, separators=(',', ':'))}"
            for name, entry in manifest["hosts"].items()]
    return "\n".join([*lines, ",\n".join(rows), "}}"]) + "\n"


def load_manifest(build: Path) -> dict[str, Any]:
    return dict(json.loads((build / MANIFEST).read_text(encoding="utf-8")))
