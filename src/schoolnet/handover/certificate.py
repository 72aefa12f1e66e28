"""A school's acceptance certificate: what was handed over, signed by two offices, traceable to git.

The certificate is made from the school's inventory file and nothing else that changes: its
number is `<certificate_prefix>-<SCHOOL ID>-<first 8 hex digits of the file's sha256>`, upper
case, so the same file always gives the same number and any edit to it gives a new one.  The
full sha256 and the file's path are printed on it, with the git commit that last changed the
file when the file is committed unchanged: whoever holds a signed paper can find the exact
inventory it was made from.  With a fixed date, a reprint is byte-identical HTML.

Signatures are asked of offices (role and organisation from programme.yaml's `handover:`),
never of invented persons: the lines for the name in print stay empty for whoever signs.

The HTML is rendered by a Jinja sandbox with autoescape on and StrictUndefined (an inventory
value is data, never markup or template code), holds its own CSS for A4 and forbids itself any
request (Content-Security-Policy); headless Chromium prints it to PDF (handover/chromium.py).
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from schoolnet.atomic import exchange, locked
from schoolnet.contained import child
from schoolnet.handover.chromium import print_pdfs
from schoolnet.ipam import Addressing
from schoolnet.model.fleet import Fleet
from schoolnet.model.school import School

TEMPLATES = Path(__file__).parent / "templates"
INDEX = "index.html"
CERTIFICATE_FILE = re.compile(r"^[a-z0-9]+-[a-z]{3}-\d{3,4}\.(html|pdf)$")  # <school id>.html, .pdf
MARKER = ".schoolnet-handover"  # a directory holding this was written by certificate runs, and may be again
MARKER_TEXT = "This directory is written by `schoolnet handover`; `--all` replaces it whole.\n"
_CSS_PLAIN = re.compile(r"[A-Za-z0-9 .:_-]")
HASH_DIGITS = 8  # of the sha256 in the certificate number: 4 billion values per school, enough to tell edits apart


class HandoverError(RuntimeError):
    """The certificates cannot be made as asked (unknown school, no signatories, a foreign --out)."""


@dataclass(frozen=True)
class Signatory:
    """An office that signs: whoever holds the role at the organisation."""

    role: str
    organisation: str


@dataclass(frozen=True)
class DeviceLine:
    kind: str
    hostname: str
    model: str
    serial: str
    asset_tag: str
    management: str
    status: str


@dataclass(frozen=True)
class TabletLine:
    slot: int
    serial: str
    model: str
    asset_tag: str
    status: str
    certificate: str
    handed_over: str
    received_by: str


@dataclass(frozen=True)
class UplinkLine:
    provider: str
    circuit_id: str
    bandwidth_mbps: int
    status: str
    purpose: str


@dataclass(frozen=True)
class Certificate:
    """Everything printed on one school's certificate, in print order."""

    number: str
    date: date
    programme: str
    synthetic: bool
    school_id: str
    school_name: str
    district: str
    address: str
    students: int
    network: str
    source_path: str
    source_sha256: str
    commit: str
    repository: str
    uplinks: tuple[UplinkLine, ...]
    devices: tuple[DeviceLine, ...]
    tablets: tuple[TabletLine, ...]
    handing_over: Signatory
    receiving: Signatory
    # the first and last of the tablets' handover records' dates; None when none has one
    handed_over: tuple[datetime.date, datetime.date] | None = None

    @property
    def handover_date(self) -> str:
        return handover_words(self.handed_over)

    @property
    def tablets_handed_over(self) -> int:
        return sum(1 for t in self.tablets if t.status == "handed_over")

    @property
    def tablet_asset_tags(self) -> bool:
        return any(t.asset_tag for t in self.tablets)


def certificate_number(prefix: str, school_id: str, sha256: str) -> str:
    return f"{prefix}-{school_id.upper()}-{sha256[:HASH_DIGITS].upper()}"


NOT_HANDED_OVER = "not handed over: no tablet has a handover record"
PRINTED_NUMBER = re.compile(r"<title>([A-Za-z0-9._-]+): acceptance certificate")


def handover_period(school: School) -> tuple[date, date] | None:
    """The dates of the school's handover: the first and the last of its tablets' handover records (the same
    date twice when there is one), or None when no tablet has one.  Never today: a paper people sign says
    when the handover happened, and the inventory's records are where that is written."""
    dates = sorted(t.handover.date for t in school.tablets if t.handover is not None)
    return (dates[0], dates[-1]) if dates else None


def handover_words(period: tuple[date, date] | None) -> str:
    """`2026-09-01`, `2025-09-17 to 2025-10-04` when tablets were handed over on several days, or that none was."""
    if period is None:
        return NOT_HANDED_OVER
    first, last = period
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"


def school_number(fleet: Fleet, school: School) -> str | None:
    """The number the school's certificate has now (from its file's bytes), or None without a `handover:`."""
    parties = fleet.programme.handover
    if parties is None:
        return None
    digest = hashlib.sha256(fleet.doc(school).path.read_bytes()).hexdigest()
    return certificate_number(parties.certificate_prefix, school.id, digest)


def printed_number(html: str) -> str | None:
    """The certificate number of a printed certificate page (its title), or None when it is not one."""
    found = PRINTED_NUMBER.search(html[:4096])
    return found.group(1) if found else None


def find_school(fleet: Fleet, wanted: str) -> School:
    """The school called `wanted`, or a HandoverError that names the closest ids."""
    school = fleet.schools_by_id.get(wanted.lower())
    if school is not None:
        return school
    close = difflib.get_close_matches(wanted.lower(), list(fleet.schools_by_id), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else "`schoolnet ipam show` lists every school id"
    raise HandoverError(f"no school is called {wanted!r} ({hint})")


def certificates(fleet: Fleet, schools: Sequence[School], on: date) -> list[Certificate]:
    """The certificates of `schools`, dated `on`; reads each school's file once to hash it."""
    fleet.require_validated("handover")  # school ids become file names
    parties = fleet.programme.handover
    if parties is None:
        where = fleet.loc(fleet.programme)
        raise HandoverError(f"{where.file}: no `handover:` section: who signs the certificates (certificate_prefix, "
                            "handing_over and receiving, each a role and an organisation; see docs/handover.md)")
    repository_root = fleet.root.resolve().parent
    names = {s.id: _in_repository(fleet.doc(s).path, repository_root) for s in schools}
    contents = {names[s.id]: fleet.doc(s).path.read_bytes() for s in schools}
    commits = committed_unchanged(repository_root, contents)
    addressing = Addressing(fleet)
    catalog = fleet.catalog
    districts = {d.id: d.name for d in fleet.programme.districts}
    providers = {p.id: p.name for p in fleet.programme.providers}
    repository = fleet.programme.repository.url if fleet.programme.repository else ""

    def model(model_id: str, vendor: bool = True) -> str:
        entry = catalog.get(model_id)
        if entry is None:
            return model_id
        return f"{entry.vendor} {entry.model}" if vendor else entry.model

    made = []
    for school in schools:
        path = names[school.id]  # as the repository names it, whichever directory the command runs in
        digest = hashlib.sha256(contents[path]).hexdigest()
        plan = addressing.school(school)
        devices = []
        for hostname, device in zip(school.device_hostnames(), school.devices, strict=True):
            address = plan.management_address(hostname) if plan else None
            devices.append(DeviceLine(device.kind, hostname, model(device.model), device.serial,
                                      device.asset_tag or "", str(address) if address else "", device.status))
        tablets = [TabletLine(t.slot, t.serial, model(t.model, vendor=False), t.asset_tag or "", t.status,
                              t.handover.certificate if t.handover else "",
                              t.handover.date.isoformat() if t.handover else "",
                              t.handover.received_by if t.handover else "")
                   for t in sorted(school.tablets, key=lambda t: t.slot)]
        uplinks = [UplinkLine(providers.get(u.provider, u.provider), u.circuit_id, u.bandwidth_mbps, u.status,
                              u.purpose) for u in school.uplinks]
        receiving = parties.receiving
        made.append(Certificate(
            number=certificate_number(parties.certificate_prefix, school.id, digest), date=on,
            programme=fleet.programme.name, synthetic=fleet.programme.synthetic or school.synthetic,
            school_id=school.id, school_name=school.name, district=districts.get(school.district, school.district),
            address=school.address, students=school.students, network=str(plan.prefix) if plan else "",
            source_path=path, source_sha256=digest, commit=commits.get(path, ""), repository=repository,
            uplinks=tuple(uplinks), devices=tuple(devices), tablets=tuple(tablets),
            handing_over=Signatory(parties.handing_over.role, parties.handing_over.organisation or ""),
            receiving=Signatory(receiving.role, receiving.organisation or school.name),
            handed_over=handover_period(school)))
    return made


def _in_repository(path: Path, root: Path) -> str:
    """A file's path relative to the repository (the inventory's parent), as git and a reader name it."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:  # outside the repository (a link): its own absolute path
        return path.resolve().as_posix()


def committed_unchanged(root: Path, contents: dict[str, bytes]) -> dict[str, str]:
    """For each path (relative to `root`) whose bytes are those committed at HEAD: the commit that last
    changed it.  Empty where git is missing, `root` is no repository, or a file differs from HEAD."""
    if not contents:
        return {}
    listed = _git(root, "ls-tree", "-z", "HEAD", "--", *contents)
    if listed is None:
        return {}
    unchanged = []
    for entry in listed.split("\0"):
        meta, _, path = entry.partition("\t")
        if path in contents and meta.split(" ")[-1] == _blob_id(contents[path]):
            unchanged.append(path)
    if not unchanged:
        return {}
    log = _git(root, "log", "--format=commit %H", "--name-only", "--relative", "--", *unchanged) or ""
    found: dict[str, str] = {}
    commit = ""
    for line in log.splitlines():
        if line.startswith("commit "):
            commit = line.removeprefix("commit ")
        elif line in contents and line not in found:
            found[line] = commit
    return found


def _blob_id(data: bytes) -> str:
    """git's object id of a file with these bytes (sha1, the hash of git's default object format)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _git(root: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(["git", "-C", str(root), "-c", "core.quotepath=off", *args],
                                capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def _css_string(value: object) -> Markup:
    """A CSS string literal (the page footer is CSS `content`): every character but letters, digits and
    a few safe marks is a CSS escape, so no value can end the string or the style sheet; nothing in it
    is markup either, so it is marked safe (HTML escaping would turn its quotes into entities)."""
    text = str(value)
    return Markup('"' + "".join(c if _CSS_PLAIN.fullmatch(c) else f"\\{ord(c):06x}" for c in text) + '"')


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                               keep_trailing_newline=True, auto_reload=False)
    env.filters["css_string"] = _css_string
    return env


def render_certificate(certificate: Certificate, env: jinja2.Environment | None = None) -> str:
    return (env or _environment()).get_template("handover.html.j2").render(c=certificate)


def render_index(programme: str, synthetic: bool, on: date, made: Sequence[Certificate],
                 env: jinja2.Environment | None = None) -> str:
    return (env or _environment()).get_template("handover-index.html.j2").render(
        programme=programme, synthetic=synthetic, date=on, certificates=made)


def write_certificates(fleet: Fleet, schools: Sequence[School] | None, out: Path, on: date,
                       chromium: Path | None = None, progress: Callable[[int, int], None] | None = None,
                       jobs: int | None = None) -> list[Certificate]:
    """Write OUT/<school>.html and OUT/<school>.pdf for `schools`, or for every school (None), with
    OUT/index.html; nothing is changed until every page printed.

    Every school: a new OUT is built beside the old one and exchanged with it in one step, so OUT
    must be empty or written by certificate runs (it holds their marker file).  Some schools: each of
    their two files is replaced whole by a rename, and the other schools' files (and the index) are
    left as they are."""
    everything = schools is None
    chosen = list(fleet.schools) if schools is None else list(schools)
    made = certificates(fleet, chosen, on)
    env = _environment()
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with locked(out.parent):
        _refuse_foreign(out)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        staging.chmod(0o755)
        try:
            pages = []
            for certificate in made:
                html = child(staging, f"{certificate.school_id}.html")
                html.write_text(render_certificate(certificate, env), encoding="utf-8")
                pages.append((html, child(staging, f"{certificate.school_id}.pdf")))
            print_pdfs(pages, chromium, progress=progress and (lambda done: progress(done, len(pages))), jobs=jobs)
            for _, pdf in pages:
                pdf.chmod(0o644)
            if everything:
                child(staging, INDEX).write_text(
                    render_index(fleet.programme.name, fleet.programme.synthetic, on, made, env), encoding="utf-8")
                child(staging, MARKER).write_text(MARKER_TEXT, encoding="utf-8")
                exchange(staging, out)  # the new set takes OUT's place in one step; the old one is removed below
            else:
                out.mkdir(exist_ok=True)
                if not (out / MARKER).exists():
                    child(out, MARKER).write_text(MARKER_TEXT, encoding="utf-8")
                for html, pdf in pages:  # the PDF first: an HTML never stands beside an older PDF's number
                    os.replace(pdf, child(out, pdf.name))
                    os.replace(html, child(out, html.name))
        finally:
            if staging.exists():
                shutil.rmtree(staging)
    return made


def _refuse_foreign(out: Path) -> None:
    """OUT is written by certificate runs only (--all replaces it whole): refuse a directory that holds anything
    and no marker of a certificate run, and one that holds anything but certificates, their index and the
    marker, whatever its files are called: a `contract.pdf` of the user's is not a certificate."""
    if not out.exists():
        return
    if not out.is_dir():
        raise HandoverError(f"{out} is not a directory (choose another --out)")
    entries = sorted(out.iterdir())
    if entries and not (out / MARKER).is_file():
        raise HandoverError(f"{out} holds files that no certificate run wrote (it has no {MARKER}): certificates "
                            "replace files there, and --all the whole directory; choose an --out that is empty "
                            "or was written by `schoolnet handover`")
    foreign = [p.name for p in entries if p.name not in (INDEX, MARKER) and not CERTIFICATE_FILE.match(p.name)]
    if foreign:
        raise HandoverError(f"{out} holds {foreign[0]!r}, which no certificate run wrote: certificates replace "
                            "files there, and --all the whole directory; move it, or choose another --out")
